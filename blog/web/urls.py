"""Absolute URLs from configuration, never from the Host header a client sent.

``url_for(..., _external=True)`` takes the origin from the request, so a comment posted with
``Host: evil.example`` would mail the author links (with signed moderation tokens) to that host.
Every absolute URL that leaves a request is built here instead: SITE_URL, then the path.
"""

from __future__ import annotations

import os
import re
import unicodedata
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app, has_request_context, request, url_for


def check_site_url(app: Flask) -> None:
    """Validate SITE_URL at start-up, require it in production, and derive TRUSTED_HOSTS from it."""
    site_url = (app.config.get("SITE_URL") or "").strip()
    if not site_url:
        if app.config.get("ENV") == "production":
            raise RuntimeError(
                "SITE_URL is not set. In production set BLOG_SITE_URL (e.g. https://news.example): "
                "links in emails and feeds must not come from the Host header a visitor sends."
            )
        return
    try:
        parts = urlsplit(site_url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host or parts.query:
        raise RuntimeError(f"SITE_URL must look like https://news.example, not {site_url!r}")
    app.config["SITE_URL"] = site_url.rstrip("/")
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = [host]


def site_root() -> str:
    """SITE_URL without its trailing slash; without one (development, tests) the request's root."""
    configured = current_app.config.get("SITE_URL")
    if configured:
        return configured
    if has_request_context():
        return request.root_url.rstrip("/")
    raise RuntimeError("SITE_URL is not set, and there is no request to take the address from")


def _path(endpoint: str, values: dict) -> str:
    """The URL path of ``endpoint`` below the site root (no script root, no host)."""
    for option in ("_external", "_scheme"):
        if option in values:
            raise TypeError(f"absolute_url() builds from SITE_URL; {option} is not accepted")
    if has_request_context():
        path = url_for(endpoint, **values)
        script_root = request.script_root
        if script_root and path.startswith(script_root):
            path = path[len(script_root) :]
        return path
    # No request (a CLI command): build against a neutral adapter; SITE_URL gives the origin.
    anchor = values.pop("_anchor", None)
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return path + (f"#{anchor}" if anchor else "")


def absolute_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` with SITE_URL (or, unset, the request root) in front."""
    return site_root() + _path(endpoint, values)


def site_prefix(app: Flask) -> str:
    """The path the site lives under ("" at a host's root): SITE_URL's path, nothing else."""
    return urlsplit(app.config.get("SITE_URL") or "").path.rstrip("/")


class FixedScriptRoot:
    """Every request's script root is the site's configured prefix, whatever the request says.

    WSGI servers take ``SCRIPT_NAME`` from a request header (gunicorn does, from addresses it
    trusts), and Flask puts the script root in front of every path ``url_for`` builds. Cached
    pages are shared between readers, so one request with ``SCRIPT_NAME: //evil.example`` made
    every later reader's form post to another site. The prefix now comes from SITE_URL only (a
    request path that still carries it, as a proxy may pass it, loses it here), and neither
    ``SCRIPT_NAME`` nor ``X-Forwarded-Prefix`` is ever read."""

    def __init__(self, wsgi_app, prefix: str):
        self.wsgi_app = wsgi_app
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        prefix = self.prefix
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            path = path[len(prefix) :] or "/"
        environ["SCRIPT_NAME"] = prefix
        environ["PATH_INFO"] = path
        return self.wsgi_app(environ, start_response)


def fix_script_root(app: Flask) -> None:
    """Installed outermost (after every other WSGI wrapper), so all of them see the fixed root."""
    app.wsgi_app = FixedScriptRoot(app.wsgi_app, site_prefix(app))


def warn_without_site_url(app: Flask) -> None:
    """Under a WSGI server (not `flask run`, not the tests) a missing SITE_URL is logged: links
    in emails then take the Host header of whoever posted the comment."""
    if app.config.get("SITE_URL") or app.debug or app.testing:
        return
    import logging
    import sys

    if "flask" in os.path.basename(sys.argv[0] if sys.argv else ""):
        return  # the CLI (flask run, init-db, send-mail...) is the development server or a tool
    logging.getLogger(__name__).warning(
        "SITE_URL is not set: links in notification emails, feeds and the sitemap take the Host "
        "header of the request that made them. Set BLOG_SITE_URL (e.g. https://news.example); "
        'ENV="production" refuses to start without it.'
    )


def init_app(app: Flask) -> None:
    check_site_url(app)
    warn_without_site_url(app)
    app.jinja_env.globals["absolute_url"] = absolute_url
    app.jinja_env.globals["article_url"] = article_url
    app.jinja_env.globals["article_page_url"] = article_page_url
    app.jinja_env.globals["absolute_article_url"] = absolute_article_url


# --- where a post or a page lives ---------------------------------------------------------------

MAX_PAGE_DEPTH = 16  # parents followed for a page's address; a loop in bad data stops here


def page_path(page) -> str:
    """A page's address below the site root: its parents' slugs and its own, "about/team"."""
    slugs, seen, node = [], set(), page
    while node is not None and node.id not in seen and len(slugs) < MAX_PAGE_DEPTH:
        seen.add(node.id)
        slugs.append(node.slug)
        node = node.parent
    return "/".join(reversed(slugs))


def article_endpoint(post) -> tuple[str, dict]:
    """The endpoint and values of a post's (or a page's) own address."""
    if post.kind == "page":
        return "public.page", {"path": page_path(post)}
    return "public.post", {"slug": post.slug}


def article_url(post, **values) -> str:
    """The path of a post or a page (``values``: cpage, replytocom...); every link to an
    article is built here, so a page's comment links and feeds point at the page."""
    endpoint, own = article_endpoint(post)
    return url_for(endpoint, **own, **values)


def article_page_url(post, number: int) -> str:
    """Page ``number`` of an article split with ``<!--nextpage-->``: /posts/SLUG/N for a post,
    /PATH/N/ for a page (WordPress's /about/2/); page 1 is the article itself."""
    if number <= 1:
        return article_url(post)
    if post.kind == "page":
        return url_for("public.page", path=f"{page_path(post)}/{number}")
    return url_for("public.post_page", slug=post.slug, page=number)


def absolute_article_url(post, **values) -> str:
    endpoint, own = article_endpoint(post)
    return absolute_url(endpoint, **own, **values)


# --- redirect targets taken from the request ---------------------------------------------------

# What a browser, a proxy or a second decoding may read as "/" (a backslash counts as a slash in
# http(s) URLs; the others are Unicode look-alikes, some of which NFKC turns into "/" or "\\").
_SLASHES = str.maketrans(dict.fromkeys("\\\u2215\u2044\u29f8\uff0f\uff3c\u2216\ufe68\u29f5", "/"))
LOCAL_PATH_MAX = 2048


def local_path(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback``.

    Every view that redirects to an address taken from the request (``next=`` after sign-in,
    ``back=`` in moderation) goes through here. Accepted: "/" and a path that does not begin
    with a second slash, with a query string if any. The check is made on the address as a
    browser, a proxy or a careless second decoding could read it: percent-decoded (repeatedly),
    NFKC-normalised, with backslashes and look-alike slashes as "/"; then its path must start
    with "/", hold no "//" and no "." or ".." segment, and no character may be a control or
    invisible one (tab and newline vanish inside a scheme: "java\tscript:"). So
    "////host", "/\\host", "/%2F/host", "/\uff0fhost", "https:host", "//user@host" and " /x"
    all get ``fallback``, and so does a line break that could not go into a Location header.
    """
    if not isinstance(target, str) or not target.startswith("/") or len(target) > LOCAL_PATH_MAX:
        return fallback
    probe = target
    for _ in range(4):  # "%2F", "%252F"...
        decoded = unquote(probe)
        if decoded == probe:
            break
        probe = decoded
    probe = unicodedata.normalize("NFKC", probe).translate(_SLASHES)
    path = re.split(r"[?#]", probe, maxsplit=1)[0]
    if (
        not (target.isprintable() and probe.isprintable())
        or not path.startswith("/")
        or "//" in path
        or {".", ".."} & set(path.split("/"))
    ):
        return fallback
    return target
