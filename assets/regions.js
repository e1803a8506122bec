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
})();
