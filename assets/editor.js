/* Kalamos line editor: the text field of the Annotate and Transcribe tabs, and how what is typed
 * reaches the server. It holds the rules that keep ground truth honest on the browser's side:
 *
 * - The field belongs to one line at a time. Dash says which (a hidden element, data-state, whose
 *   text is JSON: the line, the revision shown, its text, the save URL, the order of the lines);
 *   this script puts the line's text in the field. Text typed for a line is only ever sent for
 *   that line, with the revision its editor showed, even when the person has moved on meanwhile.
 * - Typing is saved after 0.7 s without a key, on leaving the field and on going to another line:
 *   as "edited". Only Enter (and ✓) sends "confirm": the line becomes verified, and Enter goes on to
 *   the next line once the server has said yes. Opening, clicking, focusing or leaving a line
 *   without typing sends nothing.
 * - One save per line at a time: a save made while the previous one is on its way waits for it and
 *   then goes with the revision it returned, so a person never conflicts with their own saves.
 * - A refusal (someone else changed the line) writes nothing; the box under the field names the
 *   line, shows both texts, and offers "Replace theirs with mine" (for that line only) or "Keep
 *   theirs"; the person is taken back to that line.
 * Each browser tab is one editor (an id kept in sessionStorage, also given to Dash as the data of
 * the store "shell-editor"), so the server can tell one's own changes from someone else's.
 */
