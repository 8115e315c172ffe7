// The media library's uploads and the editor's "Add media" panel (blog/admin/media.py).
//
// - Upload forms (form[data-media-upload]) still post normally without JavaScript. With it,
//   files dropped on the drop zone join the file input, and "Upload" sends one request per file
//   (XMLHttpRequest: fetch cannot report upload progress), each with its own <progress> row that
//   the server's answer then replaces: the stored file, or why it was refused. The CSRF token
//   travels in the form's own field. A "media-uploaded" event on <body> tells the panel to
//   reload its list.
// - The editor's panel opens in a <dialog> once htmx has loaded it. When an insert answers with
//   the code for the post (a [data-media-snippet]), it goes into the post's text where the cursor
//   was, and an input event tells the preview and the autosave.
(function () {
  "use strict";

  // --- uploads ---------------------------------------------------------------------------------

  // Words the server wrote in the site's language (data-text-* on the upload form), with
  // "{name}"-style slots; English when the form has none.
  function say(form, key, fallback, values) {
    var text = (form && form.dataset["text" + key]) || fallback;
    Object.keys(values || {}).forEach(function (slot) {
      text = text.split("{" + slot + "}").join(values[slot]);
    });
    return text;
  }

  function fileRow(form, list, file) {
    var row = document.createElement("li");
    row.className = "upload-result upload-pending";
    var name = document.createElement("span");
    name.className = "file-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", say(form, "Uploading", "Uploading {name}", { name: file.name }));
    row.appendChild(name);
    row.appendChild(document.createTextNode(" "));
    row.appendChild(bar);
    list.appendChild(row);
    return { row: row, bar: bar };
  }

  // Why a file got no result row of its own (an error page instead, or no answer at all).
  function failure(form, status) {
    if (status === 400) return say(form, "Expired", "the page is too old to upload from (its security token expired): reload it and try again.");
    if (status === 403) return say(form, "Forbidden", "this account may not upload files.");
    if (status === 0) return say(form, "Unreached", "the upload did not reach the site; check the connection and try again.");
    return say(form, "Failed", "the upload failed (the site answered {status}); try again.", { status: status });
  }

  function replaceRow(form, row, html, status) {
    var holder = document.createElement("template");
    holder.innerHTML = html; // the server's own escaped fragment (templates/admin/_media_results.html)
    var items = holder.content.querySelectorAll("li.upload-result");
    if (!items.length) {
      row.classList.remove("upload-pending");
      row.classList.add("upload-refused");
      var message = document.createElement("span");
      message.className = "field-error";
      message.setAttribute("role", "alert");
      message.textContent = failure(form, status);
      row.lastChild.replaceWith(message);
      return;
    }
    row.replaceWith.apply(row, Array.prototype.slice.call(items));
  }

  function sendFile(form, file, altText, list) {
    return new Promise(function (resolve) {
      var shown = fileRow(form, list, file);
      var data = new FormData();
      data.append("csrf_token", form.querySelector("[name=csrf_token]").value);
      data.append("alt_text", altText);
      data.append("file", file, file.name);
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("HX-Request", "true"); // answer with the rows, not the page
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) shown.bar.value = Math.round((event.loaded / event.total) * 100);
      });
      request.addEventListener("load", function () {
        shown.bar.value = 100;
        replaceRow(form, shown.row, request.responseText, request.status);
        resolve(request.status === 200);
      });
      request.addEventListener("error", function () {
        replaceRow(form, shown.row, "", 0);
        resolve(false);
      });
      request.send(data);
    });
  }

  function uploadAll(form) {
    var input = form.querySelector("input[type=file]");
    var list = form.querySelector("[data-upload-results]");
    var alt = form.querySelector("[name=alt_text]");
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) {
      input.focus();
      return;
    }
    var altText = files.length === 1 && alt ? alt.value : "";
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    // One after another: the server makes each file's sizes, and the rows finish in order.
    var chain = Promise.resolve(false);
    var stored = false;
    files.forEach(function (file) {
      chain = chain.then(function (ok) {
        stored = stored || ok;
        return sendFile(form, file, altText, list);
      });
    });
    chain.then(function (ok) {
      stored = stored || ok;
      button.disabled = false;
      input.value = "";
      if (alt) alt.value = "";
      if (stored) document.body.dispatchEvent(new CustomEvent("media-uploaded", { bubbles: true }));
    });
  }

  function setUpUpload(form) {
    if (form.dataset.mediaReady) return;
    form.dataset.mediaReady = "1";
    var zone = form.querySelector("[data-drop-zone]");
    var input = form.querySelector("input[type=file]");
    var hint = form.querySelector("[data-drop-hint]");
    if (hint) hint.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      uploadAll(form);
    });
    if (!zone || !input) return;
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("drop-zone-active");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("drop-zone-active"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      var dropped = event.dataTransfer && event.dataTransfer.files;
      if (!dropped || !dropped.length) return;
      // The dropped files join those already chosen.
      var both = new DataTransfer();
      Array.prototype.forEach.call(input.files || [], function (file) { both.items.add(file); });
      Array.prototype.forEach.call(dropped, function (file) { both.items.add(file); });
      input.files = both.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function setUpUploads(root) {
    Array.prototype.forEach.call(root.querySelectorAll("form[data-media-upload]"), setUpUpload);
  }

  // --- the editor's panel ----------------------------------------------------------------------

  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart || 0;
    var end = textarea.selectionEnd || start;
    var before = textarea.value.slice(0, start);
    var after = textarea.value.slice(end);
    // A block of its own: a blank line before and after, so Markdown leaves the HTML alone.
    var lead = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
    var tail = after === "" || /^\n\n/.test(after) ? "\n" : /^\n/.test(after) ? "\n" : "\n\n";
    textarea.value = before + lead + text + tail + after;
    var cursor = (before + lead + text + tail).length;
    textarea.focus();
    textarea.setSelectionRange(cursor, cursor);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function useSnippet(box) {
    if (box.dataset.used) return;
    box.dataset.used = "1";
    var body = document.getElementById("body");
    var dialog = document.getElementById("media-dialog");
    var code = box.querySelector("textarea");
    if (!body || !dialog || !code) return; // the panel's own page: the code is there to copy
    insertAtCursor(body, code.value);
    if (dialog.open) dialog.close();
  }

  function setUpPanel(root) {
    var dialog = document.getElementById("media-dialog");
    if (!dialog) return;
    Array.prototype.forEach.call(root.querySelectorAll("[data-media-close]"), function (button) {
      button.hidden = false;
      if (button.dataset.mediaReady) return;
      button.dataset.mediaReady = "1";
      button.addEventListener("click", function () { dialog.close(); });
    });
  }

  function afterSwap(event) {
    var target = event.detail && event.detail.target;
    if (!target) return;
    var dialog = document.getElementById("media-dialog");
    if (dialog && target.id === "media-panel" && !dialog.open) {
      dialog.showModal();
      var search = dialog.querySelector("input[type=search]");
      if (search) search.focus();
    }
    setUpUploads(document);
    setUpPanel(document);
    var root = target.isConnected ? target : document;
    Array.prototype.forEach.call(root.querySelectorAll("[data-media-snippet]"), useSnippet);
  }

  // --- the featured image ----------------------------------------------------------------------

  function setUpFeatured() {
    var select = document.querySelector("[data-featured-select]");
    if (!select) return;
    var preview = document.querySelector("[data-featured-preview]");
    var remove = document.querySelector("[data-featured-remove]");

    function show() {
      var option = select.options[select.selectedIndex];
      var src = option ? option.dataset.thumbnail : "";
      if (preview) {
        preview.textContent = "";
        if (src) {
          var img = document.createElement("img");
          img.src = src;
          img.alt = (select.dataset.textFeatured || "The featured image: {name}").split("{name}").join(option.textContent.trim());
          img.width = 150;
          img.height = 150;
          img.className = "featured-thumb";
          preview.appendChild(img);
        }
      }
      if (remove) remove.hidden = !select.value;
    }

    select.addEventListener("change", show);
    if (remove) {
      remove.addEventListener("click", function () {
        select.value = "";
        select.dispatchEvent(new Event("change", { bubbles: true }));
        select.dispatchEvent(new Event("input", { bubbles: true })); // an unsaved change
        select.focus();
      });
    }
  }

  function setUp() {
    setUpUploads(document);
    setUpPanel(document);
    setUpFeatured();
    document.body.addEventListener("htmx:afterSwap", afterSwap);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
