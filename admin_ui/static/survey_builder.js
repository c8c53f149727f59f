// The survey builder: keeps the definition (surveys.model's JSON form) in memory, draws it as a form, saves it
// to /api/surveys[/id]; the server checks everything and names the field it refuses, which is marked here.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("sv-data").textContent);
  var T = data.texts;
  var def = data.definition;
  var surveyId = data.survey_id;
  var token = (document.querySelector("meta[name=csrf-token]") || {}).content || "";
  var KINDS = ["rating", "nps", "yes_no", "choice", "number", "recording"];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function labelled(text, input) { return el("label", {}, [document.createTextNode(text + " "), input]); }
  function input(value, onchange, attrs) {
    var node = el("input", attrs || {});
    node.value = value === undefined || value === null ? "" : value;
    node.addEventListener("input", function () { onchange(node.value); });
    return node;
  }
  function select(options, value, onchange, attrs) {
    var node = el("select", attrs || {});
    options.forEach(function (o) {
      var opt = el("option", {value: o[0], text: o[1]});
      if (String(o[0]) === String(value)) opt.selected = true;
      node.appendChild(opt);
    });
    node.addEventListener("change", function () { onchange(node.value); });
    return node;
  }

  // --- a prompt: parts of kind sound (Asterisk sound name), upload (a converted recording), number (SayNumber)
  function promptEditor(parts, where) {
    var box = el("div", {"class": "sv-prompt-list"});
    function draw() {
      box.innerHTML = "";
      parts.forEach(function (part, i) {
        var row = el("div", {"class": "sv-prompt"});
        row.appendChild(select([["sound", T.prompt_sound], ["upload", T.prompt_upload], ["number", T.prompt_number]],
          part.kind, function (v) { part.kind = v; part.value = ""; draw(); }, {"aria-label": T.prompt, "class": "sv-prompt-kind"}));
        if (part.kind === "upload") {
          var status = el("span", {"class": "muted sv-upload-status", text: part.value ? part.value : ""});
          var file = el("input", {type: "file", accept: ".wav,.mp3,audio/wav,audio/mpeg", "aria-label": T.upload,
                                  "class": "sv-upload"});
          file.addEventListener("change", function () {
            if (!file.files.length) return;
            status.textContent = T.uploading;
            var form = new FormData();
            form.append("file", file.files[0]);
            fetch("/api/surveys/prompts", {method: "POST", credentials: "same-origin", body: form,
                                           headers: {"x-csrf-token": token}})
              .then(function (r) { return r.json(); })
              .then(function (answer) {
                if (answer.ok) { part.value = answer.id; status.textContent = answer.message; drawPlayer(); }
                else { part.value = ""; status.textContent = answer.problem; status.className = "error sv-upload-status"; }
              });
          });
          row.appendChild(file);
          row.appendChild(status);
          var player = el("span");
          var drawPlayer = function () {
            player.innerHTML = "";
            if (part.value) player.appendChild(el("audio", {controls: "", preload: "none", src: "/surveys/prompts/" + part.value + ".wav"}));
          };
          drawPlayer();
          row.appendChild(player);
        } else {
          row.appendChild(input(part.value, function (v) { part.value = v; },
            {"aria-label": part.kind === "number" ? T.prompt_number : T.prompt_sound, "class": "sv-prompt-value",
             placeholder: part.kind === "number" ? "42" : "vm-press"}));
        }
        if (parts.length > 1) row.appendChild(el("button", {type: "button", text: "×", "aria-label": T.remove,
          onclick: function () { parts.splice(i, 1); draw(); }}));
        box.appendChild(row);
      });
      box.appendChild(el("button", {type: "button", text: "+", "aria-label": T.prompt, "class": "sv-prompt-add",
        onclick: function () { parts.push({kind: "sound", value: ""}); draw(); }}));
    }
    draw();
    return box;
  }

  function linesOf(text) { return text.split("\n").map(function (l) { return l.trim(); }).filter(Boolean); }
  function choicesText(q) { return (q.choices || []).map(function (c) { return c.digit + " | " + c.label; }).join("\n"); }
  function parseChoices(text) {
    return linesOf(text).map(function (line) {
      var cut = line.indexOf("|");
      return cut < 0 ? {digit: line, label: ""} : {digit: line.slice(0, cut).trim(), label: line.slice(cut + 1).trim()};
    });
  }
  function branchesText(q) {
    return Object.keys(q.branches || {}).map(function (k) { return k + " → " + q.branches[k]; }).join("\n");
  }
  function parseBranches(text) {
    var out = {};
    linesOf(text).forEach(function (line) {
      var parts = line.split(/\s*(?:→|->|:|=)\s*/);
      out[parts[0]] = parts.length > 1 ? parts[1] : "";
    });
    return out;
  }
  function retry(q, key, label) {
    q[key] = q[key] || {repeats: 2, then: "skip"};
    var rule = q[key];
    return el("div", {"class": "sv-retry"}, [
      labelled(label, input(rule.repeats, function (v) { rule.repeats = v === "" ? 0 : Number(v); },
        {type: "number", min: "0", max: "5", "class": "sv-" + key + "-repeats", style: "width:4em"})),
      select([["skip", T.then_skip], ["end", T.then_end]], rule.then, function (v) { rule.then = v; },
        {"class": "sv-" + key + "-then", "aria-label": label})]);
  }

  function questionCard(q, i) {
    var card = el("div", {"class": "sv-question", "data-qid": q.id, "data-index": String(i)});
    var grid = el("div", {"class": "sv-grid"});
    grid.appendChild(labelled(T.question_id, input(q.id, function (v) { q.id = v; card.setAttribute("data-qid", v); },
      {"class": "sv-qid", maxlength: "40"})));
    grid.appendChild(labelled(T.kind, select(KINDS.map(function (k) { return [k, T["kind_" + k]]; }), q.kind,
      function (v) { q.kind = v; if (v === "choice" && !(q.choices || []).length) q.choices = [{digit: "1", label: "?"}, {digit: "2", label: "?"}]; draw(); },
      {"class": "sv-kind"})));
    grid.appendChild(labelled(T.question_text, input(q.text, function (v) { q.text = v; }, {"class": "sv-text", maxlength: "500"})));
    grid.appendChild(labelled(T.timeout_s, input(q.timeout_s || 6, function (v) { q.timeout_s = Number(v); },
      {type: "number", min: "1", max: "30", "class": "sv-timeout"})));
    if (q.kind === "choice") {
      var area = el("textarea", {"class": "sv-choices", rows: "3"});
      area.value = choicesText(q);
      area.addEventListener("input", function () { q.choices = parseChoices(area.value); });
      grid.appendChild(labelled(T.choices, area));
    }
    if (q.kind === "number") {
      grid.appendChild(labelled(T.min_digits, input(q.min_digits || 1, function (v) { q.min_digits = Number(v); },
        {type: "number", min: "1", max: "20", "class": "sv-min-digits"})));
      grid.appendChild(labelled(T.max_digits, input(q.max_digits || 6, function (v) { q.max_digits = Number(v); },
        {type: "number", min: "1", max: "20", "class": "sv-max-digits"})));
    }
    if (q.kind === "recording") {
      grid.appendChild(labelled(T.max_record_s, input(q.max_record_s || 30, function (v) { q.max_record_s = Number(v); },
        {type: "number", min: "1", max: "300", "class": "sv-max-record"})));
    }
    if (["rating", "nps", "yes_no", "choice"].indexOf(q.kind) >= 0) {
      var branches = el("textarea", {"class": "sv-branches", rows: "2", placeholder: "no → q3"});
      branches.value = branchesText(q);
      branches.addEventListener("input", function () { q.branches = parseBranches(branches.value); });
      grid.appendChild(labelled(T.branches, branches));
    } else {
      delete q.branches;
    }
    grid.appendChild(labelled(T.next, input(q.next, function (v) { q.next = v.trim() || null; }, {"class": "sv-next"})));
    card.appendChild(grid);
    card.appendChild(el("div", {}, [el("strong", {text: T.prompt})]));
    q.prompt = q.prompt && q.prompt.length ? q.prompt : [{kind: "sound", value: ""}];
    card.appendChild(promptEditor(q.prompt, "questions." + q.id + ".prompt"));
    card.appendChild(retry(q, "on_no_input", T.on_no_input));
    card.appendChild(retry(q, "on_invalid", T.on_invalid));
    var actions = el("div", {"class": "actions"});
    if (i > 0) actions.appendChild(el("button", {type: "button", text: T.up, "class": "sv-up", onclick: function () {
      def.questions.splice(i - 1, 0, def.questions.splice(i, 1)[0]); draw(); }}));
    actions.appendChild(el("button", {type: "button", text: T.remove, "class": "sv-remove", onclick: function () {
      def.questions.splice(i, 1); draw(); }}));
    card.appendChild(actions);
    return card;
  }

  function draw() {
    var box = document.getElementById("sv-questions");
    box.innerHTML = "";
    def.questions.forEach(function (q, i) { box.appendChild(questionCard(q, i)); });
  }

  function nextId() {
    var taken = {};
    def.questions.forEach(function (q) { taken[q.id] = true; });
    for (var n = def.questions.length + 1; ; n++) if (!taken["q" + n]) return "q" + n;
  }

  document.getElementById("sv-add").addEventListener("click", function () {
    var kind = document.getElementById("sv-add-kind").value;
    var q = {id: nextId(), kind: kind, text: "", prompt: [{kind: "sound", value: "vm-press"}]};
    if (kind === "choice") q.choices = [{digit: "1", label: "?"}, {digit: "2", label: "?"}];
    def.questions.push(q);
    draw();
  });

  var name = document.getElementById("sv-name");
  name.value = def.name || "";
  name.addEventListener("input", function () { def.name = name.value; });
  var optOut = document.getElementById("sv-opt-out");
  optOut.value = def.opt_out_digit || "";
  optOut.addEventListener("input", function () { def.opt_out_digit = optOut.value.trim() || null; });
  var opDigit = document.getElementById("sv-operator-digit");
  opDigit.value = def.operator_digit || "";
  opDigit.addEventListener("input", function () { def.operator_digit = opDigit.value.trim() || null; });
  var operator = document.getElementById("sv-operator");
  operator.value = def.operator ? def.operator.kind + ":" + def.operator.id : "";
  operator.addEventListener("change", function () {
    var parts = operator.value.split(":");
    def.operator = operator.value ? {kind: parts[0], id: Number(parts[1])} : null;
  });
  document.getElementById("sv-intro").appendChild(promptEditor(def.intro, "intro"));
  document.getElementById("sv-outro").appendChild(promptEditor(def.outro, "outro"));
  draw();

  function mark(field) {
    document.querySelectorAll(".bad").forEach(function (n) { n.classList.remove("bad"); });
    if (!field) return;
    var parts = field.split(".");
    var target = null;
    if (parts[0] === "questions" && parts.length > 1) {
      target = document.querySelector('.sv-question[data-qid="' + CSS.escape(parts[1]) + '"]') ||
               document.querySelector('.sv-question[data-index="' + (Number(parts[1]) - 1) + '"]');
    } else {
      target = document.querySelector('.sv-field[data-field="' + CSS.escape(parts[0]) + '"]');
    }
    if (target) { target.classList.add("bad"); target.scrollIntoView({block: "center"}); }
  }

  document.querySelectorAll(".sv-scripted-campaign").forEach(function (box) {
    box.addEventListener("change", function () {
      fetch("/api/surveys/scripted", {method: "POST", credentials: "same-origin",
        headers: {"content-type": "application/json", "x-csrf-token": token},
        body: JSON.stringify({campaign_id: Number(box.value), survey_id: box.checked ? surveyId : null})})
        .then(function (r) { if (!r.ok) box.checked = !box.checked; });
    });
  });

  document.getElementById("sv-save").addEventListener("click", function () {
    var problem = document.getElementById("sv-problem");
    var notice = document.getElementById("sv-notice");
    problem.hidden = true; notice.hidden = true;
    fetch(surveyId ? "/api/surveys/" + surveyId : "/api/surveys", {
      method: "POST", credentials: "same-origin",
      headers: {"content-type": "application/json", "x-csrf-token": token},
      body: JSON.stringify({definition: def})})
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        if (answer.ok) {
          mark(null);
          if (!surveyId) { window.location.href = "/surveys/" + answer.id + "?saved=" + answer.version; return; }
          notice.textContent = answer.message; notice.hidden = false;
        } else {
          problem.textContent = T.not_saved + " " + (answer.problem || answer.detail || "");
          problem.hidden = false;
          mark(answer.field);
        }
      });
  });
})();
