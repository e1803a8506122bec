/* Pictures loaded when scrolled into view: Dash's html.Img has no `loading` property, so a picture
 * is declared as <img data-lazy-src="…"> and this script gives it loading="lazy" and then its src.
 * A manuscript of 500 canvases thus asks the server only for the thumbnails the user scrolls to
 * (each one fetched from the library by the server). */
(function () {
  "use strict";

  function scan() {
    document.querySelectorAll("img[data-lazy-src]").forEach(function (img) {
      var src = img.getAttribute("data-lazy-src");
      if (src && img.getAttribute("src") !== src) {
        img.setAttribute("loading", "lazy");  // before the src, or the browser starts loading at once
        img.setAttribute("src", src);
      }
    });
  }

  new MutationObserver(scan).observe(document.documentElement,
    {childList: true, subtree: true, attributes: true, attributeFilter: ["data-lazy-src"]});
  document.addEventListener("DOMContentLoaded", scan);
})();
