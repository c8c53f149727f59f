// The scripted survey's card in the agent panel: shows the question on screen (agents_ws.scripted_survey),
// sends the customer's answer as a "survey_answer" message; the server runs the survey and saves each answer.
(function () {
  "use strict";
  var box = document.getElementById("pop-survey");
  if (!box) return;
  var current = null;
  function $(id) { return document.getElementById(id); }
  function button(text, onclick, cls) {
    var b = document.createElement("button");
    b.type = "button"; b.textContent = text; b.className = cls || "small";
    b.addEventListener("click", onclick);
    return b;
  }
  function answer(value) {
    if (!current || !current.question) return;
    window.panelSend({type: "survey_answer", call_id: String(current.call_id), question_id: current.question.id,
                      value: value});
  }
  function keys(values) {
    var row = document.createElement("div");
    values.forEach(function (v) {
      row.appendChild(button(v[1], function () { answer(v[0]); }, "small survey-key"));
    });
    return row;
  }
  function draw(m) {
    current = m;
    box.hidden = false;
    box.setAttribute("data-call", m.call_id);
    $("survey-title").textContent = box.getAttribute("data-title").split("{name}").join(m.name);
    var q = m.question;
    var input = $("survey-input");
    input.textContent = "";
    $("survey-question").textContent = q ? (q.text || q.id) : "";
    box.setAttribute("data-question", q ? q.id : "");
    if (q) {
      if (q.kind === "rating") input.appendChild(keys([1, 2, 3, 4, 5].map(function (n) { return [String(n), String(n)]; })));
      else if (q.kind === "nps") input.appendChild(keys([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(function (n) { return [String(n), String(n)]; })));
      else if (q.kind === "yes_no") input.appendChild(keys([["yes", box.getAttribute("data-yes")], ["no", box.getAttribute("data-no")]]));
      else if (q.kind === "choice") input.appendChild(keys(q.choices.map(function (c) { return [c.digit, c.digit + " · " + c.label]; })));
      else {
        var field = document.createElement(q.kind === "recording" ? "textarea" : "input");
        field.id = "survey-text";
        if (q.kind === "number") { field.inputMode = "numeric"; field.maxLength = q.max_digits; }
        input.appendChild(field);
        input.appendChild(button(box.getAttribute("data-next"), function () { answer(field.value); }, "small survey-next"));
      }
      input.appendChild(button(box.getAttribute("data-skip"), function () { answer(null); }, "small survey-skip"));
    }
    var done = $("survey-done");
    done.hidden = !m.done;
    done.textContent = m.done ? box.getAttribute("data-done") : "";
    var list = $("survey-answers");
    list.textContent = "";
    (m.answers || []).forEach(function (a) {
      var li = document.createElement("li");
      li.textContent = a.question_id + ": " + (a.value === null ? "—" : a.value);
      list.appendChild(li);
    });
  }
  document.addEventListener("panel-survey", function (e) { draw(e.detail); });
  document.addEventListener("panel-pop", function (e) {
    if (!current || String(current.call_id) !== String(e.detail.call_id)) { box.hidden = true; current = null; }
  });
})();
