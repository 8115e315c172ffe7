// The header menu's buttons: "Menu" on narrow screens, and one per submenu. The page works
// without this file (every submenu is shown, wide screens open them on hover and focus); with
// it, buttons say whether they are open (aria-expanded), and Escape closes what is open and
// puts the focus back on its button.
(function () {
  "use strict";

  function setOpen(button, container, className, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    container.classList.toggle(className, open);
  }

  function closeSubmenus(nav, except) {
    nav.querySelectorAll(".submenu-toggle[aria-expanded='true']").forEach(function (button) {
      if (button !== except) setOpen(button, button.parentElement, "submenu-open", false);
    });
  }

  function enhance(nav) {
    nav.classList.add("js-menu");
    var toggle = nav.querySelector(".menu-toggle");
    if (toggle) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") !== "true";
        setOpen(toggle, nav, "menu-open", open);
        if (!open) closeSubmenus(nav, null);
      });
    }
    nav.querySelectorAll(".submenu-toggle").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var open = button.getAttribute("aria-expanded") !== "true";
        closeSubmenus(nav, button);
        setOpen(button, button.parentElement, "submenu-open", open);
      });
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" && event.key !== "Esc") return;
      var item = event.target.closest(".submenu-open");
      if (item) {
        var button = item.querySelector(".submenu-toggle");
        setOpen(button, item, "submenu-open", false);
        button.focus();
        event.preventDefault();
      } else if (toggle && nav.classList.contains("menu-open")) {
        setOpen(toggle, nav, "menu-open", false);
        toggle.focus();
        event.preventDefault();
      }
    });
    // A click or the focus going elsewhere on the page closes an open submenu.
    document.addEventListener("click", function (event) {
      if (!nav.contains(event.target)) closeSubmenus(nav, null);
    });
    nav.addEventListener("focusout", function (event) {
      if (event.relatedTarget && !nav.contains(event.relatedTarget)) closeSubmenus(nav, null);
    });
  }

  function start() {
    document.querySelectorAll("nav.site-menu-header").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
