// Small behaviours htmx does not do by itself. Loaded from our own origin (the CSP allows no
// inline script), and everything here is an enhancement: without it the pages still work.
(function () {
  "use strict";

  // After a reply link or "Cancel reply" moved the form, put the cursor in the comment box.
  document.addEventListener("htmx:afterSettle", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    var selector = source && source.getAttribute("data-focus");
    if (!selector) return;
    var target = document.querySelector(selector);
    if (target) target.focus();
  });

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
