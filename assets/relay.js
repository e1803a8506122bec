/* A person's clicks and choices in a list that is drawn anew after every change (the region rows of the
 * Annotate tab, the page cards of Upload) go to the server through a store, from the browser's own click
 * and change events, which only a person makes. Not through callbacks with the rows as inputs: Dash
 * fires those for every row when the list is drawn anew, and the answer to a click still on its way from
 * an earlier firing of the same callback is then dropped (the change reached the disk but not the page,
 * nor its undo record); a choice made while the new list arrives is merged into that firing and cannot
 * be told apart from it.
 *
 * The list's container names the store (layout, from layout/ids.py): data-relay-click="<store id>" gets
 * {id, at} for a click on a button with a pattern-matching id; data-relay-change="<store id>" gets
 * {id, value, at} for a field's change (a select chosen, a text field left or Enter pressed). */
(function () {
  "use strict";
  function patternId(el) {
    if (!el || !el.id || el.id.charAt(0) !== "{") { return null; }
    try { return JSON.parse(el.id); } catch (e) { return null; }
  }
  function send(holder, attribute, data) {
    var store = holder && holder.getAttribute(attribute);
    if (store && window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(store, {data: data});
    }
  }
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("button[id]") : null;
    var id = patternId(button);
    if (id) { send(button.closest("[data-relay-click]"), "data-relay-click", {id: id, at: Date.now()}); }
  });
  document.addEventListener("change", function (event) {
    var field = event.target, id = patternId(field);
    if (id) { send(field.closest("[data-relay-change]"), "data-relay-change", {id: id, value: field.value, at: Date.now()}); }
  });
})();
