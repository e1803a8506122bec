/* Annotate keyboard flow: Alt+↓ / Alt+↑ (or Page Down / Page Up in the text field) go to the
 * next / previous line, saving what was typed; the field keeps the focus. */
(function () {
  "use strict";
  document.addEventListener("keydown", function (ev) {
    var field = document.getElementById("annotate-text");
    if (!field) { return; }
    var inField = ev.target === field;
    var next = (ev.altKey && ev.key === "ArrowDown") || (inField && ev.key === "PageDown");
    var prev = (ev.altKey && ev.key === "ArrowUp") || (inField && ev.key === "PageUp");
    if (!next && !prev) { return; }
    var button = document.getElementById(next ? "annotate-next" : "annotate-prev");
    if (!button || button.offsetParent === null) { return; }
    ev.preventDefault();
    button.click();
    field.focus();
  });
})();

/* Autosave: the text field sends its value on Enter and on leaving it (debounce=True); while the
 * person types, this sends it after 0.7 s without a keystroke, so nothing typed waits for a click. */
(function () {
  "use strict";
  var timer = null;
  document.addEventListener("input", function (ev) {
    var field = ev.target;
    if (!field || field.id !== "annotate-text") { return; }
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () {
      timer = null;
      if (window.dash_clientside && window.dash_clientside.set_props) {
        window.dash_clientside.set_props("annotate-text", {value: field.value});
      }
    }, 700);
  });
})();
