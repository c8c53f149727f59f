// The SMS template editor: as the team lead types, the server counts the text (or renders it for the chosen
// lead) with sms.count_segments and the two counts (as written, without diacritics) are shown side by side.
(function () {
  "use strict";
  var form = document.getElementById("sms-template-form");
  if (!form) { return; }
  var T = JSON.parse(document.getElementById("sms-texts").textContent);
  var token = (document.querySelector("meta[name=csrf-token]") || {}).content || "";
  var body = form.querySelector("[name=body]");
  var plain = form.querySelector("[name=plain]");
  var campaign = form.querySelector("[name=campaign_id]");
  var leadInput = document.getElementById("preview-lead");
  var problem = document.getElementById("template-problem");
  var countingWhat = document.getElementById("counting-what");
  var who = document.getElementById("preview-who");
  var previewText = document.getElementById("preview-text");
  var timer = null;
  var asked = 0;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }

  function post(url, data) {
    return fetch(url, {method: "POST", credentials: "same-origin",
                       headers: {"content-type": "application/json", "x-csrf-token": token},
                       body: JSON.stringify(data)}).then(function (r) { return r.json(); });
  }

  function showCount(boxId, c, sent) {
    var box = document.getElementById(boxId);
    var span = box.querySelector(".count");
    span.textContent = c.encoding + " · " + c.units + " " + (c.encoding === "GSM-7" ? T.septets : T.units) +
      " · " + c.parts + " " + T.parts;
    span.dataset.encoding = c.encoding;
    span.dataset.parts = String(c.parts);
    box.classList.toggle("sent", sent);
    box.querySelector(".will-send").style.display = sent ? "" : "none";
  }

  function showProblem(text) {
    problem.textContent = text ? T.problem + " " + text : "";
    problem.style.display = text ? "" : "none";
  }

  function campaignId() {
    return campaign.value ? Number(campaign.value) : null;
  }

  function refresh() {
    var mine = ++asked;
    var lead = leadInput.value.trim();
    var request = lead
      ? post("/api/sms/preview", {body: body.value, plain: plain.checked, lead: lead, campaign_id: campaignId()})
      : post("/api/sms/count", {text: body.value, campaign_id: campaignId()});
    request.then(function (res) {
      if (mine !== asked) { return; }              // an older answer arriving late
      if (lead && res.lead) {
        who.textContent = fill(T.preview_for, res.lead);
        countingWhat.textContent = fill(T.counting_preview, res.lead);
      } else if (!lead) {
        who.textContent = T.preview_none;
        previewText.textContent = "";
        countingWhat.textContent = T.counting_template;
      }
      if (lead && !res.ok) {
        previewText.textContent = "";
        if (!res.lead) { who.textContent = res.problem; }
        showProblem(res.lead ? res.problem : "");
        return;
      }
      if (lead) { previewText.textContent = res.text; }
      showProblem(res.problem || "");
      showCount("count-as-written", res.as_written, !plain.checked);
      showCount("count-plain", res.plain, plain.checked);
    }).catch(function () { /* the next keystroke asks again */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  body.addEventListener("input", later);
  plain.addEventListener("change", refresh);
  campaign.addEventListener("change", refresh);
  document.getElementById("preview-button").addEventListener("click", refresh);
  leadInput.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); refresh(); }
  });
  refresh();
})();
