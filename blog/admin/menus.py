"""The Menus screen: the header and footer menus, each a list of pages, categories, tags and
links, in order, nested one level.

Every change is a small POST form (add, move up or down, indent, outdent, rename, remove): htmx
swaps just that menu, a browser without JavaScript posts it and comes back to the screen. Rows
are written through the ORM, so each change moves the page cache's content version on (menus are
on every cached page). The reader's side reads the same ``MenuItem`` rows (blog.reading).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts import roles
from ..extensions import db
from ..models import MenuItem, MenuItemKind, MenuLocation, Post, PostKind, PostStatus, Tag, Taxonomy
from ..web.forms import EmptyForm, has_visible_text
from ..web.htmx import is_htmx, render_page_or_fragment
from ..web.params import parse_id
from ..web.text import one_line
from . import bp

MENUS = {
    MenuLocation.HEADER.value: _l("Header menu"),
    MenuLocation.FOOTER.value: _l("Footer menu"),
}
KINDS = {
    MenuItemKind.PAGE.value: _l("Page"),
    MenuItemKind.CATEGORY.value: _l("Category"),
    MenuItemKind.TAG.value: _l("Tag"),
    MenuItemKind.LINK.value: _l("Custom link"),
}
MOVES = ("up", "down", "indent", "outdent", "remove")
LABEL_MAX = 200
URL_MAX = 2000
BAD_URL = _l(
    "Enter an address starting with http:// or https://, or a path on this site such as /about/."
)


# --- reading a menu ---------------------------------------------------------------------------


def ordered(menu: str) -> list[MenuItem]:
    """The menu's entries as shown: each top-level entry followed by its children."""
    items = db.session.scalars(
        select(MenuItem).where(MenuItem.menu == menu).order_by(MenuItem.position, MenuItem.id)
    ).all()
    ids = {item.id for item in items}
    tops = [item for item in items if item.parent_id is None or item.parent_id not in ids]
    result = []
    for top in tops:
        result.append(top)
        result.extend(item for item in items if item.parent_id == top.id)
    return result


def targets() -> dict[str, dict[int, str]]:
    """What entries can point to, by kind: id -> name."""
    pages = db.session.execute(
        select(Post.id, Post.title)
        .where(Post.kind == PostKind.PAGE.value, Post.status != PostStatus.TRASH.value)
        .order_by(Post.menu_order, Post.title)
    ).all()
    terms = db.session.execute(select(Tag.id, Tag.name, Tag.taxonomy).order_by(Tag.name)).all()
    return {
        MenuItemKind.PAGE.value: dict(pages),
        MenuItemKind.CATEGORY.value: {i: n for i, n, t in terms if t == Taxonomy.CATEGORY.value},
        MenuItemKind.TAG.value: {i: n for i, n, t in terms if t == Taxonomy.TAG.value},
    }


def shown_label(item: MenuItem, names: dict[str, dict[int, str]]) -> str:
    if item.label:
        return item.label
    if item.kind == MenuItemKind.LINK.value:
        return item.url
    return names.get(item.kind, {}).get(item.target_id, "(missing)")


def menu_context(menu: str, **extra) -> dict:
    names = targets()
    return {
        "menu": menu,
        "menu_title": MENUS[menu],
        "items": ordered(menu),
        "names": names,
        "kinds": KINDS,
        "shown_label": shown_label,
        **extra,
    }


def page_context(**per_menu) -> dict:
    """Both menus; ``per_menu``: extra values for one menu's part (its message, typed input)."""
    names = targets()
    return {
        "menu_parts": [
            {"menu": m, "menu_title": t, "items": ordered(m), **per_menu.get(m, {})}
            for m, t in MENUS.items()
        ],
        "names": names,
        "kinds": KINDS,
        "shown_label": shown_label,
    }


@bp.get("/menus")
@roles.require("edit_theme_options")
def menus():
    return render_template("admin/menus.html", **page_context())


def answer(menu: str, message: str | None = None, status: int = 200, **extra):
    """htmx: the menu again (with ``message`` beside it); otherwise back to the screen."""
    if is_htmx():
        return render_page_or_fragment(
            "admin/menus.html", "admin/_menu.html", status,
            **menu_context(menu, message=message, **extra),
        )  # fmt: skip
    if status >= 400:  # the screen again, with what was typed
        context = page_context(**{menu: {"message": message, **extra}})
        return render_template("admin/menus.html", **context), status
    if message:
        flash(message)
    return redirect(url_for("admin.menus") + f"#menu-{menu}", 303)


# --- adding an entry --------------------------------------------------------------------------


def link_problem(url: str) -> str | None:
    """Why ``url`` cannot be a menu link, or None: http(s) with a host, or a path on this site."""
    if not url or len(url) > URL_MAX or any(c.isspace() or ord(c) < 32 for c in url):
        return BAD_URL
    if "\\" in url:
        return BAD_URL
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - read for its ValueError
    except ValueError:
        return BAD_URL
    if parts.scheme in ("http", "https") and parts.hostname:
        return None
    if not parts.scheme and not parts.netloc and url.startswith("/") and not url.startswith("//"):
        return None
    return BAD_URL


