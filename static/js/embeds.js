// Video cards in articles (blog/media/embeds.py): each is a plain link to the video, so the
// page asks nothing of YouTube, Vimeo or Dailymotion while it loads. A click (or Enter) on a
// card replaces it with the provider's player, in a sandboxed iframe. Without this file the card
// stays a link to the video's own page.
(function () {
  "use strict";

  // The only players a card may start; the CSP's frame-src names the same hosts.
  var PLAYERS = [
    "https://www.youtube-nocookie.com/embed/",
    "https://player.vimeo.com/video/",
    "https://www.dailymotion.com/embed/video/",
  ];

  function allowed(src) {
    return PLAYERS.some(function (prefix) {
      return src.indexOf(prefix) === 0 && src.length > prefix.length;
    });
  }

  function play(card) {
    var src = card.getAttribute("data-embed-src") || "";
    if (!allowed(src)) return false;
    var provider = card.querySelector(".embed-provider");
    var title = card.querySelector(".embed-title");
    var frame = document.createElement("iframe");
    frame.src = src;
    frame.title = (title ? title.textContent : "Video") +
      (provider ? " (" + provider.textContent + ")" : "");
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-presentation allow-popups");
    frame.setAttribute("allow", "fullscreen; picture-in-picture; encrypted-media");
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    frame.setAttribute("loading", "lazy");
    frame.width = "560";
    frame.height = "315";
    frame.className = "embed-player"; // 16:9 at the column's width (static/css/blog.css)
    card.replaceWith(frame);
    frame.focus();
    return true;
  }

  document.addEventListener("click", function (event) {
    // A new tab or window (Ctrl, Cmd, Shift, middle button) opens the video's page as asked.
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    var card = event.target.closest && event.target.closest("a.embed-card[data-embed-src]");
    if (card && play(card)) event.preventDefault();
  });
})();
