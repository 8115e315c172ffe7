"""The Categories and Tags screens: add, rename, change a slug, delete with the posts kept, merge.

One set of views serves both taxonomies (categories have a parent, tags do not). Each row's
actions are small POST forms: htmx swaps just the row (inline rename, delete in place), a
browser without JavaScript posts them and comes back to the list. Names are compared exactly
(blog.reading.terms), so "Template" and "template" are two terms; the list puts case variants
side by side and says so, and merging one into the other is how an owner joins them.
"""

from __future__ import annotations

from collections import defaultdict

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..accounts import roles
from ..extensions import db
from ..models import MenuItem, Post, PostStatus, Tag, Taxonomy, post_tags
from ..reading.slugs import is_kept_slug, is_slug, slugify, unique_slug
from ..reading.terms import (
    DEFAULT_CATEGORY_SLUG,
    TERM_SLUG_MAX,
    default_category,
    new_term,
)
from ..web.forms import BaseForm, EmptyForm, strip, visible_name
from ..web.htmx import is_htmx, render_page_or_fragment
from ..web.params import parse_id
from . import bp
from .menus import forget_target

CATEGORY = Taxonomy.CATEGORY.value
TAG = Taxonomy.TAG.value
NAMES = {CATEGORY: ("category", "categories", "Categories"), TAG: ("tag", "tags", "Tags")}
LIST_ENDPOINT = {CATEGORY: "admin.categories", TAG: "admin.tags"}
NO_PARENT = "0"


class TermForm(BaseForm):
    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[
            InputRequired(_l("Give it a name.")),
            visible_name(_l("Give it a name (it cannot be only spaces).")),
            Length(max=64, message=_l("Names have at most %(max)d characters.")),
        ],
    )
    slug = StringField(
        _l("Slug"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=TERM_SLUG_MAX, message=_l("Slugs have at most %(max)d characters.")),
        ],
    )
    parent = SelectField(_l("Parent category"), default=NO_PARENT, validate_choice=False)
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Length(max=2000)])

    def __init__(self, *args, term: Tag | None = None, taxonomy: str = TAG, **kwargs):
        super().__init__(*args, **kwargs)
        self.term = term
        self.taxonomy = taxonomy
        if taxonomy == CATEGORY:
            self.parent.choices = [(NO_PARENT, _("None"))] + [
                (str(c.id), "\u2014 " * depth + c.name)
                for c, depth in category_tree()
                if term is None or c.id not in descendants(term)
            ]
        else:
            del self.parent

    def validate_slug(self, field) -> None:
        slug = field.data
        if not slug:
            return
        if not (is_slug(slug) or is_kept_slug(slug, TERM_SLUG_MAX)):
            raise ValidationError(_("Use lower-case letters, digits and single hyphens."))
        other = db.session.scalar(select(Tag).where(Tag.slug == slug))
        if other is not None and (self.term is None or other.id != self.term.id):
            raise ValidationError(
                _("That slug belongs to the category \u201c%(name)s\u201d.", name=other.name)
                if other.taxonomy == CATEGORY
                else _("That slug belongs to the tag \u201c%(name)s\u201d.", name=other.name)
            )

    def validate_parent(self, field) -> None:
        if field.data in (None, "", NO_PARENT):
            return
        parent_id = parse_id(field.data)
        allowed = {value for value, _ in field.choices}
        if parent_id is None or field.data not in allowed:
            raise ValidationError(_("Choose a category from the list."))

    def parent_id(self) -> int | None:
        if self.taxonomy != CATEGORY or self.parent.data in (None, "", NO_PARENT):
            return None
        return parse_id(self.parent.data)


# --- reading the terms ------------------------------------------------------------------------


def _sort_key(term: Tag):
    # Case variants ("Template", "template") sort together, then by exact name.
    return (term.name.casefold(), term.name, term.id)


def category_tree(terms: list[Tag] | None = None) -> list[tuple[Tag, int]]:
    """Every category with its depth, each followed by its children (iterative: no recursion)."""
    if terms is None:
        terms = db.session.scalars(select(Tag).where(Tag.taxonomy == CATEGORY)).all()
    by_id = {t.id: t for t in terms}
    children: dict[int | None, list[Tag]] = defaultdict(list)
    for term in terms:
        parent = term.parent_id if term.parent_id in by_id else None
        children[parent].append(term)
    result: list[tuple[Tag, int]] = []
    seen: set[int] = set()
    stack = [(t, 0) for t in sorted(children[None], key=_sort_key, reverse=True)]
    while stack:
        term, depth = stack.pop()
        if term.id in seen:
            continue
        seen.add(term.id)
        result.append((term, depth))
        stack.extend((c, depth + 1) for c in sorted(children[term.id], key=_sort_key, reverse=True))
    # A loop of parents (only a broken import could make one) is still listed, at the top.
    result.extend((t, 0) for t in sorted(terms, key=_sort_key) if t.id not in seen)
    return result


