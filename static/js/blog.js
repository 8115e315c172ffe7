// Small behaviours htmx does not do by itself. Loaded from our own origin (the CSP allows no
// inline script), and everything here is an enhancement: without it the pages still work.
(function () {
  "use strict";

  // A random value of this tab's, sent with every comment form post: the page is the same for
  // every reader and can carry nothing of this browser's, and this lets the server tell that
  // the same browser sent the same comment again after its answer was lost ("Your first post
  // did arrive"; blog/reading/comment_views.py, poster_secret).
  function posterKey() {
    var key = null;
    try { key = window.sessionStorage.getItem("blog-poster"); } catch (e) { key = null; }
    if (!/^[0-9a-f]{32}$/.test(key || "")) {
      var bytes = new Uint8Array(16);
      window.crypto.getRandomValues(bytes);
      key = Array.prototype.map.call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      }).join("");
      try { window.sessionStorage.setItem("blog-poster", key); } catch (e) { /* private mode */ }
    }
    return key;
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    var form = elt && elt.closest ? elt.closest("form.comment-form") : null;
    if (form && event.detail.verb === "post") event.detail.parameters.poster = posterKey();
  });

  // After a reply link or "Cancel reply" moved the form, put the cursor in the comment box.
  document.addEventListener("htmx:afterSettle", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    var selector = source && source.getAttribute("data-focus");
    if (!selector) return;
    var target = document.querySelector(selector);
    if (target) target.focus();
  });

  // When a request fails. htmx swaps no 5xx answer and says nothing when the network fails, so
  // the reader would be left with a button that did nothing. A 5xx that carries the form again
  // (X-Form-Answer: the comment form with its message and the text) is swapped like a 422;
  // for anything else a message goes beside the form, whose fields are left as they were, and
  // htmx gives the disabled button back.
  // The texts come from the page (base.html's data-text-*), in the site's language.
  function said(name, fallback, status) {
    var text = (document.body && document.body.getAttribute("data-text-fault-" + name)) || fallback;
    return text.replace("{status}", String(status));
  }
  var AGAIN = " " + said("again", "Please try again in a moment.");
  var KEPT = " " + said("kept", "Your text is still here.");

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status >= 500 && xhr.getResponseHeader("X-Form-Answer") === "swap") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var answered = serverMessage(xhr);
    var status = xhr ? xhr.status : 0;
    var text = answered || (status >= 500
      ? said("server", "The site could not do this just now (error {status}).", status) + AGAIN
      : said("refused", "That did not work (error {status}).", status));
    showFault(event.detail.elt, text);
  });

  function networkFault(event) {
    showFault(event.detail.elt,
      said("unreached", "The site could not be reached, so nothing was sent.") + AGAIN);
  }
  document.addEventListener("htmx:sendError", networkFault);
  document.addEventListener("htmx:timeout", networkFault);

  document.addEventListener("htmx:beforeRequest", function (event) {
    var old = faultBox(event.detail.elt, false);
    if (old) old.remove();
  });

  // The message of our own error page (errors/_error.html), if that is what came back.
  function serverMessage(xhr) {
    if (!xhr || !/text\/html/.test(xhr.getResponseHeader("Content-Type") || "")) return "";
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var found = doc.querySelector(".error-message p:not(.error-reference)");
    return found ? found.textContent.trim().slice(0, 300) : "";
  }

  function faultBox(elt, create) {
    var form = elt && elt.closest ? elt.closest("form") || elt : null;
    if (!form || !form.parentNode) return null;
    var inside = form.tagName === "FORM";
    var box = inside ? form.querySelector(".request-fault")
      : form.nextElementSibling && form.nextElementSibling.classList.contains("request-fault")
        ? form.nextElementSibling : null;
    if (box || !create) return box;
    box = document.createElement("div");
    box.className = "error-summary request-fault";
    box.setAttribute("role", "alert");
    box.appendChild(document.createElement("p"));
    var submit = inside ? form.querySelector(".form-submit") : null;
    if (submit) submit.parentNode.insertBefore(box, submit);
    else if (inside) form.appendChild(box);
    else form.parentNode.insertBefore(box, form.nextSibling);
    return box;
  }

  function showFault(elt, text) {
    if (!elt || elt.hasAttribute("data-poll")) return; // the next poll simply tries again
    var box = faultBox(elt, true);
    if (!box) return;
    var form = elt.closest && elt.closest("form");
    var typed = form && form.querySelector("textarea, input[type=text], input[type=email]");
    box.firstChild.textContent = typed ? text + KEPT : text;
  }

  // The thread asks for new comments only while someone can see the page.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (document.hidden && event.detail.elt.hasAttribute("data-poll")) event.preventDefault();
  });

  // "you can edit this for MM:SS" counts down; at zero the edit controls go away.
  function format(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function tick() {
    var timers = document.querySelectorAll("[data-countdown]");
    for (var i = 0; i < timers.length; i++) {
      var timer = timers[i];
      if (!timer.hasAttribute("data-deadline")) {
        var deadline = Date.now() + Number(timer.getAttribute("data-countdown")) * 1000;
        timer.setAttribute("data-deadline", String(deadline));
      }
      var left = Math.max(0, Math.round((Number(timer.getAttribute("data-deadline")) - Date.now()) / 1000));
      var display = timer.querySelector(".countdown");
      if (display) display.textContent = format(left);
      if (left === 0) {
        var controls = timer.closest("[data-edit-controls]");
        if (controls) controls.remove();
        else timer.removeAttribute("data-countdown");
      }
    }
  }

  // Start a new timer's clock when it arrives (page load or htmx swap), not up to a second later.
  document.addEventListener("htmx:load", tick);
  tick();
  setInterval(tick, 1000);
})();
