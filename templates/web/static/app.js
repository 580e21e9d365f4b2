/* Enhancements only: the pages work without this file (plain forms, POST + redirect).
   - a slider question is a number field without script; here it becomes a slider whose
     thumb stays hidden, and which sends nothing, until the client sets it;
   - each answer is saved as it is given, and "Opgeslagen" shows beside that question;
   - the "Rapportage" button cannot be pressed twice (the server sends one report anyway). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function status(box, text, failed) {
    var el = box && box.querySelector(".saved");
    if (!el) { return; }
    el.textContent = text;
    el.classList.toggle("failed", !!failed);
  }

  function save(form, box, value) {
    if (!box || !window.fetch || !form.getAttribute("data-autosave")) { return null; }
    var data = new URLSearchParams();
    data.set("csrf", form.querySelector("input[name=csrf]").value);
    data.set("vraag", box.getAttribute("data-question"));
    data.set("waarde", value);
    status(box, "Bezig met opslaan…", false);
    return fetch(form.getAttribute("data-autosave"), {
      method: "POST", body: data, credentials: "same-origin", keepalive: true,
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      var error = box.querySelector(".error");
      if (result.ok) {
        box.classList.remove("has-error");
        if (error) { error.hidden = true; error.textContent = ""; }
        status(box, value === "" ? "Antwoord gewist" : "Opgeslagen", false);
      } else {
        box.classList.add("has-error");
        if (error) { error.hidden = false; error.textContent = result.body.fout || "Niet opgeslagen."; }
        status(box, "Niet opgeslagen", true);
      }
    }).catch(function () {
      status(box, "Niet opgeslagen: geen verbinding. Druk straks op Volgende om het opnieuw te proberen.", true);
    });
  }

  function verbal(slider, value) {
    var pairs = [];
    try { pairs = JSON.parse(slider.getAttribute("data-verbal") || "[]"); } catch (e) { pairs = []; }
    for (var i = 0; i < pairs.length; i++) {
      if (Number(pairs[i][0]) === Number(value)) {
        var shown = String(value).replace(".", ",");
        return pairs[i][1] ? shown + " – " + pairs[i][1] : shown;
      }
    }
    return String(value).replace(".", ",");
  }

  function setUpSlider(slider, form) {
    var box = slider.closest("[data-question]");
    var range = slider.querySelector("input[type=range]");
    var number = slider.querySelector("input[type=number]");
    var out = slider.querySelector("output");
    var clear = slider.querySelector("button.clear");
    var howto = slider.querySelector(".howto");
    slider.querySelector(".range").hidden = false;
    slider.querySelector(".number").hidden = true;  // still sent with the form

    function show(value) {
      if (value === "") {
        range.classList.add("unset");
        range.setAttribute("aria-valuetext", "niet beantwoord");
        out.textContent = "niet beantwoord";
        out.classList.add("open");
        clear.hidden = true;
        howto.hidden = false;
      } else {
        var text = verbal(slider, value);
        range.classList.remove("unset");
        range.setAttribute("aria-valuetext", text);
        out.textContent = text;
        out.classList.remove("open");
        clear.hidden = false;
        howto.hidden = true;
      }
    }
    var saved = number.value;  // what the server holds
    function commit() {
      if (saved === range.value) { return; }
      saved = number.value = range.value;
      show(range.value);
      save(form, box, range.value);
    }
    range.addEventListener("input", function () { number.value = range.value; show(range.value); });
    range.addEventListener("change", commit);
    // a tap or click on the value the hidden thumb waits at changes nothing: set it anyway
    range.addEventListener("pointerup", function () { setTimeout(commit, 0); });
    range.addEventListener("keyup", function (event) {
      if (event.key === " " || event.key === "Enter") { commit(); }
    });
    clear.addEventListener("click", function () {
      saved = number.value = "";
      show("");
      save(form, box, "");
      range.focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
      Array.prototype.forEach.call(form.querySelectorAll("[data-slider]"), function (slider) {
        setUpSlider(slider, form);
      });
    });

    Array.prototype.forEach.call(document.querySelectorAll("form[data-autosave]"), function (form) {
      var timers = {};
      var pending = {};
      function flush() {
        Object.keys(pending).forEach(function (name) {
          clearTimeout(timers[name]);
          var input = pending[name];
          delete pending[name];
          save(form, input.closest("[data-question]"), input.value);
        });
      }
      form.addEventListener("change", function (event) {
        var input = event.target;
        if (input.name && input.name.indexOf("a-") === 0 && input.type !== "number") {
          clearTimeout(timers[input.name]);
          delete pending[input.name];
          save(form, input.closest("[data-question]"), input.value);
        }
      });
      form.addEventListener("input", function (event) {
        var input = event.target;
        if (input.tagName === "TEXTAREA") {
          clearTimeout(timers[input.name]);
          pending[input.name] = input;
          timers[input.name] = setTimeout(function () {
            delete pending[input.name];
            save(form, input.closest("[data-question]"), input.value);
          }, 1200);
        }
      });
      // "Vorige" is a plain link: send a text still being typed before leaving
      Array.prototype.forEach.call(form.querySelectorAll("a[data-back]"), function (link) {
        link.addEventListener("click", flush);
      });
      window.addEventListener("pagehide", flush);
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
