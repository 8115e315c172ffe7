"""Tags and categories: finding one by the name an author typed, making new ones, the default.

WordPress compares a typed term name with the names of the taxonomy's terms, then with their
slugs, and gives a new term whose slug is taken the next free ``-2``, ``-3``. Names are compared
exactly here (WordPress's MySQL collation ignores case, so "Template" typed beside an existing
"template" silently became that term): a case variant is a term of its own, with its own slug,
and the admin's tag and category screens show both, ready to merge.
"""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Tag, Taxonomy
from .slugs import slugify, unique_slug

TERM_SLUG_MAX = 64
DEFAULT_CATEGORY_NAME = "Uncategorized"
DEFAULT_CATEGORY_SLUG = "uncategorized"


def slug_taken(slug: str) -> bool:
    """Slugs are unique across tags and categories (models.Tag); pending new terms count."""
    if any(isinstance(obj, Tag) and obj.slug == slug for obj in db.session.new):
        return True
    return db.session.scalar(select(Tag.id).where(Tag.slug == slug)) is not None


def find_term(name: str, taxonomy: str, parent_id: int | None = None) -> Tag | None:
    """The term of ``taxonomy`` named exactly ``name`` (categories: under ``parent_id``), else the
    one whose slug is what ``name`` gives, if that term's name differs only in what a slug drops
    ("Café" and "Cafe"), not in letter case."""
    for obj in db.session.new:  # terms made earlier in the same save
        if isinstance(obj, Tag) and obj.taxonomy == taxonomy and obj.name == name:
            return obj
    query = select(Tag).where(Tag.taxonomy == taxonomy, Tag.name == name)
    if taxonomy == Taxonomy.CATEGORY.value:
        query = query.where(
            Tag.parent_id.is_(None) if parent_id is None else Tag.parent_id == parent_id
        )
    found = db.session.scalars(query.order_by(Tag.id)).first()
    if found is not None:
        return found
    slug = slugify(name, max_length=TERM_SLUG_MAX, fallback=taxonomy)
    same_slug = db.session.scalar(select(Tag).where(Tag.slug == slug, Tag.taxonomy == taxonomy))
    if same_slug is not None and same_slug.name.casefold() != name.casefold():
        return same_slug
    return None


def new_term(
    name: str, taxonomy: str, slug: str | None = None, parent_id: int | None = None
) -> Tag:
    """A new term (added to the session) with ``slug`` or one made from ``name``, made unique."""
    wanted = slugify(slug or name, max_length=TERM_SLUG_MAX, fallback=taxonomy)
    term = Tag(
        name=name,
        slug=unique_slug(wanted, slug_taken, max_length=TERM_SLUG_MAX),
        taxonomy=taxonomy,
        parent_id=parent_id,
    )
    db.session.add(term)
    return term


def get_or_create_term(name: str, taxonomy: str, parent_id: int | None = None) -> Tag:
    return find_term(name, taxonomy, parent_id) or new_term(name, taxonomy, parent_id=parent_id)


def get_or_create_tag(name: str) -> Tag:
    """The tag of this name (added to the session when new), for the editor and the imports."""
    return get_or_create_term(name, Taxonomy.TAG.value)


def default_category() -> Tag:
    """ "Uncategorized": every post without another category is in it, as on WordPress."""
    found = db.session.scalar(
        select(Tag).where(
            Tag.taxonomy == Taxonomy.CATEGORY.value, Tag.slug == DEFAULT_CATEGORY_SLUG
        )
    )
    if found is None:
        found = get_or_create_term(DEFAULT_CATEGORY_NAME, Taxonomy.CATEGORY.value)
    return found
