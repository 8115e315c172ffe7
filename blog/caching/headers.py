"""What a response tells the caches between the site and the reader (RFC 9111).

Two kinds of page: **public** ones are the same bytes for every reader without a session or a
comment cookie (the article from article_cache, listings, feeds), and a shared cache may keep
them for PUBLIC_CACHE_SECONDS (``s-maxage``) and serve them PUBLIC_STALE_SECONDS longer while it
fetches a new copy (``stale-while-revalidate``); ``max-age=0`` makes browsers ask again each
time, with the ETag, so a reader always sees their own comment land. Everything else is
**private**: made for one reader, kept by no shared cache (the default, blog/web/security.py),
or ``no-store`` when it must not even stay in the browser's history (signed-in pages).

The sum of the two settings is how long an approved or removed comment may take to show to
everyone behind a cache that obeys these headers (docs/deploying.md).
"""

from __future__ import annotations

from flask import Response, current_app

PRIVATE = "private, no-cache"


def public_cache_control() -> str:
    config = current_app.config
    return (
        f"public, max-age=0, s-maxage={int(config['PUBLIC_CACHE_SECONDS'])}, "
        f"stale-while-revalidate={int(config['PUBLIC_STALE_SECONDS'])}"
    )


def public(response: Response) -> Response:
    response.headers["Cache-Control"] = public_cache_control()
    return response
