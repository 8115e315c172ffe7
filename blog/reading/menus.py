"""The header and footer menus, as plain data every page template can show.

Menu rows (models.MenuItem) name a page, a category, a tag or a link; the address and the
label are worked out here, once per content version (``pagecache``), so a page served from the
cache costs no query for its menus. An entry whose target readers cannot see (a draft page, a
deleted tag) is left out, and so is a link that is neither http(s) nor an address on this site.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..caching import pagecache
from ..extensions import db
from ..models import MenuItem, MenuItemKind, MenuLocation, Post, Tag, Taxonomy
from ..web.urls import article_url, local_path
from .archives import term_path
from .pages import visible_page_condition
from .views import bp


class MenuEntry(NamedTuple):
    id: int
    label: str
    url: str
    children: tuple  # of MenuEntry (one level)


def safe_link(url: str) -> str | None:
    """``url`` when it is http(s) with a host, or a path on this site; else None."""
    url = (url or "").strip()
    if url.startswith("/"):
        return url if local_path(url, "") == url else None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme in ("http", "https") and parts.hostname and url.isprintable():
        return url
    return None


def _targets(items: list[MenuItem]) -> tuple[dict[int, Post], dict[int, Tag]]:
    """The visible pages and the terms the entries name (two queries at most)."""
    page_ids = {i.target_id for i in items if i.kind == MenuItemKind.PAGE.value and i.target_id}
    term_ids = {
        i.target_id
        for i in items
        if i.kind in (MenuItemKind.CATEGORY.value, MenuItemKind.TAG.value) and i.target_id
    }
    pages = {}
    if page_ids:
        pages = {
            page.id: page
            for page in db.session.scalars(
                select(Post).where(visible_page_condition(), Post.id.in_(page_ids))
            )
        }
    terms = {}
    if term_ids:
        terms = {
            term.id: term for term in db.session.scalars(select(Tag).where(Tag.id.in_(term_ids)))
        }
    return pages, terms


def _entry(item: MenuItem, pages: dict[int, Post], terms: dict[int, Tag]) -> MenuEntry | None:
    label = item.label.strip()
    if item.kind == MenuItemKind.PAGE.value:
        page = pages.get(item.target_id)
        if page is None:
            return None
        return MenuEntry(item.id, label or page.title, article_url(page), ())
    if item.kind in (MenuItemKind.CATEGORY.value, MenuItemKind.TAG.value):
        term = terms.get(item.target_id)
        if term is None:
            return None
        if term.taxonomy == Taxonomy.CATEGORY.value:
            url = url_for("public.category", path=term_path(term))
        else:
            url = url_for("public.tag", slug=term.slug)
        return MenuEntry(item.id, label or term.name, url, ())
    url = safe_link(item.url)
    if url is None or not label:
        return None
    return MenuEntry(item.id, label, url, ())


def load_menus() -> dict[str, tuple[MenuEntry, ...]]:
    """{"header": entries, "footer": entries}, each entry with its children, in order."""
    items = db.session.scalars(
        select(MenuItem).order_by(MenuItem.menu, MenuItem.position, MenuItem.id)
    ).all()
    pages, terms = _targets(items)
    entries = {item.id: _entry(item, pages, terms) for item in items}
    children: dict[int, list[MenuEntry]] = {}
    for item in items:
        if item.parent_id is not None and entries[item.id] is not None:
            children.setdefault(item.parent_id, []).append(entries[item.id])
    menus: dict[str, list[MenuEntry]] = {location.value: [] for location in MenuLocation}
    for item in items:
        entry = entries[item.id]
        if item.parent_id is None and entry is not None and item.menu in menus:
            menus[item.menu].append(entry._replace(children=tuple(children.get(item.id, ()))))
    return {location: tuple(found) for location, found in menus.items()}


def site_menus() -> dict[str, tuple[MenuEntry, ...]]:
    """The menus, once per content version. A database that cannot be read (an error page
    during an outage) shows no menus rather than no page."""
    try:
        return pagecache.remembered(pagecache.key("menus"), load_menus)
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.warning("Menus unavailable; the page is shown without them.")
        return {}


def is_current(entry: MenuEntry) -> bool:
    """Whether ``entry`` is the page being shown (its aria-current="page")."""
    return entry.url == request.path


@bp.app_context_processor
def menu_context() -> dict:
    # Lazy: error pages and fragments that show no menu run nothing.
    return {"site_menus": site_menus, "is_current_menu_entry": is_current}