@bp.post("/menus/add")
@roles.require("edit_theme_options")
def menu_add():
    if not EmptyForm().validate():
        abort(400)
    menu = request.form.get("menu", "")
    kind = request.form.get("kind", "")
    if menu not in MENUS or kind not in KINDS:
        abort(400)
    label = one_line(request.form.get("label", "")).strip()[:LABEL_MAX]
    item = MenuItem(menu=menu, kind=kind, label=label)
    errors: dict[str, str] = {}
    if kind == MenuItemKind.LINK.value:
        url = one_line(request.form.get("url", "")).strip()
        problem = link_problem(url)
        if problem:
            errors["url"] = problem
        if not has_visible_text(label):
            errors["label"] = _("Give the link a label.")
        item.url = url
    else:
        target_id = parse_id(request.form.get("target"))
        if target_id is None or target_id not in targets()[kind]:
            errors["target"] = {
                MenuItemKind.PAGE.value: _("Choose a page from the list."),
                MenuItemKind.CATEGORY.value: _("Choose a category from the list."),
                MenuItemKind.TAG.value: _("Choose a tag from the list."),
            }.get(kind, _("Choose an entry from the list."))
        item.target_id = target_id
    if errors:
        typed = {"kind": kind, "errors": errors, "values": request.form}
        return answer(menu, None, 422, add=typed)
    last = ordered(menu)
    item.position = (max((i.position for i in last), default=-1)) + 1
    db.session.add(item)
    db.session.commit()
    label = shown_label(item, targets())
    if menu == MenuLocation.HEADER.value:
        return answer(menu, _("Added \u201c%(label)s\u201d to the header menu.", label=label))
    return answer(menu, _("Added \u201c%(label)s\u201d to the footer menu.", label=label))


# --- changing an entry ------------------------------------------------------------------------


def renumber(items: list[MenuItem]) -> None:
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position


def siblings(item: MenuItem, items: list[MenuItem]) -> list[MenuItem]:
    return [other for other in items if other.parent_id == item.parent_id]


def move(item: MenuItem, how: str) -> str | None:
    """Apply ``how`` to ``item``; a message when it cannot be done (the first one up...)."""
    items = ordered(item.menu)
    ids = {i.id for i in items}
    if item.parent_id is not None and item.parent_id not in ids:
        item.parent_id = None
    group = siblings(item, items)
    index = group.index(item)
    if how in ("up", "down"):
        other = index - 1 if how == "up" else index + 1
        if other < 0 or other >= len(group):
            return _("It is already first.") if how == "up" else _("It is already last.")
        group[index], group[other] = group[other], group[index]
        renumber(group)
    elif how == "indent":
        if item.parent_id is not None:
            return _("Menus nest one level only.")
        if index == 0:
            return _("The first entry has nothing to go under.")
        new_parent = group[index - 1]
        children = [i for i in items if i.parent_id == new_parent.id]
        moved = [item] + [i for i in items if i.parent_id == item.id]  # its children come along
        for entry in moved:
            entry.parent_id = new_parent.id
        renumber(children + moved)
        renumber([i for i in group if i is not item])
    elif how == "outdent":
        if item.parent_id is None:
            return _("It is already at the top level.")
        parent = next(i for i in items if i.id == item.parent_id)
        tops = [i for i in items if i.parent_id is None]
        item.parent_id = None
        tops.insert(tops.index(parent) + 1, item)
        renumber(tops)
        renumber([i for i in group if i is not item])
    return None


@bp.post("/menus/items/<int:item_id>/<how>")
@roles.require("edit_theme_options")
def menu_item_action(item_id: int, how: str):
    if how not in MOVES:
        abort(404)
    item = db.get_or_404(MenuItem, item_id)
    if not EmptyForm().validate():
        abort(400)
    menu = item.menu
    if how == "remove":
        label = shown_label(item, targets())
        for child in db.session.scalars(select(MenuItem).where(MenuItem.parent_id == item.id)):
            db.session.delete(child)
        db.session.flush()  # children first: the database's cascade would remove them unseen
        db.session.delete(item)
        db.session.flush()
        renumber([i for i in ordered(menu) if i.parent_id is None])
        db.session.commit()
        return answer(menu, _("Removed \u201c%(label)s\u201d.", label=label))
    problem = move(item, how)
    if problem:
        db.session.rollback()
        return answer(menu, problem, focus=f"menu-item-{item_id}-{how}")
    db.session.commit()
    return answer(menu, None, focus=f"menu-item-{item_id}-{how}")


@bp.post("/menus/items/<int:item_id>/label")
@roles.require("edit_theme_options")
def menu_item_label(item_id: int):
    item = db.get_or_404(MenuItem, item_id)
    if not EmptyForm().validate():
        abort(400)
    label = one_line(request.form.get("label", "")).strip()
    if len(label) > LABEL_MAX:
        too_long = _("Use at most %(max)d characters.", max=LABEL_MAX)
        return answer(
            item.menu, None, 422, label_errors={item.id: too_long}, typed_labels={item.id: label},
        )  # fmt: skip
    if item.kind == MenuItemKind.LINK.value and not has_visible_text(label):
        return answer(
            item.menu, None, 422, label_errors={item.id: _("A link needs a label.")},
            typed_labels={item.id: label},
        )  # fmt: skip
    item.label = label if has_visible_text(label) else ""
    db.session.commit()
    return answer(
        item.menu, _("Saved the label \u201c%(label)s\u201d.", label=shown_label(item, targets()))
    )


def forget_target(kind: str, target_id: int) -> None:
    """A page or term is deleted: its menu entries (and their children) go with it. The caller
    commits."""
    doomed = db.session.scalars(
        select(MenuItem).where(MenuItem.kind == kind, MenuItem.target_id == target_id)
    ).all()
    for child in db.session.scalars(
        select(MenuItem).where(MenuItem.parent_id.in_([item.id for item in doomed]))
    ).all():
        if child not in doomed:
            db.session.delete(child)
    db.session.flush()
    for item in doomed:
        db.session.delete(item)
    db.session.flush()
