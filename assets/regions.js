// The list of regions in the Annotate tab is drawn anew after every change. A keyboard user who
// pressed Enter on a row's button (earlier, later, the type) would lose their place: the button that
// had the focus gets it back in the new list (same region, same action), so Enter can be pressed again.
(function () {
  "use strict";
  var LIST = "annotate-region-list";
  var last = null;  // the id (JSON text) of the button or field that had the focus
  document.addEventListener("focusin", function (event) {
    var list = document.getElementById(LIST);
    if (list && list.contains(event.target) && event.target.id) {
      last = event.target.id;
    }
  });
  document.addEventListener("focusout", function (event) {
    var list = document.getElementById(LIST);
    // focus moving elsewhere on the page (not lost because the list was redrawn) forgets it
    if (list && event.relatedTarget && !list.contains(event.relatedTarget)) {
      last = null;
    }
  });
  function watch() {
    var list = document.getElementById(LIST);
    if (!list) {
      window.setTimeout(watch, 500);
      return;
    }
    new MutationObserver(function () {
      if (!last || (document.activeElement && document.activeElement !== document.body)) {
        return;
      }
      var again = document.getElementById(last);
      if (again) {
        again.focus();
      }
    }).observe(list, {childList: true, subtree: true});
  }
  watch();

  /* A person's click on a row's button, or a type or subtype they chose, goes to the server through a store
   * (callbacks/annotate_regions.py). Not through callbacks with the rows as inputs: Dash fires those for
   * every row when the list is drawn anew, which it is after every change. Such a firing drops the answer
   * to a click still on its way (the change reached the disk but not the page, nor its undo record), and
   * a choice made while the new list arrives is merged into it and cannot be told apart. The browser's
   * own click and change events come from the person only. */
  var ACTION = "annotate-region-action", TYPE = "annotate-region-type", SUBTYPE = "annotate-region-subtype";
  function patternId(target) {
    if (!target || !target.id || target.id.charAt(0) !== "{") { return null; }
    try { return JSON.parse(target.id); } catch (e) { return null; }
  }
  function send(store, data) {
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(store, {data: data});
    }
  }
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("button[id]") : null;
    var id = patternId(button);
    if (id && id.type === ACTION) {
      send("annotate-region-click", {id: id, at: Date.now()});
    }
  });
  document.addEventListener("change", function (event) {
    var id = patternId(event.target);
    if (id && (id.type === TYPE || id.type === SUBTYPE)) {
      send("annotate-region-edit", {region: id.region, field: id.type === TYPE ? "type" : "subtype",
                                    value: event.target.value, at: Date.now()});
    }
  });
})();
