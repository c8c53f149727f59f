// Follows a background job: polls /api/jobs/{id} and fills the progress bar of every [data-job] block.
(function () {
  "use strict";
  function follow(box) {
    var id = box.getAttribute("data-job");
    var bar = box.querySelector(".progress > div");
    var message = box.querySelector(".job-message");
    var result = box.querySelector(".job-result");
    function tick() {
      fetch("/api/jobs/" + encodeURIComponent(id), {credentials: "same-origin", headers: {"accept": "application/json"}})
        .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
        .then(function (res) {
          if (!res.ok) { message.textContent = res.body.detail || "error"; message.className = "job-message error"; return; }
          var job = res.body;
          var pct = job.percent == null ? 5 : job.percent;
          bar.style.width = pct + "%";
          bar.parentNode.setAttribute("aria-valuenow", String(Math.round(pct)));
          if (job.message) { message.textContent = job.message; }
          box.setAttribute("data-status", job.status);
          if (job.status === "finished") {
            bar.style.width = "100%";
            result.hidden = false;
            result.className = "job-result ok";
            var r = job.result || {};
            result.textContent = r.summary || (typeof r === "string" ? r : JSON.stringify(r));
            box.dispatchEvent(new CustomEvent("job-finished", {detail: job, bubbles: true}));
          } else if (job.status === "failed" || job.status === "stopped" || job.status === "canceled") {
            result.hidden = false;
            result.className = "job-result error";
            result.textContent = job.error || job.status;
            box.dispatchEvent(new CustomEvent("job-failed", {detail: job, bubbles: true}));
          } else {
            setTimeout(tick, 500);
          }
        })
        .catch(function () { setTimeout(tick, 2000); });
    }
    tick();
  }
  document.querySelectorAll("[data-job]").forEach(follow);
})();
