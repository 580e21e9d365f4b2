/* Enhancements only: the pages work without this file (plain forms, POST + redirect).
   - a slider shows its value while it moves;
   - each answer is saved as it is given (so a client can stop and resume anywhere);
   - the "Rapportage" button cannot be pressed twice (the server sends one report anyway). */
(function () {
  "use strict";

  function show(form, text, failed) {
    var status = form.querySelector(".status");
    if (!status) { return; }
    status.textContent = text;
    status.classList.toggle("failed", !!failed);
  }

  function label(input) {
    var v = input.value.replace(".", ",");
    return v;
  }

  function save(form, input) {
    var box = input.closest("[data-question]");
    if (!box || !window.fetch) { return; }
    var data = new URLSearchParams();
    data.set("csrf", form.querySelector("input[name=csrf]").value);
    data.set("vraag", box.getAttribute("data-question"));
    data.set("waarde", input.value);
    show(form, "Bezig met opslaan…", false);
    fetch(form.getAttribute("data-autosave"), {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      var error = box.querySelector(".error");
      if (result.ok) {
        box.classList.remove("has-error");
        if (error) { error.hidden = true; error.textContent = ""; }
        show(form, "Opgeslagen", false);
      } else {
        box.classList.add("has-error");
        if (error) { error.hidden = false; error.textContent = result.body.fout || "Niet opgeslagen."; }
        show(form, "Niet opgeslagen", true);
      }
    }).catch(function () {
      show(form, "Niet opgeslagen: geen verbinding. Uw antwoord wordt bewaard als u op Opslaan drukt.", true);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[type=range]"), function (input) {
      var out = document.getElementById("o-" + input.id.slice(2));
      input.addEventListener("input", function () { if (out) { out.textContent = label(input); } });
    });

    Array.prototype.forEach.call(document.querySelectorAll("form[data-autosave]"), function (form) {
      var timers = {};
      form.addEventListener("change", function (event) {
        var input = event.target;
        if (input.name && input.name.indexOf("a-") === 0) {
          clearTimeout(timers[input.name]);
          save(form, input);
        }
      });
      form.addEventListener("input", function (event) {
        var input = event.target;
        if (input.tagName === "TEXTAREA") {
          clearTimeout(timers[input.name]);
          timers[input.name] = setTimeout(function () { save(form, input); }, 1200);
        }
      });
    });

    Array.prototype.forEach.call(document.querySelectorAll("form[data-once]"), function (form) {
      form.addEventListener("submit", function () {
        var button = form.querySelector("button[type=submit]");
        if (button) {
          setTimeout(function () { button.disabled = true; button.textContent = "Bezig…"; }, 0);
        }
      });
    });
  });
}());
