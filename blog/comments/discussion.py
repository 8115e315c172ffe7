"""The comment section as a reader sees it: what each comment template needs, built once.

The article page, every comment fragment and the error answers of the comment views take their
context from here, each only what it renders: the thread for the thread, the form for the form.
Links that repeat per comment (permalink, no-JavaScript Reply) are built once per page here, not
with url_for inside the comment loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, request, url_for
from flask_babel import lazy_gettext as _l

from ..models import Comment, Post
from ..settings import site_config
from ..web.params import MAX_PAGE, int_arg
from ..web.urls import article_url
from . import lifecycle, threads, visitor
from .forms import AuthorCommentForm, CommentForm

AWAITING = _l("Your comment is awaiting moderation.")


def signed_in_author():
    """The author signed in to this site, if any: they comment under their own name."""
    return g.get("author")


def comment_form(formdata=None) -> CommentForm | AuthorCommentForm:
    """The form this visitor posts with: a signed-in author gives no name, email or website."""
    form_class = AuthorCommentForm if signed_in_author() else CommentForm
    if formdata is None:
        return form_class(formdata=None)
    return form_class(formdata=formdata)


def blank_form(reply_to: Comment | None = None):
    """A fresh form, prefilled from "Save my name, email, and website" when the visitor chose it."""
    form = comment_form()
    if isinstance(form, CommentForm):
        remembered = visitor.remembered_commenter()
        form.author.data = remembered.get("author", "")
        form.email.data = remembered.get("email", "")
        form.url.data = remembered.get("url", "")
        form.remember.data = bool(remembered)
    form.parent.data = str(reply_to.id) if reply_to else ""
    return form


def comment_page() -> int:
    """?cpage=, the comment page asked for (a page that does not exist is a 404)."""
    return int_arg("cpage", 1, minimum=1, maximum=MAX_PAGE)


@dataclass(frozen=True)
class ThreadLinks:
    """The links every comment of one page repeats, built once for the page."""

    page_url: str  # this comment page: permalinks are page_url#comment-ID
    reply_url: str  # no-JavaScript Reply: reply_url + ID + "#respond"
    respond_url: str  # htmx Reply: respond_url + ID
    comment_base: str  # /c/ + ID (edit, delete, cancel build on it)
    # (before, after) the variable part of the avatar, edit and delete URLs
    avatar: tuple[str, str]
    edit: tuple[str, str]
    delete: tuple[str, str]

    def avatar_url(self, key: str) -> str:
        return f"{self.avatar[0]}{key}{self.avatar[1]}"

    def edit_url(self, comment_id: int) -> str:
        return f"{self.edit[0]}{comment_id}{self.edit[1]}"

    def delete_url(self, comment_id: int) -> str:
        return f"{self.delete[0]}{comment_id}{self.delete[1]}"


def _around(url: str, placeholder: str) -> tuple[str, str]:
    before, after = url.rsplit(placeholder, 1)
    return before, after


AVATAR_PLACEHOLDER = "0" * 32  # a well-formed avatar key, replaced per comment


_LINKS_KEPT = 4096  # (script root, slug, page) keys per app before the memo starts over


def thread_links(post: Post, page: int) -> ThreadLinks:
    """The links of one comment page of ``post``. They depend only on the routes, the script root
    and the slug, so each is built once per app and kept (a comment post renders them again)."""
    made = current_app.extensions.setdefault("blog.thread_links", {})
    key = (request.script_root, post.kind, post.slug, post.parent_id, page)
    links = made.get(key)
    if links is None:
        if len(made) >= _LINKS_KEPT:
            made.clear()
        links = made[key] = _build_thread_links(post, page)
    return links


def _build_thread_links(post: Post, page: int) -> ThreadLinks:
    slug = post.slug
    page_url = article_url(post, cpage=page if page > 1 else None)
    joiner = "&" if "?" in page_url else "?"
    return ThreadLinks(
        page_url=page_url,
        reply_url=f"{page_url}{joiner}replytocom=",
        respond_url=url_for("comments.respond", slug=slug) + "?replytocom=",
        comment_base=url_for("comments.goto", comment_id=0)[:-1],
        avatar=_around(url_for("public.avatar", key=AVATAR_PLACEHOLDER), AVATAR_PLACEHOLDER),
        edit=_around(url_for("comments.edit", comment_id=0), "0"),
        delete=_around(url_for("comments.delete", comment_id=0), "0"),
    )


def edit_seconds_left(comment: Comment) -> int:
    """Seconds the visitor may still edit ``comment`` (0 when it is not theirs or too late)."""
    return lifecycle.poster_seconds_left(
        comment, visitor.own_comments(), site_config()["COMMENT_EDIT_MINUTES"]
    )


def comment_context(post: Post, page: int) -> dict:
    """What one comment (and its replies) renders: shared by the thread and single fragments."""
    return {
        "post": post,
        "closed": threads.comments_closed(post),
        "links": thread_links(post, page),
        "edit_seconds_left": edit_seconds_left,
    }


def thread_context(post: Post, page: int, reply_to: Comment | None = None) -> dict:
    own = list(visitor.own_comments())
    pagination, tree = threads.thread_page(post, page, own)
    total, newest_id = threads.approved_totals(post)
    return {
        **comment_context(post, pagination.page),
        "comment_pagination": pagination,
        "thread": tree,
        "comment_total": total,
        "shown_any": bool(tree),
        "newest_id": newest_id,
        "poll_seconds": site_config()["COMMENT_POLL_SECONDS"],
        "reply_to": reply_to,
    }


def form_context(post: Post, form=None, reply_to=None, form_message=None) -> dict:
    """The form (or "closed"), with the visitor's text when it comes back."""
    if form is None:
        form = blank_form(reply_to)
    form.stamp.data = visitor.form_stamp()
    return {
        "post": post,
        "form": form,
        "reply_to": reply_to,
        "form_message": form_message,
        "author": signed_in_author(),
        "closed": threads.comments_closed(post),
    }


def section_context(post: Post, form=None, reply_to=None, form_message=None) -> dict:
    """The whole discussion under an article."""
    page = comment_page()
    return {
        **form_context(post, form, reply_to, form_message),
        **thread_context(post, page, reply_to),
    }
