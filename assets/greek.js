/* Kalamos Greek input: Beta Code as you type and the accent palette.
 * The rules are those of ocr/greek.py (beta_to_greek), which the tests compare with this file on
 * every polytonic letter. Fields with the class "kalamos-betacode" are converted at each keystroke;
 * buttons with a data-mark attribute put that mark on the letter before the cursor of the field
 * named by data-target. */
(function () {
  "use strict";
  var LETTERS = {a: "α", b: "β", g: "γ", d: "δ", e: "ε", z: "ζ", h: "η", q: "θ", i: "ι", k: "κ", l: "λ",
    m: "μ", n: "ν", c: "ξ", o: "ο", p: "π", r: "ρ", s: "σ", t: "τ", u: "υ", f: "φ", x: "χ", y: "ψ", w: "ω",
    v: "ϝ", j: "ϲ"};
  var MARKS = {")": "\u0313", "(": "\u0314", "+": "\u0308", "/": "\u0301", "\\": "\u0300", "=": "\u0342",
    "|": "\u0345", "_": "\u0304", "^": "\u0306"};
  var ORDER = ["\u0304", "\u0306", "\u0313", "\u0314", "\u0308", "\u0301", "\u0300", "\u0342", "\u0345"];
  var GROUPS = [["\u0313", "\u0314"], ["\u0301", "\u0300", "\u0342"]];
  var PUNCT = {":": "\u00b7", ";": ";", "'": "\u2019", "#": "\u02b9"};
  var SIGMA_DIGITS = {"1": "σ", "2": "ς", "3": "ϲ"};
  var isLetter = function (c) { return /\p{L}/u.test(c); };
  var isMark = function (c) { return /\p{Mn}/u.test(c); };

  function isGreekLetter(ch) {
    if (!ch) { return false; }
    var base = ch.normalize("NFD")[0];
    return ((base >= "\u0370" && base <= "\u03ff") || (base >= "\u1f00" && base <= "\u1fff")) && isLetter(base);
  }

  function addMarks(letter, marks) {
    var d = Array.from(letter.normalize("NFD"));
    var base = d[0], existing = d.slice(1);
    marks.forEach(function (m) {
      if (existing.indexOf(m) >= 0) { return; }
      GROUPS.forEach(function (g) {
        if (g.indexOf(m) >= 0) { existing = existing.filter(function (e) { return g.indexOf(e) < 0; }); }
      });
      existing.push(m);
    });
    existing.sort(function (x, y) {
      var a = ORDER.indexOf(x), b = ORDER.indexOf(y);
      return (a < 0 ? ORDER.length : a) - (b < 0 ? ORDER.length : b);
    });
    return (base + existing.join("")).normalize("NFC");
  }

  function fixFinalSigma(text, atEnd) {
    var out = Array.from(text);
    for (var i = 0; i < out.length; i++) {
      var nxt = i + 1 < out.length ? out[i + 1] : null;
      if (out[i] === "σ" && ((nxt === null && atEnd) || (nxt !== null && !isLetter(nxt) && !isMark(nxt)))) {
        out[i] = "ς";
      } else if (out[i] === "ς" && nxt !== null && isLetter(nxt)) {
        out[i] = "σ";
      }
    }
    return out.join("");
  }

  function betaToGreek(text, final) {
    var out = [], capital = false, pending = [];
    Array.from(text.normalize("NFC")).forEach(function (ch) {
      var low = ch.toLowerCase();
      var last = out.length ? out[out.length - 1] : null;
      if (ch === "*") { capital = true; pending = []; }
      else if (MARKS[ch] && capital) { pending.push(MARKS[ch]); }
      else if (MARKS[ch] && last !== null && isGreekLetter(last)) { out[out.length - 1] = addMarks(last, [MARKS[ch]]); }
      else if (LETTERS[low] && ch.charCodeAt(0) < 128) {
        var letter = capital ? LETTERS[low].toUpperCase() : LETTERS[low];
        out.push(pending.length ? addMarks(letter, pending) : letter);
        capital = false; pending = [];
      }
      else if (SIGMA_DIGITS[ch] && (last === "σ" || last === "ς" || last === "ϲ")) { out[out.length - 1] = SIGMA_DIGITS[ch]; }
      else if (SIGMA_DIGITS[ch] && (last === "Σ" || last === "Ϲ")) { out[out.length - 1] = ch === "3" ? "Ϲ" : "Σ"; }
      else if (PUNCT[ch]) { out.push(PUNCT[ch]); }
      else { out.push(ch); }
    });
    return fixFinalSigma(out.join(""), final !== false).normalize("NFC");
  }

  function setValue(el, value, cursor) {
    var proto = el.tagName === "TEXTAREA" ? window.HTMLTextAreaElement.prototype : window.HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, "value").set.call(el, value);
    el.kalamosConverting = true;
    el.dispatchEvent(new Event("input", {bubbles: true}));
    el.kalamosConverting = false;
    if (cursor !== undefined) { el.setSelectionRange(cursor, cursor); }
  }

  document.addEventListener("input", function (ev) {
    var el = ev.target;
    if (!el.classList || !el.classList.contains("kalamos-betacode") || el.kalamosConverting) { return; }
    var pos = el.selectionStart === null ? el.value.length : el.selectionStart;
    var before = betaToGreek(el.value.slice(0, pos), false);
    var value = betaToGreek(el.value.slice(0, pos) + el.value.slice(pos), false);
    if (value !== el.value) { setValue(el, value, Math.min(before.length, value.length)); }
  }, true);

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest ? ev.target.closest("[data-mark]") : null;
    if (!btn) { return; }
    var el = document.getElementById(btn.getAttribute("data-target"));
    if (!el) { return; }
    var insert = btn.getAttribute("data-mark");
    var pos = el.selectionStart === null ? el.value.length : el.selectionStart;
    var head = el.value.slice(0, pos), tail = el.value.slice(pos);
    var chars = Array.from(head);
    if (/\p{M}/u.test(insert) && chars.length && isGreekLetter(chars[chars.length - 1])) {
      chars[chars.length - 1] = addMarks(chars[chars.length - 1], [insert]);
      head = chars.join("");
    } else if (!/\p{M}/u.test(insert)) {
      head = head + insert;
    }
    setValue(el, head + tail, head.length);
    el.focus();
  });

  window.kalamosGreek = {betaToGreek: betaToGreek, addMarks: addMarks, fixFinalSigma: fixFinalSigma};
})();