def descendants(term: Tag) -> set[int]:
    """The term's id and the ids of every category below it."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for term_id, parent_id in db.session.execute(
        select(Tag.id, Tag.parent_id).where(Tag.taxonomy == CATEGORY)
    ):
        children[parent_id].append(term_id)
    found = {term.id}
    stack = [term.id]
    while stack:
        for child in children[stack.pop()]:
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def post_counts() -> dict[int, int]:
    """Posts and pages in each term, the trash left out (as WordPress counts them)."""
    return dict(
        db.session.execute(
            select(post_tags.c.tag_id, func.count())
            .join(Post, Post.id == post_tags.c.post_id)
            .where(Post.status != PostStatus.TRASH.value)
            .group_by(post_tags.c.tag_id)
        ).all()
    )


def case_variants(terms) -> dict[int, list[str]]:
    """For each term, the other names of its taxonomy that differ from its own only in case."""
    groups: dict[str, list[Tag]] = defaultdict(list)
    for term in terms:
        groups[term.name.casefold()].append(term)
    return {
        term.id: [other.name for other in group if other.id != term.id]
        for group in groups.values()
        if len(group) > 1
        for term in group
    }


def is_default(term: Tag) -> bool:
    return term.taxonomy == CATEGORY and term.slug == DEFAULT_CATEGORY_SLUG


def rows(taxonomy: str) -> list[tuple[Tag, int]]:
    if taxonomy == CATEGORY:
        return category_tree()
    tags = db.session.scalars(select(Tag).where(Tag.taxonomy == TAG)).all()
    return [(t, 0) for t in sorted(tags, key=_sort_key)]


def list_context(taxonomy: str, form: TermForm | None = None) -> dict:
    listed = rows(taxonomy)
    return {
        "taxonomy": taxonomy,
        "names": NAMES[taxonomy],
        "list_endpoint": LIST_ENDPOINT[taxonomy],
        "rows": listed,
        "counts": post_counts(),
        "variants": case_variants(t for t, _ in listed),
        "is_default": is_default,
        "form": form or TermForm(taxonomy=taxonomy, formdata=None),
        "merge_targets": [t for t, _ in listed],
    }


def row_context(term: Tag) -> dict:
    terms = db.session.scalars(select(Tag).where(Tag.taxonomy == term.taxonomy)).all()
    depth = 0
    if term.taxonomy == CATEGORY:
        depth = dict((t.id, d) for t, d in category_tree(terms)).get(term.id, 0)
    return {
        "term": term,
        "depth": depth,
        "taxonomy": term.taxonomy,
        "names": NAMES[term.taxonomy],
        "list_endpoint": LIST_ENDPOINT[term.taxonomy],
        "counts": post_counts(),
        "variants": case_variants(terms),
        "is_default": is_default,
        "merge_targets": sorted(terms, key=_sort_key),
    }


# --- the list and the add form ----------------------------------------------------------------


def term_list(taxonomy: str):
    form = TermForm(taxonomy=taxonomy)
    if request.method == "POST":
        if form.validate():
            term = new_term(
                form.name.data, taxonomy, slug=form.slug.data or None, parent_id=form.parent_id()
            )
            term.description = form.description.data or ""
            db.session.commit()
            flash(
                _("Added the category \u201c%(name)s\u201d.", name=term.name)
                if taxonomy == CATEGORY
                else _("Added the tag \u201c%(name)s\u201d.", name=term.name)
            )
            return redirect(url_for(LIST_ENDPOINT[taxonomy]), 303)
        return render_template("admin/terms.html", **list_context(taxonomy, form)), 422
    return render_template("admin/terms.html", **list_context(taxonomy, form))


@bp.route("/categories", methods=["GET", "POST"])
@roles.require("manage_categories")
def categories():
    return term_list(CATEGORY)


@bp.route("/tags", methods=["GET", "POST"])
@roles.require("manage_categories")
def tags():
    return term_list(TAG)


# --- one term ---------------------------------------------------------------------------------


def back_to_list(taxonomy: str):
    return redirect(url_for(LIST_ENDPOINT[taxonomy]), 303)


@bp.route("/terms/<int:term_id>/edit", methods=["GET", "POST"])
@roles.require("manage_categories")
def term_edit(term_id: int):
    """The whole edit form (name, slug, parent, description); under htmx, the row's inline
    rename form, which answers with the row."""
    term = db.get_or_404(Tag, term_id)
    form = TermForm(
        term=term, taxonomy=term.taxonomy, obj=None if request.method == "POST" else term
    )
    if request.method == "GET" and term.taxonomy == CATEGORY:
        form.parent.data = str(term.parent_id or NO_PARENT)
    if request.method == "POST":
        if form.validate():
            term.name = form.name.data
            if form.slug.data:
                term.slug = form.slug.data
            elif "slug" in request.form:
                # Emptied: made again from the name, as for a new term.
                wanted = slugify(term.name, max_length=TERM_SLUG_MAX, fallback=term.taxonomy)
                if wanted != term.slug:
                    term.slug = _free_slug(wanted, term)
            if term.taxonomy == CATEGORY and "parent" in request.form:
                term.parent_id = form.parent_id()
            if "description" in request.form:
                term.description = form.description.data or ""
            db.session.commit()
            if is_htmx():
                return render_template("admin/_term_row.html", **row_context(term))
            flash(
                _("Saved the category \u201c%(name)s\u201d.", name=term.name)
                if term.taxonomy == CATEGORY
                else _("Saved the tag \u201c%(name)s\u201d.", name=term.name)
            )
            return back_to_list(term.taxonomy)
        status = 422
    else:
        status = 200
    return render_page_or_fragment(
        "admin/term_form.html", "admin/_term_inline_form.html", status,
        form=form, **row_context(term),
    )  # fmt: skip


def _free_slug(wanted: str, term: Tag) -> str:
    def taken(slug: str) -> bool:
        found = db.session.scalar(select(Tag.id).where(Tag.slug == slug))
        return found is not None and found != term.id

    return unique_slug(wanted, taken, max_length=TERM_SLUG_MAX)


@bp.get("/terms/<int:term_id>/row")
@roles.require("manage_categories")
def term_row(term_id: int):
    """The row as it is (the inline form's Cancel under htmx)."""
    term = db.get_or_404(Tag, term_id)
    if not is_htmx():
        return back_to_list(term.taxonomy)
    return render_template("admin/_term_row.html", **row_context(term))


def posts_of(term: Tag) -> list[Post]:
    return db.session.scalars(
        select(Post)
        .join(post_tags, post_tags.c.post_id == Post.id)
        .where(post_tags.c.tag_id == term.id)
    ).all()


def remove_term(term: Tag, replacement: Tag | None = None) -> None:
    """Take ``term`` off its posts (giving them ``replacement``, or "Uncategorized" to a post left
    without a category), lift its children to its parent, drop or move its menu entries, and
    delete it. Everything through the ORM, so the page cache's content version moves on."""
    fallback = None
    for post in posts_of(term):
        terms = [t for t in post.terms if t.id != term.id]
        if replacement is not None and all(t.id != replacement.id for t in terms):
            terms.append(replacement)
        if term.taxonomy == CATEGORY and not any(t.taxonomy == CATEGORY for t in terms):
            fallback = fallback or default_category()
            terms.append(fallback)
        post.terms = terms
    for child in db.session.scalars(select(Tag).where(Tag.parent_id == term.id)):
        child.parent_id = term.parent_id if term.parent_id != child.id else None
    if replacement is None:
        forget_target(term.taxonomy, term.id)
    else:
        for item in db.session.scalars(
            select(MenuItem).where(MenuItem.kind == term.taxonomy, MenuItem.target_id == term.id)
        ):
            item.target_id = replacement.id
    db.session.flush()
    db.session.delete(term)


@bp.post("/terms/<int:term_id>/delete")
@roles.require("manage_categories")
def term_delete(term_id: int):
    term = db.get_or_404(Tag, term_id)
    if not EmptyForm().validate():
        abort(400)
    taxonomy, name = term.taxonomy, term.name
    if is_default(term):
        message = _("The default category cannot be deleted; rename it if you like.")
        if is_htmx():
            return render_template("admin/_term_row.html", notice=message, **row_context(term)), 409
        flash(message)
        return back_to_list(taxonomy)
    remove_term(term)
    db.session.commit()
    if is_htmx():
        return render_template("admin/_term_deleted.html", name=name, names=NAMES[taxonomy])
    flash(
        _("Deleted the category \u201c%(name)s\u201d; its posts were kept.", name=name)
        if taxonomy == CATEGORY
        else _("Deleted the tag \u201c%(name)s\u201d; its posts were kept.", name=name)
    )
    return back_to_list(taxonomy)


@bp.post("/terms/<int:term_id>/merge")
@roles.require("manage_categories")
def term_merge(term_id: int):
    """Merge this term into the chosen one: its posts get the target, then it is deleted."""
    term = db.get_or_404(Tag, term_id)
    if not EmptyForm().validate():
        abort(400)
    target_id = parse_id(request.form.get("target"))
    target = db.session.get(Tag, target_id) if target_id else None
    problem = None
    if target is None or target.taxonomy != term.taxonomy or target.id == term.id:
        problem = (
            _("Choose another category to merge \u201c%(name)s\u201d into.", name=term.name)
            if term.taxonomy == CATEGORY
            else _("Choose another tag to merge \u201c%(name)s\u201d into.", name=term.name)
        )
    elif is_default(term):
        problem = _("The default category cannot be merged away; merge others into it.")
    if problem:
        if is_htmx():
            return render_template("admin/_term_row.html", notice=problem, **row_context(term)), 422
        flash(problem)
        return back_to_list(term.taxonomy)
    taxonomy, name = term.taxonomy, term.name
    remove_term(term, replacement=target)
    db.session.commit()
    flash(
        _("Merged \u201c%(name)s\u201d into \u201c%(target)s\u201d.", name=name, target=target.name)
    )
    if is_htmx():
        # Counts and rows change elsewhere in the list: the whole page comes again.
        return redirect(url_for(LIST_ENDPOINT[taxonomy]), 303)
    return back_to_list(taxonomy)
