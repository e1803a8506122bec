/* Clientside callbacks of the Annotate and Transcribe tabs (registered in callbacks/annotate.py and
 * callbacks/transcribe.py): what only rearranges data the browser already holds is done here,
 * without a round trip to the server. The ids follow one convention (layout/ids.py): for a tab
 * prefix P, the editor's state element is P-edit-state, its field P-text, and the stores it uses are
 * P-selected and P-saved; its message box is P-editor-box. */
(function () {
  "use strict";
  var dc = window.dash_clientside = window.dash_clientside || {};
  var nu = function () { return dc.no_update; };

  function summary(line) {
    if (!line) { return null; }
    var last = (line.changes || []).slice(-1)[0];
    return {id: line.id, kind: line.kind, status: line.status, text: line.text, rev: line.rev, above: line.above,
            below: line.below, conf: line.conf === undefined ? null : line.conf, aligned: line.aligned || null,
            by: last && last.user ? last.user : null};  // who made this version (accounts on)
  }

  function copied(value) { return Array.isArray(value) ? value.slice() : Object.assign({}, value); }

  /* One operation of layout/patching.py on a JSON value, copying what lies on its path (Plotly and
   * React see new objects where something changed): ["assign", path, value], ["delete", path],
   * ["splice", path, start, how many out, items in]. */
  function applyOperation(root, op) {
    var kind = op[0], path = op[1], top = copied(root), node = top;
    var last = kind === "splice" ? path.length : path.length - 1;
    for (var i = 0; i < last; i++) { node[path[i]] = copied(node[path[i]]); node = node[path[i]]; }
    var key = path[path.length - 1];
    if (kind === "assign") { node[key] = op[2]; }
    else if (kind === "delete") { if (Array.isArray(node)) { node.splice(key, 1); } else { delete node[key]; } }
    else { node.splice.apply(node, [op[2], op[3]].concat(op[4])); }
    return top;
  }

  /* The id (an object) of the pattern-matched component whose change fired a callback, or null. */
  function firedId(item) {
    var dot = item.prop_id.lastIndexOf(".");
    try { return JSON.parse(item.prop_id.slice(0, dot)); } catch (e) { return null; }
  }

  dc.kalamos = {
    /* A row of a tab's line list clicked: its line is selected, in the browser. Dash fires a callback whose
     * inputs are a list's rows when the list is drawn anew (every row at once, n_clicks unset), and on the
     * server an answer still on its way from an earlier firing would then be dropped. A click fires one. */
    rowLine: function () {
      var triggered = dc.callback_context.triggered || [];
      var id = triggered.length === 1 && triggered[0].value ? firedId(triggered[0]) : null;
      return id && id.line ? id.line : nu();
    },

    /* A line drawn, deleted, reshaped or moved (callbacks/annotate_page.py shown_after): the server's few
     * operations on the lines, the figure and the lists, applied here (a splice of a line's click targets,
     * its shape and row in or out) instead of whole new ones; only if the page's lines are still those
     * they were computed from: else (two operations at once, a save merged meanwhile) the page is loaded
     * again. Outputs: lines, figure, line list, region list, the reload counter. */
    applyChange: function (change, lines, figure, list, regions, rev) {
      if (!change) { return [nu(), nu(), nu(), nu(), nu()]; }
      if (dc.kalamos.linesDigest(lines) !== change.base) { return [nu(), nu(), nu(), nu(), (rev || 0) + 1]; }
      var apply = function (ops, value) { return ops && ops.length && value ? ops.reduce(applyOperation, value) : nu(); };
      return [apply(change.lines, lines), apply(change.figure, figure), apply(change.rows, list),
              apply(change.regions, regions), nu()];
    },

    /* This tab's editor id (assets/editor.js), for the server callbacks. */
    editorId: function () { return window.kalamosEditorId || nu(); },


    /* The selected line and where it stands (small: it travels to the server for the line's details). */
    currentLine: function (selected, data) {
      if (!data || !data.lines) { return null; }
      var order = data.lines.map(function (l) { return l.id; });
      var i = order.indexOf(selected);
      return {page: data.page, key: data.key, band: data.band, line: i >= 0 ? summary(data.lines[i]) : null,
              number: i + 1, total: order.length};
    },

    /* Every line's revision, text and status, for the editor to go on at once after Enter (Dash follows). */
    lineTexts: function (data) {
      return ((data && data.lines) || []).map(function (l) { return [l.id, l.rev, l.text, l.status]; });
    },

    /* The line ids in reading order: changes only when lines are added, deleted or moved. */
    lineOrder: function (data, previous) {
      var order = data && data.lines ? data.lines.map(function (l) { return l.id; }) : [];
      return JSON.stringify(order) === JSON.stringify(previous) ? nu() : order;
    },

    /* The list's highlight follows the selection. */
    rowClasses: function (selected, rowIds) {
      var base = "list-group-item list-group-item-action py-1 small";
      setTimeout(function () {  // the selected row in sight (a line chosen on the page, or from another tab),
        // by scrolling the list only: scrollIntoView would scroll the window too, moving the page under the
        // mouse of a person drawing
        var row = document.querySelector(".kalamos-line-list .list-group-item.active");
        var list = row && row.closest(".kalamos-line-list");
        if (!list) { return; }
        var r = row.getBoundingClientRect(), l = list.getBoundingClientRect();
        if (r.top < l.top) { list.scrollTop -= l.top - r.top; } else if (r.bottom > l.bottom) { list.scrollTop += r.bottom - l.bottom; }
      }, 0);
      return (rowIds || []).map(function (id) { return id.line === selected ? base + " active" : base; });
    },

    /* The bulk verification asks about as many lines as it will verify. */
    verifyAllQuestion: function (data) {
      var n = ((data && data.lines) || []).filter(function (l) {
        return l.text && (l.status === "machine" || l.status === "aligned" || l.status === "edited");
      }).length;
      return n ? "Verify the " + n + " line(s) of this page that have text and are not verified yet (machine, " +
                 "aligned and edited lines)? They become ground truth for training: check them first."
               : "No line of this page waits for verification.";
    },

    /* What the browser holds of the page's lines, in a word (the server compares it with the store). */
    linesDigest: function (data) {
      if (!data || !data.lines) { return ""; }
      return data.page + ":" + data.lines.map(function (l) { return l.id.slice(-6) + "." + l.rev; }).join(",");
    },

    /* Each row's badge and text, after a save changed a line. */
    rowParts: function (data, badgeIds) {
      var byId = {};
      ((data && data.lines) || []).forEach(function (l) { byId[l.id] = l; });
      var ids = badgeIds || [];
      return [
        ids.map(function (id) { var l = byId[id.line]; return l ? l.status : nu(); }),
        ids.map(function (id) { var l = byId[id.line]; return l ? "badge kalamos-badge-" + l.status + " me-2" : nu(); }),
        ids.map(function (id) { var l = byId[id.line]; return l ? (l.text || "—") : nu(); })
      ];
    },

    /* The zoom and the drawing tool the person chose, kept when the figure is drawn anew. */
    viewport: function (relayout, previous, data) {
      if (!relayout || !data) { return nu(); }
      var out = Object.assign({}, previous || {});
      var key = data.page + "-" + data.view;
      if (out.page !== key) { out = {page: key, dragmode: out.dragmode}; }
      var changed = false;
      ["x", "y"].forEach(function (a) {
        var whole = relayout[a + "axis.range"];
        if (whole) { out[a] = [whole[0], whole[1]]; changed = true; }
        else if (relayout[a + "axis.range[0]"] !== undefined) {
          out[a] = [relayout[a + "axis.range[0]"], relayout[a + "axis.range[1]"]]; changed = true;
        }
      });
      if (relayout["xaxis.autorange"] || relayout.autosize === undefined && relayout["yaxis.autorange"]) {
        delete out.x; delete out.y; changed = true;
      }
      if (relayout.dragmode) { out.dragmode = relayout.dragmode; changed = true; }
      return changed ? out : nu();
    },

    /* The lines to review in the Transcribe tab, least sure first, verified ones last. */
    reviewLine: function (selected, data) {
      if (!data || !data.lines) { return null; }
      var lines = data.lines.slice();
      var i = lines.map(function (l) { return l.id; }).indexOf(selected);
      var key = function (l) { return [l.status === "verified" ? 1 : 0, l.conf === null || l.conf === undefined ? 101 : l.conf]; };
      var queue = lines.filter(function (l) { return l.status !== "verified"; }).sort(function (a, b) {
        var ka = key(a), kb = key(b); return ka[0] - kb[0] || ka[1] - kb[1];
      }).map(function (l) { return l.id; });
      return {page: data.page, key: data.key, line: i >= 0 ? summary(lines[i]) : null, number: i + 1, total: lines.length,
              order: queue, after_confirm: "queue"};
    },

    /* The text field's state for assets/editor.js: which line it holds, at which revision, where to save. */
    editState: function (current, order, selection, stateId, fieldId, data) {
      var prefix = stateId.replace(/-edit-state$/, "");
      var sel = selection || {};
      var line = current && current.line;
      var state = {field: fieldId, page: current ? current.page : null, line: line ? line.id : null,
                   lines: data && data.lines ? dc.kalamos.lineTexts(data) : [],
                   rev: line ? line.rev : 0, text: line ? line.text : "", status: line ? line.status : null,
                   number: current ? current.number : 0, total: current ? current.total : 0,
                   order: current && current.order ? current.order : (order || []),
                   after_confirm: current && current.after_confirm || "order",
                   url: sel.project && sel.document && current ? "/api/lines/" + sel.project + "/" + sel.document + "/" +
                        current.page + "/" : null,
                   selected_store: prefix + "-selected", saved_store: prefix + "-saved", box: prefix + "-editor-box"};
      return JSON.stringify(state);
    },

    /* A save the editor made: the line as the server now has it goes into the page's lines; the
     * undo of a text change brings back the text the line had before it was edited. */
    mergeSaved: function (saved, data, undo) {
      var outcome = saved && saved.outcome, line = outcome && outcome.line;
      if (!line || !data || !data.lines || saved.page !== data.page) { return [nu(), nu()]; }
      var i = data.lines.map(function (l) { return l.id; }).indexOf(line.id);
      if (i < 0) { return [nu(), nu()]; }
      var before = data.lines[i];
      var lines = data.lines.slice();
      var ids = data.lines.map(function (l) { return l.id; });
      (saved.recent || []).forEach(function (r) {  // earlier saves whose news Dash folded into this one
        var k = r.page === data.page && r.line ? ids.indexOf(r.line.id) : -1;
        if (k >= 0 && k !== i && r.line.rev > lines[k].rev) { lines[k] = Object.assign({}, lines[k], r.line); }
      });
      lines[i] = Object.assign({}, before, line);  // keeps what the tab added (number, outline)
      var out = Object.assign({}, data, {lines: lines});
      if (outcome.status !== "saved") { return [out, nu()]; }
      var keep = undo && undo.action === "update" && undo.line && undo.line.id === line.id && undo.page === data.page;
      var record = {action: "update", page: data.page, line: keep ? undo.line : before, rev: line.rev, ids: [], index: null};
      return [out, record];
    },

    /* The same for a tab without undo (Transcribe). */
    mergeLine: function (saved, data) {
      return dc.kalamos.mergeSaved(saved, data, null)[0];
    },

    statusCounts: function (data) {
      if (!data || !data.lines) { return ""; }
      var counts = {verified: 0, edited: 0, aligned: 0, machine: 0, empty: 0};
      data.lines.forEach(function (l) { counts[l.status] = (counts[l.status] || 0) + 1; });
      var parts = ["verified", "edited", "aligned", "machine", "empty"].filter(function (s) { return counts[s]; })
        .map(function (s) { return counts[s] + " " + s; });
      return parts.length ? parts.join(" · ") : "no lines";
    }
  };
})();
