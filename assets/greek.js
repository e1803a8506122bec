/* Kalamos Greek input: Beta Code as you type and the accent palette.
 * The rules are those of ocr/greek.py (beta_to_greek), which the tests compare with this file on
 * every polytonic letter. In fields with the class "kalamos-betacode" each key typed is converted
 * as it is typed (typeKey): text already in the field is never converted again, so opening a line
 * whose OCR text holds ' or ( changes nothing; a capital waits for its letter ("*", "*)" are shown
 * until the letter comes); a typed s is ς until a letter follows it. Pasted text is converted whole,
 * and typing a text key by key gives what pasting it gives. Buttons with a data-mark attribute put
 * that mark on the letter before the cursor of the field named by data-target. */
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
  var FIXED_MEDIAL = "\ue001", FIXED_FINAL = "\ue002";  // σ, ς chosen with a digit, while converting
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
      else if (SIGMA_DIGITS[ch] && (last === "σ" || last === "ς" || last === "ϲ" || last === FIXED_MEDIAL || last === FIXED_FINAL)) {
        out[out.length - 1] = ch === "1" ? FIXED_MEDIAL : ch === "2" ? FIXED_FINAL : "ϲ";
      }
      else if (SIGMA_DIGITS[ch] && (last === "Σ" || last === "Ϲ")) { out[out.length - 1] = ch === "3" ? "Ϲ" : "Σ"; }
      else if (PUNCT[ch]) { out.push(PUNCT[ch]); }
      else { out.push(ch); }
    });
    return fixFinalSigma(out.join("").split(FIXED_FINAL).join("ς"), final !== false).split(FIXED_MEDIAL).join("σ")
      .normalize("NFC");
  }

  var PENDING_CAPITAL = /\*[)(+\/\\=|_^]*$/;

  /* One key typed in Beta Code: the new text before the cursor, given the text before (head) and
   * after (tail) it. Only the key, and the letter it completes or marks, change. */
  function typeKey(head, ch, tail) {
    var low = ch.toLowerCase();
    var pending = head.match(PENDING_CAPITAL);
    var chars = Array.from(head);
    var last = chars.length ? chars[chars.length - 1] : null;
    if (ch === "*") { return head + "*"; }
    if (MARKS[ch]) {
      if (pending) { return head + ch; }  // the marks of a capital come before it: wait for the letter
      if (last !== null && isGreekLetter(last)) { chars[chars.length - 1] = addMarks(last, [MARKS[ch]]); return chars.join(""); }
      return head + ch;
    }
    if (LETTERS[low] && ch.charCodeAt(0) < 128) {
      var letter = LETTERS[low];
      if (pending) {
        var marks = Array.from(pending[0].slice(1)).map(function (c) { return MARKS[c]; });
        chars = Array.from(head.slice(0, head.length - pending[0].length));
        letter = letter.toUpperCase();
        if (marks.length) { letter = addMarks(letter, marks); }
      }
      var before = chars.length ? chars[chars.length - 1] : null;
      if (before === "ς") { chars[chars.length - 1] = "σ"; }  // a letter follows: it was not the last of the word
      if (letter === "σ" && !(tail && isLetter(Array.from(tail)[0]))) { letter = "ς"; }  // final until a letter follows
      return chars.join("") + letter;
    }
    if (SIGMA_DIGITS[ch] && (last === "σ" || last === "ς" || last === "ϲ")) {
      chars[chars.length - 1] = SIGMA_DIGITS[ch];
      return chars.join("");
    }
    if (SIGMA_DIGITS[ch] && (last === "Σ" || last === "Ϲ")) { chars[chars.length - 1] = ch === "3" ? "Ϲ" : "Σ"; return chars.join(""); }
    if (!pending && isLetter(ch) && last === "ς") { chars[chars.length - 1] = "σ"; return chars.join("") + ch; }
    return head + (PUNCT[ch] || ch);
  }

  /* What typing ``keys`` one by one into an empty field gives (for the tests). */
  function typeKeys(keys) {
    var head = "";
    Array.from(keys).forEach(function (ch) { head = typeKey(head, ch, ""); });
    return head.normalize("NFC");
  }

  function setValue(el, value, cursor) {
    var proto = el.tagName === "TEXTAREA" ? window.HTMLTextAreaElement.prototype : window.HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, "value").set.call(el, value);
    el.kalamosConverting = true;
    el.dispatchEvent(new Event("input", {bubbles: true}));
    el.kalamosConverting = false;
    if (cursor !== undefined) { el.setSelectionRange(cursor, cursor); }
  }

  document.addEventListener("beforeinput", function (ev) {
    var el = ev.target;
    if (!el.classList || !el.classList.contains("kalamos-betacode") || ev.isComposing) { return; }
    var data = ev.data;
    if (ev.inputType === "insertFromPaste" || ev.inputType === "insertFromDrop") {
      data = ev.dataTransfer ? ev.dataTransfer.getData("text/plain") : data;
      if (data === null || data === undefined) { return; }
      data = betaToGreek(data.replace(/[\r\n\t]+/g, " "), true);
    } else if (ev.inputType !== "insertText" || !data) {
      return;  // deletions, undo, line breaks: as the browser does them
    }
    ev.preventDefault();
    var start = el.selectionStart === null ? el.value.length : el.selectionStart;
    var end = el.selectionEnd === null ? start : el.selectionEnd;
    var head = el.value.slice(0, start), tail = el.value.slice(end);
    if (ev.inputType === "insertText") {
      Array.from(data).forEach(function (ch) { head = typeKey(head, ch, tail); });
    } else {
      head = head + data;
    }
    head = head.normalize("NFC");
    setValue(el, head + tail, head.length);
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

  window.kalamosGreek = {betaToGreek: betaToGreek, addMarks: addMarks, fixFinalSigma: fixFinalSigma, typeKey: typeKey,
                         typeKeys: typeKeys};
})();
