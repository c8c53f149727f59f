// The wallboard: follows /wallboard/live (server-sent events; the browser reconnects by itself).
(function () {
  "use strict";
  var W = window.WALL || {t: {}};
  function pct(x) { return x == null ? "—" : (x * 100).toFixed(2) + "%"; }
  function cell(text, cls) { var td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; }
  var sortKey = "name", sortDir = 1, lastRows = [];
  function fmtSeconds(x) {
    x = Math.max(0, Math.round(Number(x) || 0));
    var h = Math.floor(x / 3600), m = Math.floor((x % 3600) / 60), sec = x % 60;
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return (h ? h + ":" + two(m) : String(m)) + ":" + two(sec);
  }
  function sortValue(row, key) {
    if (key === "call") return row.call ? (row.call.number || row.call.call_id) : "";
    if (key === "state") return W.t["st_" + row.state] || row.state;
    var v = row[key];
    return v == null ? "" : v;
  }
  function button(label, action, row) {
    var b = document.createElement("button");
    b.type = "button"; b.className = "secondary small"; b.textContent = label;
    b.setAttribute("data-action", action); b.setAttribute("data-agent", row.agent_id);
    b.setAttribute("data-name", row.name || "");
    return b;
  }
  function renderAgents(rows) {
    lastRows = rows || [];
    var body = document.querySelector("#wb-agents tbody");
    var sorted = lastRows.slice().sort(function (a, b) {
      var x = sortValue(a, sortKey), y = sortValue(b, sortKey);
      if (typeof x === "number" && typeof y === "number") return (x - y) * sortDir;
      return String(x).localeCompare(String(y)) * sortDir || (a.agent_id - b.agent_id);
    });
    body.textContent = "";
    sorted.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-agent", row.agent_id); tr.setAttribute("data-state", row.state);
      tr.appendChild(cell(row.name));
      var state = W.t["st_" + row.state] || row.state;
      if (row.pending_logout) state += " (" + W.t.wb_then_sign_out + ")";
      else if (row.pending_pause) state += " (" + W.t.wb_then_pause.replace("{reason}", row.pending_pause) + ")";
      tr.appendChild(cell(state, "wb-state"));
      tr.appendChild(cell(fmtSeconds(row.in_state_s), "num"));
      tr.appendChild(cell(row.pause_reason || "—", "wb-pause-code"));
      tr.appendChild(cell(row.campaign || "—"));
      var call = row.call;
      tr.appendChild(cell(call ? (call.number || "#" + call.call_id) + (call.connected_s != null ? " · " + fmtSeconds(call.connected_s) : "") : "—"));
      tr.appendChild(cell(String(row.calls_today || 0), "num"));
      tr.appendChild(cell(fmtSeconds(row.talk_s), "num"));
      var actions = document.createElement("td");
      actions.className = "wb-actions";
      if (row.state !== "paused" && !row.pending_pause && !row.pending_logout) actions.appendChild(button(W.t.wb_pause, "pause", row));
      if (!row.pending_logout) actions.appendChild(button(W.t.wb_sign_out, "sign-out", row));
      if (row.state === "on_call") {   // live supervision: the lead's phone rings into ChanSpy on this agent
        ["listen", "whisper", "barge"].forEach(function (mode) { actions.appendChild(button(W.t["wb_" + mode], mode, row)); });
      }
      actions.appendChild(button(W.t.wb_message, "message", row));
      tr.appendChild(actions);
      body.appendChild(tr);
    });
    document.getElementById("wb-agents-empty").hidden = lastRows.length > 0;
    document.querySelectorAll("#wb-agents th[data-key]").forEach(function (th) {
      var key = th.getAttribute("data-key");
      if (key === sortKey) th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
  }
  document.querySelectorAll("#wb-agents th[data-key] button").forEach(function (b) {
    b.addEventListener("click", function () {
      var key = b.parentNode.getAttribute("data-key");
      if (key === sortKey) sortDir = -sortDir; else { sortKey = key; sortDir = 1; }
      document.getElementById("wb-agents").setAttribute("data-sort", (sortDir < 0 ? "-" : "") + sortKey);
      renderAgents(lastRows);
    });
  });
  var busy = false;
  document.querySelector("#wb-agents tbody").addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-action]");
    if (!b || busy) return;
    var action = b.getAttribute("data-action"), id = b.getAttribute("data-agent");
    if (action === "sign-out" && !window.confirm(W.t.wb_confirm_sign_out.replace("{name}", b.getAttribute("data-name")))) return;
    var body = "";
    if (action === "message") {
      var text = window.prompt(W.t.wb_message_prompt.replace("{name}", b.getAttribute("data-name")));
      if (!text) return;
      body = "text=" + encodeURIComponent(text);
    }
    post("/wallboard/agents/" + encodeURIComponent(id) + "/" + action, body, function (data) {
      if (data.mode) document.getElementById("wb-supervising").hidden = false;   // a listen, whisper or barge
    });
  });
  function post(url, body, done) {
    var token = (document.querySelector("meta[name=csrf-token]") || {}).content || "";
    var out = document.getElementById("wb-action-result");
    busy = true;
    fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"x-csrf-token": token, "content-type": "application/x-www-form-urlencoded"}, body: body
    }).then(function (r) {
      return r.json().then(function (data) {
        out.hidden = false;
        out.className = "notice " + (r.ok ? "ok" : "error");
        out.textContent = r.ok ? data.message : String(data.detail || W.t.not_done);
        if (r.ok && done) done(data);
      });
    }).catch(function () {
      out.hidden = false; out.className = "notice error"; out.textContent = W.t.live_lost;
    }).then(function () { busy = false; });
  }
  document.getElementById("wb-stop-supervising").addEventListener("click", function () {
    if (busy) return;
    post("/wallboard/supervise/stop", "", function () { document.getElementById("wb-supervising").hidden = true; });
  });
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
    if ("agent_rows" in s) renderAgents(s.agent_rows);
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
    Object.keys(s.health_pauses || {}).forEach(function (id) {   // campaigns that paused themselves
      var p = s.health_pauses[id], tr = document.createElement("tr"), text = W.t["health_" + p.code] || p.code;
      tr.className = "health-pause";
      tr.appendChild(cell(p.name));
      tr.appendChild(cell(text.replace("{count}", p.count).replace("{detail}", p.detail), "error"));
      ["", "", ""].forEach(function () { tr.appendChild(cell("—", "num")); });
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
