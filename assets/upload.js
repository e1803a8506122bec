/* Kalamos uploads: every drop zone (class "kalamos-dropzone") streams the files dropped on it or
 * chosen through it to the Kalamos server, as raw request bodies or one multipart batch, so big
 * files never pass through a Dash callback (whose requests are limited in size). What happened is
 * handed to Dash by setting the data of a dcc.Store.
 *
 * A zone says where its settings are:
 *   data-spec      id of a hidden element whose text is JSON: {"url", "max_bytes", "mode": "each" | "batch",
 *                  "fields": {query parameter: id of an <input> whose value (or checked state) it takes}}
 *   data-progress  id of the element that shows the progress
 *   data-result    id of the dcc.Store that receives {"results": [...], "at": time} when the batch ends
 *   data-accept    the file types offered by the chooser
 * "each" sends one request per file (pages: header X-Kalamos-Filename); "batch" sends all files in
 * one multipart request (ground truth: files that refer to each other, e.g. XML and their images).
 * The chooser is emptied after each choice, so choosing the same file again sends it again. */
(function () {
  "use strict";

  function setProps(id, props) {
    if (id && window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(id, props);
    }
  }

  function failure(name, message) {
    return {filename: name, status: "failed", page_ids: [], warnings: [], message: name + ": " + message};
  }

  function send(url, body, headers, name, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      Object.keys(headers).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
      xhr.upload.onprogress = function (ev) {
        if (ev.lengthComputable) { onProgress(ev.loaded / ev.total); }
      };
      xhr.onload = function () {
        var answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
        // a refusal of the whole request (no session, a viewer's role, too large) names no file: name it here
        if (answer && answer.status && (xhr.status < 400 || answer.filename)) { resolve(answer); return; }
        resolve(failure(name, (answer && answer.message) || ("the server answered " + xhr.status)));
      };
      xhr.onerror = function () {
        resolve(failure(name, "the upload was interrupted (is the Kalamos server running?)"));
      };
      xhr.send(body);
    });
  }

  function readSpec(zone) {
    var holder = document.getElementById(zone.getAttribute("data-spec") || "upload-url");
    var spec = null;
    try { spec = JSON.parse(holder ? holder.textContent : ""); } catch (e) { spec = null; }
    if (!spec || !spec.url) { return null; }
    var params = [];
    Object.keys(spec.fields || {}).forEach(function (key) {
      var el = document.getElementById(spec.fields[key]);
      if (!el) { return; }
      var value = el.type === "checkbox" ? (el.checked ? "1" : "0") : (el.value || "");
      params.push(encodeURIComponent(key) + "=" + encodeURIComponent(value));
    });
    if (params.length) { spec.url += (spec.url.indexOf("?") < 0 ? "?" : "&") + params.join("&"); }
    return spec;
  }

  function tooBig(f, spec) {
    return failure(f.name, "the file is " + (f.size / 1048576).toFixed(1) + " MB, larger than the limit of " +
                   (spec.max_bytes / 1048576).toFixed(1) + " MB (KALAMOS_MAX_FILE_MB)");
  }

  async function uploadAll(zone, files) {
    var progressId = zone.getAttribute("data-progress") || "upload-progress";
    var resultId = zone.getAttribute("data-result") || "upload-result";
    var spec = readSpec(zone);
    if (!spec) {
      setProps(progressId, {children: "Choose or create a project and a document first."});
      return;
    }
    zone.classList.add("kalamos-busy");
    var results = [];
    if (spec.mode === "batch") {
      var total = files.reduce(function (n, f) { return n + f.size; }, 0);
      if (total > spec.max_bytes) {
        results.push(failure(files.length + " file(s)", "together " + (total / 1048576).toFixed(1) +
                             " MB, more than the limit of " + (spec.max_bytes / 1048576).toFixed(1) + " MB"));
      } else {
        var form = new FormData();
        files.forEach(function (f) { form.append("files", f, f.name); });
        var prefix = "Sending " + files.length + " file(s)";
        setProps(progressId, {children: prefix});
        results.push(await send(spec.url, form, {"X-Kalamos-Batch": "1"}, files.length + " file(s)", function (frac) {
          setProps(progressId, {children: prefix + " (" + Math.round(frac * 100) + "%)"});
        }));
      }
    } else {
      for (var i = 0; i < files.length; i++) {
        var f = files[i];
        var label = "Uploading " + (i + 1) + " of " + files.length + ": " + f.name;
        setProps(progressId, {children: label});
        if (f.size > spec.max_bytes) {  // the server refuses it too; this spares sending it
          results.push(tooBig(f, spec));
          continue;
        }
        results.push(await send(spec.url, f, {"X-Kalamos-Filename": encodeURIComponent(f.name),
                                              "Content-Type": "application/octet-stream"}, f.name,
          (function (text) {
            return function (frac) { setProps(progressId, {children: text + " (" + Math.round(frac * 100) + "%)"}); };
          })(label)));
      }
    }
    zone.classList.remove("kalamos-busy");
    setProps(progressId, {children: "Done: " + files.length + " file(s) processed."});
    setProps(resultId, {data: {results: results, at: Date.now()}});
  }

  function attach(zone) {
    if (zone.querySelector("input[type=file]")) { return; }
    var input = document.createElement("input");
    input.type = "file";
    input.multiple = zone.getAttribute("data-multiple") !== "false";
    input.accept = zone.getAttribute("data-accept") || "";
    input.className = "kalamos-dropzone-input";
    input.setAttribute("aria-label", zone.getAttribute("data-label") || "Choose files to upload");
    zone.appendChild(input);
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      input.value = "";  // the same file chosen again is sent again
      if (files.length && !zone.classList.contains("kalamos-busy")) { uploadAll(zone, files); }
    });
    ["dragenter", "dragover"].forEach(function (ev) {
      zone.addEventListener(ev, function () { zone.classList.add("kalamos-dragover"); });
    });
    ["dragleave", "drop"].forEach(function (ev) {
      zone.addEventListener(ev, function () { zone.classList.remove("kalamos-dragover"); });
    });
  }

  function scan() {
    document.querySelectorAll(".kalamos-dropzone").forEach(attach);
  }

  new MutationObserver(scan).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener("DOMContentLoaded", scan);
})();