(function () {
  var RECENT_MS = 4000;  // how long a save is repeated to the tab with the later ones (see answered)
  "use strict";

  var AUTOSAVE_MS = 700;
  var editorId = (function () {
    var id = null;
    try { id = window.sessionStorage.getItem("kalamosEditor"); } catch (e) { id = null; }
    if (!id || !/^e-[0-9a-z]{6,32}$/.test(id)) {
      id = "e-" + Math.random().toString(36).slice(2, 12) + Date.now().toString(36).slice(-4);
      try { window.sessionStorage.setItem("kalamosEditor", id); } catch (e) { /* private mode: one id per load */ }
    }
    return id;
  })();
  window.kalamosEditorId = editorId;

  /* Run ``fn`` once the browser has painted what was just changed (Dash's updates then follow). */
  function afterPaint(fn) {
    requestAnimationFrame(function () { setTimeout(fn, 0); });
  }

  function setProps(id, props) {
    if (id && window.dash_clientside && window.dash_clientside.set_props) { window.dash_clientside.set_props(id, props); }
  }

  var controllers = {};  // by state element id

  function Controller(stateEl) {
    this.stateEl = stateEl;
    this.state = {};
    this.line = null;
    this.rev = 0;
    this.shown = "";      // the line's text as the server last gave it
    this.dirty = false;   // typed since the last save of this line's text
    this.timer = null;
    this.queues = {};     // line id -> {busy, next, rev}
    this.setting = false;
  }

  Controller.prototype.field = function () { return document.getElementById(this.state.field); };

  Controller.prototype.setField = function (text) {
    var el = this.field();
    if (!el || el.value === text) { return; }
    var proto = window.HTMLInputElement.prototype;
    this.setting = true;
    Object.getOwnPropertyDescriptor(proto, "value").set.call(el, text);
    el.dispatchEvent(new Event("input", {bubbles: true}));
    this.setting = false;
  };

  Controller.prototype.onState = function () {
    var next = null;
    try { next = JSON.parse(this.stateEl.textContent || "{}"); } catch (e) { next = null; }
    if (!next || !next.field) { return; }
    var previous = this.line, previousPage = (this.state || {}).page;
    var gone = previous && next.page === previousPage && !(next.lines || []).some(function (l) { return l[0] === previous; });
    if (gone && Date.now() - (this.lastKey || 0) < 3000) {
      // the line typed into was deleted (by someone else) under the person's fingers: the field leaves the
      // keyboard, so that the next keys do not go into the line Dash selects in its place
      var typing = this.field();
      if (typing && document.activeElement === typing) { typing.blur(); }
    }
    this.dashLine = next.line;  // the line Dash has selected now
    if (this.expect && Date.now() < this.expect.until && next.page === this.state.page) {
      // the editor went on to a line by itself (Enter, Alt+↓) and told Dash: states about another line
      // are from before Dash heard of it (a save merged meanwhile): they must not take the field back
      if (next.line !== this.expect.line) { this.state = Object.assign({}, next, {line: this.line}); return; }
      this.expect = null;
    }
    if (this.conflict && next.line !== this.conflict.line && next.page === this.state.page) {
      // a refused text waits for a decision: the person stays on that line until they make it
      this.state = next;
      this.nudge();
      this.select(this.conflict.line, false);
      return;
    }
    this.state = next;
    if (next.line !== previous) {
      if (previous && this.dirty) { this.flush(previous, false); }  // what was typed there goes there
      this.line = next.line || null;
      this.rev = next.rev || 0;
      this.shown = next.text || "";
      this.shownStatus = next.status;
      this.dirty = false;
      var refused = this.conflict && this.conflict.line === this.line ? this.conflict : null;
      this.setField(refused ? refused.yours : this.shown);  // back on a refused line: the text not saved, to decide on
      var q = this.line ? this.queues[this.line] : null;
      if (q && q.rev > this.rev) { this.rev = q.rev; }
      if (!this.conflictFor || this.conflictFor !== this.line) { this.hideBox(); }
    } else if (next.line && next.rev > this.rev) {
      // a newer version of this line (its shape changed, or someone else's text): the field takes it,
      // and saves go from that revision, only if the person is not typing; while they type, their
      // saves keep the revision whose text they saw, so that someone else's text is never overwritten unseen
      var el = this.field();
      if (!this.dirty && el && el.value === this.shown) {
        this.rev = next.rev;
        if (next.text !== this.shown) { this.setField(next.text); }
        this.shown = next.text;
      } else if (next.text === this.shown && next.status === this.shownStatus) {
        this.rev = next.rev;  // only the shape changed: the text they saw is still the line's
      }
      this.shownStatus = next.status;
    }
  };

  Controller.prototype.typed = function () {
    if (this.setting || !this.line) { return; }
    this.dirty = true;
    this.lastKey = Date.now();
    var self = this;
    if (this.timer) { clearTimeout(this.timer); }
    this.timer = setTimeout(function () { self.timer = null; if (self.dirty) { self.flush(self.line, false); } }, AUTOSAVE_MS);
  };

  /* Send the field's text for ``line``: the line the field holds (called before it changes line). */
  Controller.prototype.flush = function (line, confirm) {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    var el = this.field();
    if (!line || !el) { return Promise.resolve(null); }
    var text = el.value;
    this.dirty = false;
    return this.send({line: line, text: text, confirm: confirm, rev: line === this.line ? this.rev : this.revOf(line),
                      url: this.state.url});
  };

  Controller.prototype.revOf = function (line) {
    var q = this.queues[line];
    return q ? q.rev : 0;
  };

  Controller.prototype.send = function (req) {
    var q = this.queues[req.line] || (this.queues[req.line] = {busy: false, next: null, rev: req.rev});
    if (req.rev > q.rev) { q.rev = req.rev; }
    var self = this;
    return new Promise(function (resolve) {
      req.resolve = [resolve];
      if (q.busy) {  // wait for the save on its way; keep the newest text, and a confirm if one was asked
        if (q.next) {
          req.confirm = req.confirm || q.next.confirm;
          req.resolve = q.next.resolve.concat(req.resolve);
        }
        q.next = req;
      } else {
        self.run(q, req);
      }
    });
  };

  Controller.prototype.run = function (q, req, attempt) {
    var self = this;
    q.busy = true;
    var body = {text: req.text, rev: q.rev, confirm: !!req.confirm, editor: editorId};
    if (req.replaceRev !== undefined) { body.replace_rev = req.replaceRev; }
    fetch(req.url + req.line, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
                               keepalive: true})
      .then(function (r) { return r.json(); })
      .then(function (outcome) {
        self.answered(q, req, outcome);
        req.resolve.forEach(function (f) { f(outcome); });
        q.busy = false;
        if (q.next) { var n = q.next; q.next = null; self.run(q, n); }
      })
      .catch(function () {
        var tries = (attempt || 0) + 1;
        q.busy = false;
        if (tries <= 5) {
          self.showBox({status: "retry", message: "Not saved yet: the server did not answer. Your text is kept and sent again…"},
                       req.line);
          setTimeout(function () { if (!q.busy) { self.run(q, q.next || req, tries); if (q.next === req) { q.next = null; } } },
                     1000 * tries);
        } else {
          self.showBox({status: "refused", message: "Not saved: the server does not answer. Your text is still in the field; " +
                        "press Enter to try again."}, req.line);
          req.resolve.forEach(function (f) { f(null); });
        }
      });
  };

  Controller.prototype.answered = function (q, req, outcome) {
    if (!outcome) { return; }
    if (outcome.status === "saved" || outcome.status === "unchanged") {
      if (outcome.line) { q.rev = outcome.line.rev; }
      if (req.line === this.line && outcome.line) {
        this.rev = outcome.line.rev;
        this.shown = outcome.line.text;
        this.shownStatus = outcome.line.status;
        var el = this.field();
        if (el && el.value === req.text && outcome.line.text !== req.text && !this.dirty) {
          this.setField(outcome.line.text);  // written the project's way (normalised): show it, the cursor at the end
        }
      }
      if (this.conflictFor === req.line) { this.hideBox(); }
      if (outcome.status === "saved") {  // Dash hears of it once the editor has gone on (its updates take a while)
        var store = this.state.saved_store, page = this.state.page, now = Date.now();
        // the saves of the last seconds go along: when two answers come close together Dash may pass on only the
        // last value of the store, and the tab must not keep an old revision of the other line
        var ln = outcome.line;
        this.recent = (this.recent || []).filter(function (r) { return now - r.at < RECENT_MS && (!ln || r.line.id !== ln.id); })
          .slice(-5);  // one entry a line, the newest; only what a person can have left in the last seconds
        if (ln) { this.recent.push({page: page, at: now, line: {id: ln.id, rev: ln.rev, text: ln.text, status: ln.status}}); }
        var recent = this.recent.slice();
        afterPaint(function () { setProps(store, {data: {outcome: outcome, page: page, at: now, recent: recent}}); });
      }
      if (outcome.normalised && outcome.normalised.length) {
        this.showBox({status: "note", message: "Stored the project's way: " + outcome.normalised.join("; ") + "."}, req.line);
      }
      return;
    }
    var empty = outcome.status === "refused" && !(req.text || "").trim();
    this.showBox(empty ? {status: "note", message: outcome.message} : outcome, req.line, req);
    if (req.line !== this.line && outcome.status !== "gone" && !empty) {
      if (this.dirty && this.line) { this.flush(this.line, false); }  // typed meanwhile in the line gone on to
      var known = (this.state.lines || []).filter(function (l) { return l[0] === req.line; })[0];
      this.line = req.line;  // back to the line whose text was refused, with that text in the field
      this.rev = this.queues[req.line] ? this.queues[req.line].rev : 0;
      this.shown = known ? known[2] : "";
      this.shownStatus = known ? known[3] : null;
      this.dirty = false;
      this.setField(outcome.yours !== undefined ? outcome.yours : req.text);
      this.select(req.line, false);
    }
  };

  Controller.prototype.box = function () { return document.getElementById(this.state.box); };

  Controller.prototype.nudge = function () {
    var box = this.box();
    if (!box || box.hidden) { return; }
    var hint = box.querySelector(".kalamos-decide");
    if (!hint) {
      hint = el("div", "kalamos-decide fw-bold mt-1",
                "Decide about this line first: replace their text with yours, or keep theirs.");
      box.appendChild(hint);
    }
  };

  Controller.prototype.hideBox = function () {
    var box = this.box();
    this.conflictFor = null;
    this.conflict = null;
    if (box) { box.replaceChildren(); box.hidden = true; }
  };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  Controller.prototype.showBox = function (outcome, line, req) {
    var box = this.box();
    if (!box) { return; }
    var self = this;
    box.replaceChildren();
    box.hidden = false;
    var kind = {conflict: "danger", gone: "danger", refused: "warning", retry: "warning", note: "info"}[outcome.status] || "info";
    box.className = "alert alert-" + kind + " py-1 px-2 my-1 small kalamos-editor-box kalamos-editor-" + outcome.status;
    box.appendChild(el("div", "", outcome.message || ""));
    if (outcome.status === "conflict" && outcome.theirs) {
      this.conflictFor = line;
      this.conflict = {line: line, yours: outcome.yours};
      // the page and the list show their version (the field keeps yours until you decide)
      setProps(this.state.saved_store, {data: {outcome: {status: "theirs", line: outcome.theirs}, page: this.state.page,
                                                at: Date.now()}});
      var theirs = outcome.theirs, yours = outcome.yours;
      var table = el("div", "kalamos-versions my-1");
      var t = el("div"); t.appendChild(el("b", "", "Theirs: ")); t.appendChild(el("span", "kalamos-theirs", theirs.text || "(empty)"));
      var y = el("div"); y.appendChild(el("b", "", "Yours: ")); y.appendChild(el("span", "kalamos-yours", yours || "(empty)"));
      table.appendChild(t); table.appendChild(y);
      box.appendChild(table);
      var replace = el("button", "btn btn-sm btn-danger me-1 kalamos-replace", "Replace theirs with mine");
      replace.type = "button";
      replace.addEventListener("click", function () {
        self.hideBox();
        self.send({line: line, text: yours, confirm: !!(req && req.confirm), rev: theirs.rev, replaceRev: theirs.rev,
                   url: self.state.url});
      });
      var keep = el("button", "btn btn-sm btn-outline-secondary kalamos-keep", "Keep theirs");
      keep.type = "button";
      keep.addEventListener("click", function () {
        self.hideBox();
        var q = self.queues[line];
        if (q) { q.rev = theirs.rev; }
        if (line === self.line) { self.rev = theirs.rev; self.shown = theirs.text; self.dirty = false; self.setField(theirs.text); }
        setProps(self.state.saved_store, {data: {outcome: {status: "kept", line: theirs}, page: self.state.page, at: Date.now()}});
      });
      box.appendChild(replace);
      box.appendChild(keep);
    } else if (outcome.status === "gone") {
      this.conflictFor = line;
      var keepText = el("div", "");
      keepText.appendChild(el("b", "", "Your text: "));
      keepText.appendChild(el("span", "kalamos-yours", outcome.yours || ""));
      box.appendChild(keepText);
    }
  };

  Controller.prototype.go = function (step) {
    var order = this.state.order || [];
    var i = order.indexOf(this.line);
    var target = i < 0 ? order[0] : order[Math.max(0, Math.min(order.length - 1, i + step))];
    if (target && target !== this.line) { this.switchTo(target); }
  };

  /* Go to a line at once: the field takes its text from what the state knows of it (Dash, told
   * of the selection, catches up; its state then finds the field on that line already). */
  Controller.prototype.switchTo = function (target) {
    var known = (this.state.lines || []).filter(function (l) { return l[0] === target; })[0];
    if (known && !this.conflict) {
      if (this.dirty && this.line) { this.flush(this.line, false); }
      var q = this.queues[target];
      this.line = target;
      this.rev = Math.max(known[1], q ? q.rev : 0);
      this.shown = known[2] || "";
      this.shownStatus = known[3];
      this.dirty = false;
      this.setField(this.shown);
      this.hideBox();
    }
    this.select(target, true);
  };

  /* Tell Dash which line is selected (``later``: once the browser has painted the field), the
   * editor expecting it: states about other lines until then are stale. A newer choice wins over an
   * older one still waiting to be sent. */
  Controller.prototype.select = function (target, later) {
    var store = this.state.selected_store, self = this;
    var seq = this.selectSeq = (this.selectSeq || 0) + 1;  // a choice still waiting to be sent is dropped
    if (target === this.dashLine) { this.expect = null; return; }  // Dash has it selected already
    this.expect = {line: target, until: Date.now() + 5000};
    var send = function () { if (self.selectSeq === seq) { setProps(store, {data: target}); } };
    if (later) { afterPaint(send); } else { send(); }
  };

  /* Enter: confirm this line with the field's text; on the server's yes, go to the next line. */
  /* Enter: confirm this line with the field's text and (``andNext``) go on to the next line at once:
   * what is typed next belongs to the next line, even before the server has answered. If the
   * server refuses the confirmation, the box says so and brings the person back to that line. */
  Controller.prototype.confirm = function (andNext) {
    var line = this.line;
    if (!line) { return; }
    if (this.conflict) { this.nudge(); return; }  // a refused text waits for its decision
    this.flush(line, true);
    if (andNext) {
      var next = this.state.after_confirm === "queue" ? this.nextInQueue(line) : null;
      if (next) { this.switchTo(next); } else { this.go(1); }
    }
  };

  Controller.prototype.nextInQueue = function (line) {
    var order = (this.state.order || []).filter(function (id) { return id !== line; });
    return order.length ? order[0] : null;
  };

  Controller.prototype.leave = function (step) {
    if (this.dirty) { this.flush(this.line, false); }
    this.go(step);
  };

  function controllerFor(target) {
    if (!target || !target.id) { return null; }
    for (var k in controllers) {
      if (controllers[k].state.field === target.id) { return controllers[k]; }
    }
    return null;
  }

  function scan() {
    document.querySelectorAll(".kalamos-edit-state").forEach(function (stateEl) {
      if (controllers[stateEl.id] && controllers[stateEl.id].stateEl === stateEl) { return; }
      var c = new Controller(stateEl);
      controllers[stateEl.id] = c;
      new MutationObserver(function () { c.onState(); }).observe(stateEl, {childList: true, characterData: true, subtree: true});
      c.onState();
    });
  }

  document.addEventListener("input", function (ev) {
    var c = controllerFor(ev.target);
    if (c) { c.typed(); }
  });

  document.addEventListener("keydown", function (ev) {
    var c = controllerFor(ev.target);
    if (c && ev.key === "Enter" && !ev.isComposing) {
      ev.preventDefault();
      c.confirm(true);
      return;
    }
    var field = c ? ev.target : null;
    var active = c || (function () {
      for (var k in controllers) {
        var f = controllers[k].field();
        if (f && f.offsetParent !== null) { return controllers[k]; }
      }
      return null;
    })();
    if (!active) { return; }
    var next = (ev.altKey && ev.key === "ArrowDown") || (field && ev.key === "PageDown");
    var prev = (ev.altKey && ev.key === "ArrowUp") || (field && ev.key === "PageUp");
    if (!next && !prev) { return; }
    if (active.field() && active.field().offsetParent === null) { return; }
    ev.preventDefault();
    active.leave(next ? 1 : -1);
    if (active.field()) { active.field().focus(); }
  });

  document.addEventListener("focusout", function (ev) {
    var c = controllerFor(ev.target);
    if (c && c.dirty) { c.flush(c.line, false); }
  });

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("[data-editor-action]") : null;
    if (!button) { return; }
    var c = controllers[button.getAttribute("data-editor")];
    if (!c) { return; }
    var action = button.getAttribute("data-editor-action");
    if (action === "confirm") { c.confirm(false); }
    else if (action === "next") { c.leave(1); }
    else if (action === "prev") { c.leave(-1); }
  });

  /* A click on another line (in the list or on the page) selects it through Dash; the text typed
   * in this one is sent first, for this one (onState does it when the state changes). */
  window.addEventListener("beforeunload", function () {
    for (var k in controllers) {
      var c = controllers[k];
      if (c.dirty && c.line) { c.flush(c.line, false); }
    }
  });

  new MutationObserver(scan).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener("DOMContentLoaded", scan);

  // the id reaches Dash's shell-editor-id store through a clientside callback (kalamos.editorId): that store
  // has no element in the page to wait for
})();
