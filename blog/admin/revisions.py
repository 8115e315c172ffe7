"""Revisions: every save that changes the title, body or excerpt keeps what was saved; the
list, a word-by-word comparison with the current version, and "Restore this revision"."""

from __future__ import annotations

import difflib
import re
from typing import NamedTuple

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..models import Author, Post, PostStatus, Revision
from ..sanitize import refresh_post_html
from ..settings import site_timezone, timezone_label
from ..web.params import parse_id
from . import bp
from .posts import edit_url, editable

TOKENS = re.compile(r"\s+|[^\s]+")
# Beyond this many words a side, the comparison goes line by line (difflib is quadratic).
WORD_DIFF_LIMIT = 20_000


class Piece(NamedTuple):
    op: str  # "equal", "delete", "insert"
    text: str


def diff_pieces(old: str, new: str) -> list[Piece]:
    """``old`` → ``new`` as equal, deleted and inserted runs, word by word (line by line for
    very long texts). Changes separated only by white space read as one change."""
    a, b = TOKENS.findall(old or ""), TOKENS.findall(new or "")
    if max(len(a), len(b)) > WORD_DIFF_LIMIT:
        a, b = (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True)
    # Runs: ("equal", text) or ("change", deleted, inserted).
    runs: list[list] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            runs.append(["equal", "".join(a[i1:i2])])
        else:
            runs.append(["change", "".join(a[i1:i2]), "".join(b[j1:j2])])
    merged: list[list] = []
    for run in runs:
        if (
            run[0] == "change"
            and len(merged) >= 2
            and merged[-2][0] == "change"
            and merged[-1][0] == "equal"
            and not merged[-1][1].strip()
        ):
            space = merged.pop()[1]
            merged[-1][1] += space + run[1]
            merged[-1][2] += space + run[2]
        else:
            merged.append(run)
    pieces: list[Piece] = []
    for run in merged:
        if run[0] == "equal":
            pieces.append(Piece("equal", run[1]))
            continue
        if run[1]:
            pieces.append(Piece("delete", run[1]))
        if run[2]:
            pieces.append(Piece("insert", run[2]))
    return pieces


def state(post_or_revision) -> tuple[str, str, str]:
    return (post_or_revision.title, post_or_revision.body_md, post_or_revision.summary)


def record_revision(post: Post, author: Author | None, before: tuple | None) -> Revision | None:
    """Keep the state just saved when it differs from ``before`` (None: a new post)."""
    if before is not None and before == state(post):
        return None
    revision = Revision(
        post_id=post.id,
        author_id=author.id if author is not None else None,
        title=post.title,
        body_md=post.body_md,
        summary=post.summary,
        autosave=False,
    )
    db.session.add(revision)
    return revision


def revision_count(post: Post | None) -> int:
    if post is None or post.id is None:
        return 0
    return db.session.scalar(
        select(func.count(Revision.id)).where(
            Revision.post_id == post.id, Revision.autosave.is_(False)
        )
    )


def revision_of(post: Post, revision_id: int) -> Revision:
    revision = db.session.get(Revision, revision_id)
    if revision is None or revision.post_id != post.id:
        abort(404)
    return revision


@bp.get("/posts/<int:post_id>/revisions")
def revisions(post_id: int):
    post = editable(post_id)
    items = db.session.scalars(
        select(Revision)
        .where(Revision.post_id == post.id)
        .order_by(Revision.created_at.desc(), Revision.id.desc())
    ).all()
    compared = None
    wanted = parse_id(request.args.get("compare", ""))
    if request.args.get("compare") is not None:
        if wanted is None:
            abort(404)
        compared = revision_of(post, wanted)
    diffs = None
    if compared is not None:
        diffs = [
            (_("Title"), diff_pieces(compared.title, post.title)),
            (_("Excerpt"), diff_pieces(compared.summary, post.summary)),
            (_("Body"), diff_pieces(compared.body_md, post.body_md)),
        ]
    return render_template(
        "admin/revisions.html",
        post=post,
        items=items,
        compared=compared,
        diffs=diffs,
        current=state(post),
    )


@bp.post("/posts/<int:post_id>/revisions/<int:revision_id>/restore")
def revision_restore(post_id: int, revision_id: int):
    """The post takes the revision's title, body and excerpt; that is a save, so it makes a
    revision of its own."""
    post = editable(post_id)
    if post.status == PostStatus.TRASH.value:
        flash(_("\u201c%(title)s\u201d is in the Trash: restore it first.", title=post.title))
        return redirect(url_for("admin.trash"), 303)
    revision = revision_of(post, revision_id)
    before = state(post)
    post.title, post.body_md, post.summary = state(revision)
    refresh_post_html(post)
    record_revision(post, g.author, before)
    db.session.commit()
    zone = site_timezone()
    flash(
        _(
            "Restored the revision of %(when)s (%(zone)s).",
            when=f"{revision.created_at.astimezone(zone):%Y-%m-%d %H:%M}",
            zone=timezone_label(zone),
        )
    )
    return redirect(edit_url(post), 303)
