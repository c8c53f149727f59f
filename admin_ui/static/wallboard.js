// The wallboard: follows /wallboard/live (server-sent events; the browser reconnects by itself).
(function () {
  "use strict";
  var W = window.WALL || {t: {}};
  function pct(x) { return x == null ? "—" : (x * 100).toFixed(2) + "%"; }
  function cell(text, cls) { var td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; }
  function render(s) {
    document.querySelectorAll("[data-k]").forEach(function (e) {
      var v = s[e.getAttribute("data-k")] || 0;
      e.textContent = e.hasAttribute("data-fmt") ? Number(v).toFixed(1) : String(v);
    });
    document.querySelectorAll("[data-agents]").forEach(function (e) { e.textContent = String((s.agents || {})[e.getAttribute("data-agents")] || 0); });
    document.querySelectorAll("[data-calls]").forEach(function (e) { e.textContent = String((s.calls || {})[e.getAttribute("data-calls")] || 0); });
    document.getElementById("wb-at").textContent = (s.at || "").slice(11, 19);
    var banner = document.getElementById("pbx-banner");   // no PBX connected (or some down): say so
    if (banner && "pbx_banner" in s) { banner.textContent = s.pbx_banner || ""; banner.hidden = !s.pbx_banner; }
    var body = document.querySelector("#wb-campaigns tbody");
    body.textContent = "";
    Object.keys(s.campaigns || {}).forEach(function (id) {
      var c = s.campaigns[id], tr = document.createElement("tr"), a = c.abandonment || {};
      tr.appendChild(cell(c.name));
      tr.appendChild(cell(c.pacer ? W.t.dials_calls.replace("{calls}", c.pacer.calls) + " — " + c.pacer.why : "—"));
      var cap = a.cap;
      var day = a["24h"] || {}, month = a["30d"] || {};
      tr.appendChild(cell(pct(day.rate), "num" + (cap != null && day.rate > cap ? " error" : "")));
      tr.appendChild(cell(pct(month.rate), "num" + (cap != null && month.rate > cap ? " error" : "")));
      tr.appendChild(cell(pct(cap), "num"));
      body.appendChild(tr);
    });
    document.body.setAttribute("data-live", "1");
  }
  if (W.live) render(W.live);
  var status = document.getElementById("wb-status");
  var source = new EventSource("/wallboard/live");
  source.onmessage = function (ev) { status.textContent = ""; render(JSON.parse(ev.data)); };
  source.addEventListener("down", function () { status.textContent = W.t.engine_down; });
  source.addEventListener("expired", function () {
    source.close(); status.textContent = W.t.session_over;
    setTimeout(function () { location.href = "/login?expired=1&next=/wallboard"; }, 2000);
  });
  source.onerror = function () { status.textContent = W.t.live_lost; };
})();
