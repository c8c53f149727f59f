// The agent panel's "Send SMS" (admin_ui/routes/pages_sms_panel.py): on each pop, the templates of the call's
// campaign, the preview filled in for its lead with its parts, the send, and the lead's messages both ways.
(function () {
  "use strict";
  var T = window.PANEL_T || {};
  function t(key, values) {
    var text = Object.prototype.hasOwnProperty.call(T, key) ? T[key] : key;
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    return text;
  }
  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) { var e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; }
  var callId = null, hasLead = false;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function api(path, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = Object.assign({"accept": "application/json", "x-csrf-token": csrf}, options.headers || {});
    return fetch(path, options).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return {ok: r.ok, body: body}; });
    });
  }
  function result(text, cls) { var p = $("sms-result"); p.textContent = text || ""; p.className = cls || ""; }

  function renderMessages(items) {
    var table = $("pop-sms");
    table.textContent = "";
    if (!items || !items.length) {
      var tr0 = el("tr"); tr0.appendChild(el("td", t("sms_panel_none"), "muted")); table.appendChild(tr0); return;
    }
    items.forEach(function (m) {
      var tr = el("tr");
      tr.setAttribute("data-status", m.status);
      tr.setAttribute("data-direction", m.direction);
      tr.appendChild(el("td", (m.at || "").replace("T", " ").slice(0, 16)));
      tr.appendChild(el("td", t("sms_dir_" + m.direction)));
      tr.appendChild(el("td", m.body));
      var st = el("td", t("sms_status_" + m.status));
      if (m.reason) { st.appendChild(el("div", m.reason, "muted")); }
      tr.appendChild(st);
      table.appendChild(tr);
    });
  }
  function refreshMessages(times) {
    if (callId == null) return;
    var asked = callId;
    api("/api/sms/panel/messages?call_id=" + encodeURIComponent(asked)).then(function (res) {
      if (res.ok && asked === callId) { renderMessages(res.body.items); }
      if (times > 1 && asked === callId) { setTimeout(function () { refreshMessages(times - 1); }, 1500); }
    });
  }

  function preview() {
    var id = $("sms-template").value;
    $("sms-preview").textContent = ""; $("sms-count").textContent = ""; result("");
    $("btn-sms-send").disabled = true;
    if (!id || callId == null) return;
    var asked = callId;
    api("/api/sms/panel/preview?call_id=" + encodeURIComponent(asked) + "&template_id=" + encodeURIComponent(id)).then(function (res) {
      if (asked !== callId) return;
      if (!res.ok) { result(res.body.detail || "error", "error"); return; }
      if (!res.body.ok) { result(res.body.problem, "error"); return; }
      $("sms-preview").textContent = res.body.text;
      $("sms-count").textContent = t("sms_panel_count", {to: res.body.to, parts: res.body.parts, encoding: res.body.encoding, units: res.body.units});
      $("btn-sms-send").disabled = false;
    });
  }

  function loadTemplates() {
    var select = $("sms-template");
    select.textContent = "";
    var asked = callId;
    api("/api/sms/panel/templates?call_id=" + encodeURIComponent(asked)).then(function (res) {
      if (asked !== callId) return;
      if (!res.ok) { result(res.body.detail || "error", "error"); return; }
      var items = res.body.items || [];
      var first = el("option", items.length ? t("sms_panel_pick") : t("sms_panel_no_templates")); first.value = "";
      select.appendChild(first);
      items.forEach(function (x) { var o = el("option", x.name); o.value = String(x.id); select.appendChild(o); });
    });
  }

  function send() {
    var id = $("sms-template").value;
    if (!id || callId == null) return;
    $("btn-sms-send").disabled = true;
    result(t("sms_panel_sending"));
    api("/api/sms/panel/send", {method: "POST", headers: {"content-type": "application/json"},
                                body: JSON.stringify({call_id: Number(callId), template_id: Number(id)})}).then(function (res) {
      if (!res.ok) { result(res.body.detail || "error", "error"); return; }
      var b = res.body;
      if (b.status === "refused") { result(t("sms_panel_refused") + " " + (b.reason || ""), "error"); }
      else if (!b.ok) { result(b.reason || "", "error"); }
      else { result(t("sms_panel_sent") + (b.reason ? " " + b.reason : ""), "ok"); }
      refreshMessages(6);
    });
  }

  document.addEventListener("panel-pop", function (ev) {
    var m = ev.detail || {};
    callId = m.call_id != null ? String(m.call_id) : null;
    hasLead = !!m.lead;
    var box = $("sms-box");
    box.hidden = !m.lead;       // only a known lead can be texted
    $("sms-preview").textContent = ""; $("sms-count").textContent = ""; result("");
    $("btn-sms-send").disabled = true;
    renderMessages(m.messages || []);
    if (m.lead) { loadTemplates(); }
  });
  // a reply the customer sends while the pop is on screen shows up within 10 s
  setInterval(function () { if (hasLead && callId != null && !$("pop").hidden) { refreshMessages(1); } }, 10000);
  $("sms-template").addEventListener("change", preview);
  $("btn-sms-send").addEventListener("click", send);
})();
