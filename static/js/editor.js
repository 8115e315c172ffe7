// The post and page editor (templates/admin/_post_form.html), loaded on the editor only.
//
// - Unsaved changes: leaving the page (closing the tab, following a link) while something typed
//   is neither saved nor autosaved asks first (the browser's own "Leave site?" dialog).
// - Autosave: htmx posts the form to the address in the form's data-autosave-url. The first
//   autosave of a new post makes the draft and answers with a "post-created" event naming its
//   addresses: the form then saves to the draft, and later autosaves update it.
(function () {
  "use strict";

  function setUp() {
    var form = document.querySelector("form[data-editor]");
    if (!form) return;
    var status = document.getElementById("autosave-status");
    var edits = 0; // input events since the page loaded
    var kept = 0; // the number of edits the last finished autosave had seen
    var sent = 0;
    var submitting = false;

    form.addEventListener("input", function () { edits += 1; });
    form.addEventListener("submit", function () { submitting = true; });

    window.addEventListener("beforeunload", function (event) {
      if (submitting || edits === kept) return undefined;
      event.preventDefault();
      event.returnValue = "";
      return "";
    });

    if (!status) return;
    document.body.addEventListener("htmx:configRequest", function (event) {
      if (event.detail.elt !== status) return;
      event.detail.path = form.dataset.autosaveUrl; // the draft's own address once it exists
      sent = edits;
    });
    document.body.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.elt === status && event.detail.successful) kept = sent;
    });
    document.body.addEventListener("post-created", function (event) {
      var urls = event.detail || {};
      if (urls.editUrl) form.action = urls.editUrl;
      if (urls.autosaveUrl) form.dataset.autosaveUrl = urls.autosaveUrl;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
