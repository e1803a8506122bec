/* Clientside callback of the Preprocess tab (registered in callbacks/preprocess.py): a slider, number
 * box, choice or switch changes the pipeline held by the browser at once, without a round trip; the
 * server is asked only for the preview (and keeps the pipeline). */
(function () {
  "use strict";
  var dc = window.dash_clientside = window.dash_clientside || {};

  dc.kalamos_preprocess = {
    /* The step parameters and switches, as the page shows them, into the pipeline store. */
    editValues: function (_values, _on, pipe) {
      if (!pipe || !pipe.steps) { return dc.no_update; }
      var lists = dc.callback_context.inputs_list;
      var steps = JSON.parse(JSON.stringify(pipe.steps));
      var changed = false;
      (lists[0] || []).forEach(function (item) {
        var i = item.id.index, name = item.id.param, value = item.value;
        // a number box emptied (or not a number yet) changes nothing: the step keeps its last value
        if (value === null || value === undefined || value === "" || (typeof value === "number" && isNaN(value)) ||
            i >= steps.length) { return; }
        var params = steps[i].params;
        if (Object.prototype.hasOwnProperty.call(params, name) && params[name] !== value) {
          params[name] = value; changed = true;
        }
      });
      (lists[1] || []).forEach(function (item) {
        var i = item.id.index;
        if (i >= steps.length || item.value === null || item.value === undefined) { return; }
        var on = Boolean(item.value);
        if (steps[i].on !== on) { steps[i].on = on; changed = true; }
      });
      return changed ? Object.assign({}, pipe, {steps: steps}) : dc.no_update;
    }
  };
})();
