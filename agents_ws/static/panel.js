// The agent panel: one websocket to /agent/ws, reconnecting by itself; the server is the source of truth.
(function () {
  "use strict";
  var T = window.PANEL_T || {};
  function t(key, values) {
    var text = T[key] || key;
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    return text;
  }
  function has(key) { return Object.prototype.hasOwnProperty.call(T, key); }
  // a pause reason: the label the team lead gave its code, else the panel's own text (a key), else the code
  function pauseLabel(reason) {
    var campaign = campaigns[state.campaign_id], label = "";
    ((campaign && campaign.pause_codes) || []).forEach(function (p) { if (p.code === reason) label = p.label; });
    return label || (has("pause_" + reason) ? t("pause_" + reason) : reason);
  }
  // the call this agent received by transfer and has not disposed of yet: {from_agent_id, from_name, stage}
  function received() { return (state.call && state.call.transfer) || null; }
  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) { var e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; }
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  var ws = null, backoff = 500, campaigns = {}, state = {state: "logged_out"}, since = Date.now(), wrapEnd = null;
  var pop = null, active = true, bannerTimer = null, phoneNotice = null, notice = null;

  function fmt(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s).padStart(2, "0");
  }
  function banner(text, kind) {
    var b = $("banner");
    b.textContent = text; b.className = "notice " + (kind || "error"); b.hidden = false;
    clearTimeout(bannerTimer);
    bannerTimer = setTimeout(function () { b.hidden = true; }, 8000);
  }
  function send(message) {
    if (!ws || ws.readyState !== 1) { banner(t("ws_reconnecting")); return; }
    ws.send(JSON.stringify(message));
  }
  window.panelSend = send;   // for the scripted survey's card (/static/panel_survey.js)

  // --- connection ---------------------------------------------------------------------------
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/agent/ws?csrf=" + encodeURIComponent(csrf));
    ws.onopen = function () { backoff = 500; setConn(true); };
    ws.onmessage = function (ev) { handle(JSON.parse(ev.data)); };
    ws.onclose = function (ev) {
      setConn(false);
      if (ev.code === 4401) { sessionOver(); return; }
      if (ev.code === 4403) { banner(t("session_over")); return; }
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 5000);
    };
  }
  function setConn(up) {
    var c = $("st-conn");
    c.textContent = up ? t("ws_connected") : t("ws_reconnecting");
    c.className = "conn " + (up ? "up" : "down");
    document.body.setAttribute("data-ws", up ? "up" : "down");
  }
  function sessionOver() {
    banner(t("session_over"));
    setTimeout(function () { location.href = "/login?expired=1&next=/agent"; }, 1500);
  }

  // --- messages from the server ---------------------------------------------------------------
  function handle(m) {
    switch (m.type) {
      case "hello":
        campaigns = {};
        (m.campaigns || []).forEach(function (c) { campaigns[c.id] = c; });
        setActive(m.active);
        break;
      case "state": onState(m); break;
      case "pop": onPop(m); break;
      case "crm": onCrm(m); break;
      case "survey": document.dispatchEvent(new CustomEvent("panel-survey", {detail: m})); break;   // /static/panel_survey.js
      case "preview": onPreview(m.lead); break;
      case "leads": onLeads(m.items || []); break;
      case "agents": onAgents(m.items || []); break;
      case "queues": onQueues(m.items || []); break;
      case "callbacks": onCallbacks(m.items || []); break;
      case "tab": setActive(m.active); break;
      case "expired": sessionOver(); break;
      case "heartbeat": send({type: "ping"}); break;   // the server closes a panel that stops answering
      case "error": banner(m.message); break;
      case "ok":
        if (m.request === "dispose") { banner(t("dispo_saved"), "ok"); }
        if (m.request === "dial_number") { banner(t("dialing"), "ok"); $("manual-number").value = ""; }
        break;
    }
  }

  function setActive(isActive) {
    active = !!isActive;
    $("tab-banner").hidden = active;
    document.body.setAttribute("data-tab", active ? "active" : "read-only");
    document.querySelectorAll("#panel button, #panel select, #panel input, #panel textarea").forEach(function (e) {
      if (e.id !== "take-over") { e.disabled = !active || e.hasAttribute("data-off"); }
    });
    if (active) { render(); }
  }

  function onState(m) {
    var was = state.state;
    state = m;
    if (m.state === "ready" && was !== "ready" && active) { send({type: "callbacks"}); }
    since = Date.now() - (m.in_state_s || 0) * 1000;
    wrapEnd = m.wrap_left_s != null ? Date.now() + m.wrap_left_s * 1000 : null;   // disposed, the queue's wrap-up
    if (m.engine === false) { $("idle-text").textContent = t("engine_down"); }
    if ((m.phone_notice || null) !== phoneNotice) {   // the engine calls a phone a PBX restart cut again
      phoneNotice = m.phone_notice || null;
      if (phoneNotice) { banner(t(phoneNotice), phoneNotice === "phone_reconnected" ? "ok" : "error"); }
    }
    if ((m.notice || null) !== notice) {   // e.g. paused because this panel was disconnected
      notice = m.notice || null;
      if (notice) { banner(t(notice), "error"); }
    }
    $("monitored").hidden = !m.monitored;   // a team lead listens in, and the campaign tells its agents
    if (m.lead_message) {                    // the last message a team lead sent from the wallboard
      $("lead-message-from").textContent = t("lead_message_from", {name: m.lead_message.from}) + ":";
      $("lead-message-text").textContent = m.lead_message.text;
      $("lead-message").hidden = false;
    }
    if (!m.call && pop && (m.state !== "wrap_up" || wrapEnd !== null)) { pop = null; }
    render();
  }

  function render() {
    var s = state.state || "logged_out";
    var badge = $("st-state");
    badge.textContent = t("st_" + s) + (s === "paused" && state.pause_reason ? " · " + pauseLabel(state.pause_reason) : "")
      + (s === "wrap_up" && wrapEnd !== null ? " · " + t("wrap_next_in", {s: wrapLeft()}) : "");
    badge.className = "state-badge badge " + s;
    document.body.setAttribute("data-state", s);
    $("st-calls").textContent = String(state.calls_today || 0);
    $("st-talk").textContent = fmt(state.talk_s || 0);
    var campaign = campaigns[state.campaign_id];
    $("st-campaign").textContent = campaign ? campaign.name : "—";
    applyCampaign(campaign);
    var working = s !== "logged_out";
    $("login-box").hidden = working;
    $("work-box").hidden = !working;
    $("search-box").hidden = !working || s === "connecting";
    $("callbacks-box").hidden = !working || s === "connecting";
    $("manual-box").hidden = !working || s === "connecting";
    $("preview-box").hidden = !(working && campaign && campaign.dial_mode === "preview");
    var xfer = received();
    toggle("btn-hangup", s === "on_call" || !!(xfer && xfer.stage !== "wrap_up"));   // the receiver may leave a consult
    toggle("btn-ready", s === "paused" && !xfer);   // paused for a call transferred to it: not before it is done
    toggle("btn-pause", s === "ready" || s === "on_call" || s === "wrap_up" || s === "reserved");
    toggle("btn-dispose", (s === "wrap_up" && wrapEnd === null) || !!(xfer && xfer.stage === "wrap_up"));
    renderRecording(s);
    $("pop").hidden = !pop;
    $("idle").hidden = !!pop;
    if (pop && state.call) {
      $("pop-call-state").textContent = xfer ? t(STAGE_KEYS[xfer.stage] || "transfer_wrap_up") : t("st_" + s);
    }
    renderTransfer(s);
    var from = $("pop-transfer");
    from.hidden = !(pop && xfer);
    from.textContent = xfer ? t("transferred_from", {name: xfer.from_name || String(xfer.from_agent_id)}) : "";
  }
  // the call's recording: paused during a card payment (MixMonitorMute), and shown as such
  function renderRecording(s) {
    var rec = (state.call && state.call.recording) || null, on = !!(rec && rec.active && s === "on_call");
    var button = $("btn-recording"), badge = $("rec-state");
    button.hidden = !on; badge.hidden = !on;
    toggle("btn-recording", on);
    var paused = !!(rec && rec.paused);
    document.body.setAttribute("data-recording", !rec || !rec.active ? "off" : (paused ? "paused" : "on"));
    button.firstChild.textContent = t(paused ? "recording_resume" : "recording_pause");
    button.setAttribute("data-paused", paused ? "1" : "0");
    badge.textContent = t(paused ? "recording_paused" : "recording_on");
    badge.className = "badge " + (paused ? "warn" : "danger");
  }
  // the receiving agent's call, by stage: talked to first, in a 3-way, its own (talking), then its disposition
  var STAGE_KEYS = {consult: "transfer_consult_stage", conference: "transfer_conference_stage",
                    talking: "transfer_talking", wrap_up: "transfer_wrap_up"};
  // the sender's transfer box: agents picked by name (blind, talk first, 3-way), or the transfer under way
  function renderTransfer(s) {
    var consult = state.consult || null, onCall = s === "on_call";
    $("transfer-agents-box").hidden = !!consult;
    $("consult-box").hidden = !consult;
    if (consult) {
      $("transfer-box").open = true;
      $("consult-text").textContent = t(consult.stage === "consult" ? "consult_with" : "conference_with",
                                        {name: consult.to_name || String(consult.to_agent_id)});
    }
    var picked = !!$("transfer-agent").value;
    ["btn-transfer-agent", "btn-consult", "btn-three-way"].forEach(function (id) { toggle(id, onCall && picked && !consult); });
    toggle("btn-transfer", onCall && !consult);
    toggle("btn-transfer-queue", onCall && !consult && !!$("transfer-queue").value);
    toggle("btn-consult-three-way", !!consult && consult.stage === "consult");
    toggle("btn-consult-complete", !!consult);
    toggle("btn-consult-cancel", !!consult);
  }
  function onAgents(items) {
    var select = $("transfer-agent"), was = select.value;
    select.textContent = "";
    if (!items.length) { var none = el("option", t("no_ready_agents")); none.value = ""; select.appendChild(none); }
    items.forEach(function (a) { var o = el("option", a.name); o.value = String(a.id); select.appendChild(o); });
    if (was && items.some(function (a) { return String(a.id) === was; })) { select.value = was; }
    render();
  }
  function onQueues(items) {   // the inbound queues a customer can be sent to (a closed one says so)
    var select = $("transfer-queue"), was = select.value;
    select.textContent = "";
    if (!items.length) { var none = el("option", t("no_queues")); none.value = ""; select.appendChild(none); }
    items.forEach(function (q) {
      var o = el("option", q.open ? q.name : q.name + " (" + t("queue_closed_now") + ")");
      o.value = String(q.id); select.appendChild(o);
    });
    if (was && items.some(function (q) { return String(q.id) === was; })) { select.value = was; }
    render();
  }
  // an inbound call's pop (dialer.inbound_pop): its queue, wait, who sent it there, other leads, new contact form
  function renderInbound(m) {
    var box = $("pop-inbound"), inbound = m.direction === "inbound", back = m.queue_callback;
    box.hidden = !inbound && !back && !m.from_survey;
    box.textContent = "";
    $("new-contact-form").hidden = !(inbound && m.new_contact);
    $("pop-matches-box").hidden = !(inbound && m.matches && m.matches.length > 1);
    if (!inbound) {   // a caller who pressed 1 in a queue, called back now
      if (back) box.textContent = t("callback_from_queue", {queue: back.queue || "", seconds: String(back.waited_s || 0)});
      if (m.from_survey) box.textContent = surveyText(m.from_survey);
      return;
    }
    var parts = [t("inbound_call_from_queue", {queue: (m.queue && m.queue.name) || ""}),
                 t("inbound_waited", {seconds: String(Math.round(m.waited_s || 0))})];
    if (m.did) parts.push(t("inbound_dialled", {did: m.did}));
    if (m.vip) parts.push(t("inbound_vip"));
    if (m.queue_transfer) parts.push(t("inbound_sent_by", {name: m.queue_transfer.from_name || String(m.queue_transfer.from_agent_id)}));
    if (m.from_survey) parts.push(surveyText(m.from_survey));
    box.textContent = parts.join(" · ");
    if (m.new_contact) {
      $("new-contact-title").textContent = t("new_contact_title", {campaign: m.new_contact.name});
      $("new-contact-first").value = ""; $("new-contact-last").value = "";
    }
    var list = $("pop-matches");
    list.textContent = "";
    $("pop-matches-title").textContent = t("inbound_other_leads");
    (m.matches || []).slice(1).forEach(function (x) {
      var name = ((x.lead.first_name || "") + " " + (x.lead.last_name || "")).trim() || t("no_lead");
      list.appendChild(el("li", name + " · " + (x.campaign ? x.campaign.name : "") + " · " + x.lead.phone));
    });
  }
  function surveyText(sv) {   // pressed 0 in a survey (dialer.survey_desk): its name and the answers given
    var answers = (sv.answers || []).map(function (a) {
      return a.question + " " + (a.answer === null || a.answer === undefined ? t("survey_skipped") : a.answer);
    });
    return t("survey_pressed_0", {survey: sv.name || ""}) + (answers.length ? ": " + answers.join("; ") : "");
  }
  function toggle(id, on) {
    var e = $(id);
    if (on) { e.removeAttribute("data-off"); } else { e.setAttribute("data-off", ""); }
    e.disabled = !on || !active;
  }

  function onPop(m) {
    pop = m;
    var lead = m.lead;
    $("pop-name").textContent = lead ? ((lead.first_name + " " + lead.last_name).trim() || t("no_lead")) : t("no_lead");
    $("pop-phone").textContent = lead ? lead.phone : (m.number || "");
    var fields = $("pop-fields");
    fields.textContent = "";
    if (lead) {
      var rows = [[t("attempts"), lead.attempts]];
      if (lead.postal_code) rows.push([t("postal_code"), lead.postal_code]);
      Object.keys(lead.fields || {}).forEach(function (k) { rows.push([k, lead.fields[k]]); });
      rows.forEach(function (r) { var tr = el("tr"); tr.appendChild(el("th", r[0])); tr.appendChild(el("td", String(r[1]))); fields.appendChild(tr); });
    }
    var history = $("pop-history");
    history.textContent = "";
    if (!m.history || !m.history.length) {
      var tr0 = el("tr"); tr0.appendChild(el("td", t("history_none"), "muted")); history.appendChild(tr0);
    } else {
      var labels = {};   // the campaign's disposition labels, by code
      ((m.campaign && m.campaign.dispositions) || []).forEach(function (d) { labels[d.code] = d.label; });
      var head = el("tr");
      [t("when"), t("outcome"), t("disposition"), t("notes"), t("agent")].forEach(function (h) { head.appendChild(el("th", h)); });
      history.appendChild(head);
      m.history.forEach(function (h) {
        var tr = el("tr");
        tr.appendChild(el("td", (h.originated_at || "").replace("T", " ").slice(0, 16)));
        tr.appendChild(el("td", h.outcome ? t("outcome_" + h.outcome) : ""));
        tr.appendChild(el("td", h.disposition ? (labels[h.disposition] || h.disposition) : ""));
        tr.appendChild(el("td", h.notes || ""));
        tr.appendChild(el("td", h.agent || ""));
        history.appendChild(tr);
      });
    }
    var crm = $("pop-crm");
    crm.textContent = m.campaign && m.campaign.crm ? t("crm_loading") : t("crm_none");
    crm.className = "muted";
    var codes = $("dispo-codes");
    codes.textContent = "";
    var keys = (!m.dispositions && m.campaign && m.campaign.shortcuts) || {};
    (m.dispositions || (m.campaign && m.campaign.dispositions) || []).forEach(function (d) {   // an inbound call: its queue's
      var label = el("label"); var input = el("input");
      input.type = "radio"; input.name = "code"; input.value = d.code;
      label.appendChild(input); label.appendChild(document.createTextNode(d.label));
      showKey(label, keys["disposition:" + d.code]);
      codes.appendChild(label);
    });
    var script = $("pop-script");   // the campaign's agent script, filled in with this call's lead
    script.hidden = !(m.script || m.script_problem);
    $("pop-script-text").textContent = m.script || "";
    $("pop-script-problem").hidden = !m.script_problem;
    $("pop-script-problem").textContent = m.script_problem ? t("script_failed") + " " + m.script_problem : "";
    $("dispo-notes").value = "";
    $("callback-at").value = "";
    $("callback-zone").textContent = "(" + (m.zone || "UTC") + ")";
    $("pop").setAttribute("data-call", m.call_id);
    renderInbound(m);
    render();
    setActive(active);
    document.dispatchEvent(new CustomEvent("panel-pop", {detail: m}));   // the SMS box (/static/sms_panel.js)
  }

  function onCrm(m) {
    if (!pop || String(m.call_id) !== String(pop.call_id)) return;
    var box = $("pop-crm");
    box.textContent = "";
    if (!m.ok) { box.textContent = t("crm_failed") + " " + (m.error || ""); box.className = "error"; return; }
    box.className = "";
    var table = el("table", null, "kv");
    Object.keys(m.data || {}).forEach(function (k) {
      var v = m.data[k]; var tr = el("tr");
      tr.appendChild(el("th", k)); tr.appendChild(el("td", typeof v === "object" ? JSON.stringify(v) : String(v)));
      table.appendChild(tr);
    });
    box.appendChild(table);
  }

  function onPreview(lead) {
    var box = $("preview-lead");
    box.textContent = "";
    if (!lead) { box.appendChild(el("p", t("no_preview"), "muted")); return; }
    box.appendChild(el("p", ((lead.first_name || "") + " " + (lead.last_name || "")).trim() + " · " + lead.phone));
    var dial = el("button", t("call"), "good small"); dial.type = "button";
    dial.onclick = function () { send({type: "preview_dial", lead_id: lead.lead_id}); box.textContent = t("dialing"); };
    var skip = el("button", t("skip"), "secondary small"); skip.type = "button";
    skip.onclick = function () { send({type: "preview_skip", lead_id: lead.lead_id}); box.textContent = ""; };
    var actions = el("div", null, "actions"); actions.appendChild(dial); actions.appendChild(skip);
    box.appendChild(actions);
  }

  function onLeads(items) {
    var list = $("search-results");
    list.textContent = "";
    if (!items.length) { list.appendChild(el("li", t("no_results"), "muted")); return; }
    items.forEach(function (lead) {
      var li = el("li");
      li.appendChild(el("span", ((lead.first_name + " " + lead.last_name).trim() || "—") + " · " + lead.phone));
      var b = el("button", t("call"), "small good"); b.type = "button";
      b.onclick = function () { send({type: "dial", lead_id: lead.id}); };
      li.appendChild(b);
      list.appendChild(li);
    });
  }

  function onCallbacks(items) {
    var list = $("callback-list");
    list.textContent = "";
    if (!items.length) { list.appendChild(el("li", t("no_callbacks"), "muted")); return; }
    items.forEach(function (cb) {
      var li = el("li"), lead = cb.lead, due = new Date(cb.due_at);
      // the customer's own clock and zone (the time agreed with them), else this browser's clock
      var when = cb.due_local ? cb.due_local + " (" + cb.zone + ")" : due.toLocaleString([], {dateStyle: "short", timeStyle: "short"});
      li.appendChild(el("span", when + " · " +
        ((lead.first_name + " " + lead.last_name).trim() || lead.phone) + (cb.note ? " — " + cb.note : "")));
      var b = el("button", t("call"), "small good"); b.type = "button";
      b.onclick = function () { send({type: "dial", lead_id: lead.id}); };
      li.appendChild(b);
      list.appendChild(li);
    });
  }

  // --- the campaign's keyboard shortcuts and pause codes (set by the team lead) -----------------
  var shownFor = null;
  function showKey(e, key) {   // the key on the button (or disposition), e.g. "Ready [R]"
    var old = e.querySelector("kbd.shortcut");
    if (old) old.remove();
    if (key) { e.appendChild(el("kbd", key, "shortcut")); e.setAttribute("aria-keyshortcuts", key); }
    else { e.removeAttribute("aria-keyshortcuts"); }
  }
  function applyCampaign(campaign) {
    if (!campaign || shownFor === campaign) return;
    shownFor = campaign;
    var keys = campaign.shortcuts || {};
    showKey($("btn-ready"), keys.ready); showKey($("btn-pause"), keys.pause); showKey($("btn-hangup"), keys.hangup);
    showKey($("btn-recording"), keys.recording);
    var select = $("pause-reason"), chosen = select.value;
    select.textContent = "";
    (campaign.pause_codes || []).forEach(function (p) {
      var option = el("option", p.label || (has("pause_" + p.code) ? t("pause_" + p.code) : p.code));
      option.value = p.code; select.appendChild(option);
    });
    if (chosen) select.value = chosen;
    if (!select.value && select.options.length) select.selectedIndex = 0;
  }
  function keyName(ev) {   // the pressed key as the team lead writes it: R, 1, F2, Alt+Shift+R
    var found = /^(?:Key([A-Z])|Digit([0-9])|Numpad([0-9])|(F[0-9]{1,2}))$/.exec(ev.code || "");
    if (!found) return null;
    // a letter as the keyboard's layout names it (R on AZERTY too); digits and F keys by their place
    var letter = found[1] && /^[a-z]$/i.test(ev.key || "") ? ev.key.toUpperCase() : found[1];
    return (ev.altKey ? "Alt+" : "") + (ev.shiftKey ? "Shift+" : "") + (letter || found[2] || found[3] || found[4]);
  }
  function typing(target) {   // shortcuts never fire while the agent types (notes, search, a number)
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || target.isContentEditable) return true;
    return tag === "input" && ["radio", "checkbox", "button", "submit"].indexOf((target.type || "").toLowerCase()) < 0;
  }
  function pressIfOn(id) { var b = $(id); if (b && !b.disabled) { b.click(); return true; } return false; }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.repeat || !active || typing(ev.target)) return;
    var campaign = campaigns[state.campaign_id] || (pop && pop.campaign), name = keyName(ev);
    if (!campaign || !name) return;
    var keys = campaign.shortcuts || {}, action = null;
    Object.keys(keys).forEach(function (a) { if (keys[a] === name) action = a; });
    if (!action) return;
    ev.preventDefault();
    if (action === "ready") { pressIfOn("btn-ready"); return; }
    if (action === "pause") { pressIfOn("btn-pause"); return; }
    if (action === "hangup") { pressIfOn("btn-hangup"); return; }
    if (action === "recording") { pressIfOn("btn-recording"); return; }
    if (action.indexOf("disposition:") === 0 && pop) {   // choose it, and save it once the call may be disposed of
      var code = action.slice("disposition:".length);
      var input = document.querySelector('#dispo-codes input[name="code"][value="' + CSS.escape(code) + '"]');
      if (input) { input.checked = true; pressIfOn("btn-dispose"); }
    }
  });

  // --- the agent's actions ------------------------------------------------------------------
  function on(id, fn) { var e = $(id); if (e) e.addEventListener("click", fn); }
  on("btn-login", function () { send({type: "login", campaign_id: Number($("campaign").value)}); });
  on("btn-ready", function () { send({type: "ready"}); });
  on("btn-pause", function () { send({type: "pause", reason: $("pause-reason").value}); });
  on("btn-logout", function () { send({type: "logout"}); });
  on("btn-hangup", function () { send({type: "hangup"}); });
  on("btn-recording", function () {
    send({type: "recording", paused: $("btn-recording").getAttribute("data-paused") !== "1"});
  });
  on("btn-next", function () { send({type: "preview_next"}); });
  on("take-over", function () { send({type: "take_over"}); });
  on("btn-callbacks", function () { send({type: "callbacks"}); });
  on("btn-transfer", function () {
    var number = $("transfer-number").value.trim();
    if (number) { send({type: "transfer", to_number: number}); }
  });
  function pickedAgent() { return Number($("transfer-agent").value); }
  $("transfer-box").addEventListener("toggle", function () { if ($("transfer-box").open) send({type: "agents"}); });
  on("btn-agents", function () { send({type: "agents"}); });
  on("btn-transfer-agent", function () { send({type: "transfer", to_agent_id: pickedAgent()}); });
  on("btn-consult", function () { send({type: "warm", action: "consult", to_agent_id: pickedAgent()}); });
  on("btn-three-way", function () { send({type: "warm", action: "three_way", to_agent_id: pickedAgent()}); });
  on("btn-consult-three-way", function () { send({type: "warm", action: "conference"}); });
  on("btn-consult-complete", function () { send({type: "warm", action: "complete"}); });
  on("btn-consult-cancel", function () { send({type: "warm", action: "cancel"}); });
  $("transfer-agent").addEventListener("change", render);
  $("transfer-queue").addEventListener("change", render);
  $("transfer-box").addEventListener("toggle", function () { if ($("transfer-box").open) send({type: "queues"}); });
  on("btn-transfer-queue", function () {
    var queue = Number($("transfer-queue").value);
    if (queue) { send({type: "transfer", to_queue_id: queue}); }
  });
  $("new-contact-form").addEventListener("submit", function (ev) {   // an unknown inbound caller becomes a lead
    ev.preventDefault();
    if (!pop) return;
    send({type: "create_contact", call_id: String(pop.call_id), first_name: $("new-contact-first").value,
          last_name: $("new-contact-last").value});
  });
  $("manual-form").addEventListener("submit", function (ev) {   // a number the agent typed
    ev.preventDefault();
    var number = $("manual-number").value.trim();
    if (number) { send({type: "dial_number", number: number}); }
  });
  $("search-form").addEventListener("submit", function (ev) {
    ev.preventDefault(); send({type: "search", text: $("search-text").value});
  });
  $("dispo-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!pop) return;
    var code = document.querySelector('#dispo-codes input[name="code"]:checked');
    if (!code) { banner(t("pick_disposition")); return; }
    var when = $("callback-at").value;
    send({type: "dispose", call_id: String(pop.call_id), code: code.value, notes: $("dispo-notes").value,
          callback_at: when || null, callback_zone: when ? (pop.zone || "UTC") : null,
          callback_personal: $("callback-personal").checked});
  });
  setInterval(function () {
    $("st-time").textContent = fmt((Date.now() - since) / 1000);
    if (wrapEnd !== null && state.state === "wrap_up") { render(); }   // the wrap-up countdown
  }, 1000);
  function wrapLeft() { return Math.max(0, Math.ceil((wrapEnd - Date.now()) / 1000)); }
  setInterval(function () { if (ws && ws.readyState === 1) ws.send(JSON.stringify({type: "ping"})); }, 25000);
  connect();
})();
