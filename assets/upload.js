/* Kalamos upload: streams each dropped/chosen file to the Kalamos server (one request per file,
 * raw body, so big scans never pass through a Dash callback), then hands the batch's results to
 * Dash by setting the data of the dcc.Store "upload-result". */
(function () {
  "use strict";

  function setProps(id, props) {
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(id, props);
    }
  }

  function sendOne(url, file, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-Kalamos-Filename", encodeURIComponent(file.name));
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.upload.onprogress = function (ev) {
        if (ev.lengthComputable) { onProgress(ev.loaded / ev.total); }
      };
      xhr.onload = function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (body && body.status) { resolve(body); return; }
        resolve({filename: file.name, status: "failed", page_ids: [], warnings: [],
                 message: file.name + ": " + ((body && body.message) || ("the server answered " + xhr.status))});
      };
      xhr.onerror = function () {
        resolve({filename: file.name, status: "failed", page_ids: [], warnings: [],
                 message: file.name + ": the upload was interrupted (is the Kalamos server running?)"});
      };
      xhr.send(file);
    });
  }

  async function uploadAll(zone, files) {
    var target = document.getElementById("upload-url");
    var spec = null;
    try { spec = JSON.parse(target ? target.textContent : ""); } catch (e) { spec = null; }
    var url = spec && spec.url;
    if (!url) {
      setProps("upload-progress", {children: "Choose or create a project and a document first."});
      return;
    }
    zone.classList.add("kalamos-busy");
    var results = [];
    for (var i = 0; i < files.length; i++) {
      var f = files[i];
      var prefix = "Uploading " + (i + 1) + " of " + files.length + ": " + f.name;
      setProps("upload-progress", {children: prefix});
      if (f.size > spec.max_bytes) {  // the server refuses it too; this spares sending it
        results.push({filename: f.name, status: "failed", page_ids: [], warnings: [],
                      message: f.name + ": the file is " + (f.size / 1048576).toFixed(1) +
                               " MB, larger than the limit of " + (spec.max_bytes / 1048576).toFixed(1) +
                               " MB (KALAMOS_MAX_FILE_MB)"});
        continue;
      }
      results.push(await sendOne(url, f, function (frac) {
        setProps("upload-progress", {children: prefix + " (" + Math.round(frac * 100) + "%)"});
      }));
    }
    zone.classList.remove("kalamos-busy");
    setProps("upload-progress", {children: "Done: " + files.length + " file(s) processed."});
    setProps("upload-result", {data: {results: results, at: Date.now()}});
  }

  function attach(zone) {
    if (zone.querySelector("input[type=file]")) { return; }
    var input = document.createElement("input");
    input.type = "file";
    input.multiple = true;
    input.accept = zone.getAttribute("data-accept") || "";
    input.className = "kalamos-dropzone-input";
    input.setAttribute("aria-label", "Choose page images to upload");
    zone.appendChild(input);
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      input.value = "";
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
