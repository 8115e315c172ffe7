"""Every route and every form with hostile values: no response is a 5xx.

Two passes per database (SQLite always, PostgreSQL from TEST_DATABASE_URL) and per visitor
(anonymous, signed-in author):
- a sweep: every rule of the URL map, with every method it allows and one it does not, each URL
  argument and a set of query and form fields filled with each hostile value in turn;
- Hypothesis: random rules, methods, arguments, query strings and form bodies built from hostile
  values and arbitrary text (lone surrogates and control characters included).
A 5xx is reported with the request and the place in blog/ where the exception was raised.
"""

from __future__ import annotations

import itertools
import logging
import re
import traceback
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

from blog.accounts import forms as account_forms
from blog.admin import forms as admin_forms
from blog.comments import forms as comment_forms
from blog.comments.avatars import avatar_key
from blog.database import upgrade_to_head
from blog.extensions import db
from blog.mail.notify import moderation_token
from blog.models import Author, Comment, CommentStatus, Post, PostStatus, SlugRedirect, Tag, now_utc
from blog.sanitize import refresh_post_html
from blog.web import forms
from tests.helpers import PASSWORD, make_test_app, throwaway_postgres

HUGE_NUMBERS = [
    "99999999999999999999999",
    "-99999999999999999999999",
    "9223372036854775808",
    "2147483648",
    "-1",
    "0",
    "9" * 5000,
    "1.5",
    "1e9",
    " 7",
    "0x10",
    "\u00b2",  # a superscript two: str.isdigit() says yes, int() says no
    "\u0664\u0662",  # Arabic-Indic digits: int() accepts them
]
HOSTILE_TEXT = [
    "",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\x01\x02\x1b[31m\x07",
    "\x7f\x85\x9f",
    "\ufffe\uffff\U0010fffe",
    "Rosa\nApprove it: https://evil.example/",
    "my[site].example",
    "http://[evil",
    "https://[::1]:99999/",
    "/admin/\n",
    "/admin/%0Ax",
    "//evil.example",
    "&#" + "1" * 4301,
    "&#x" + "f" * 100 + ";",
    "x" * 100_000,
    "\u00e9" * 300,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%",
    "..",
    "\u2028\u2029",
    "\U0001f44d" * 70,
    "a@b",
]
HOSTILE = HUGE_NUMBERS + HOSTILE_TEXT
QUERY_FIELDS = [
    "page", "per_page", "cpage", "after", "replytocom", "parent", "next", "q", "status", "post",
    "_external", "_scheme", "_method", "_anchor",
]  # fmt: skip
EXTRA_FORM_FIELDS = ["action", "ids", "body", "parent", "csrf_token"]
WRONG_METHODS = ["PUT", "DELETE", "PATCH", "POST", "GET"]


def every_form_field() -> list[str]:
    """The field names of every form of every area (each keeps its own forms.py)."""
    names = set(EXTRA_FORM_FIELDS)
    every = [vars(module).values() for module in (forms, comment_forms, account_forms, admin_forms)]
    for value in (value for values in every for value in values):
        if isinstance(value, type) and issubclass(value, forms.BaseForm):
            for cls in value.__mro__:
                names.update(n for n, f in vars(cls).items() if isinstance(f, UnboundField))
    return sorted(names)


FORM_FIELDS = every_form_field()


# --- the site under attack ----------------------------------------------------------------------


class Site:
    """An app with content in it, and the valid values for each kind of URL argument."""

    def __init__(self, app, password_hash: str):
        self.app = app
        self.password_hash = password_hash
        self.errors: list[str] = []
        self.counter = itertools.count(1)
        handler = logging.Handler()
        handler.emit = self._record
        app.logger.addHandler(handler)
        app.config.update(
            COMMENT_MIN_SECONDS=0,
            COMMENT_FLOOD_SECONDS=0,
            LOGIN_MAX_FAILURES=10**6,
            LOGIN_MAX_FAILURES_PER_USERNAME=10**6,
            MAIL_SERVER="",
        )
        logging.getLogger("blog.mail.notify").setLevel(logging.WARNING)  # no message bodies in logs
        self.ensure_content()

    def _record(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            frames = traceback.extract_tb(record.exc_info[2])
            ours = [
                f for f in frames if "/blog/" in f.filename and "/site-packages/" not in f.filename
            ]
            where = ours[-1] if ours else frames[-1]
            place = f"{where.filename.split('/blog/')[-1]}:{where.lineno} in {where.name}"
            self.errors.append(
                f"{record.exc_info[0].__name__}: {record.exc_info[1]!s:.120} at blog/{place}"
            )

    def ensure_content(self) -> None:
        """A visible post with comments, a draft, a tag and an author (hostile requests may have
        deleted or changed them)."""
        with self.app.app_context():
            author = db.session.scalar(db.select(Author).where(Author.username == "editor"))
            if author is None:
                author = Author(
                    username="editor", display_name="Edith", password_hash=self.password_hash
                )
                db.session.add(author)
            post = db.session.scalar(db.select(Post).where(Post.slug == "bridge-reopens"))
            if post is None:
                tag = db.session.scalar(db.select(Tag).where(Tag.slug == "travel")) or Tag(
                    name="Travel", slug="travel"
                )
                post = Post(title="Bridge reopens", slug="bridge-reopens", body_md="Text.")
                post.tags = [tag]
                refresh_post_html(post)
                db.session.add(post)
            post.author = author
            post.status = PostStatus.PUBLISHED.value
            post.published_at = post.published_at or now_utc()
            if post.published_at > now_utc():
                post.published_at = now_utc()
            post.comments_open = True
            if db.session.get(SlugRedirect, "bridge-old") is None:
                db.session.flush()
                db.session.add(SlugRedirect(old_slug="bridge-old", post_id=post.id))
            if db.session.scalar(db.select(Post).where(Post.slug == "draft")) is None:
                db.session.add(Post(title="Draft", slug="draft", author=author, body_md="x"))
            db.session.flush()
            if not db.session.scalar(db.select(Comment.id).where(Comment.post_id == post.id)):
                db.session.add(
                    Comment(
                        post=post,
                        author_name="Rosa",
                        author_email="rosa@example.org",
                        body="Hello",
                        status=CommentStatus.APPROVED.value,
                    )
                )
            db.session.commit()
            comment = db.session.scalar(db.select(Comment).where(Comment.post_id == post.id))
            self.author_id = author.id
            self.valid = {
                "slug": ["bridge-reopens", "draft", "bridge-old"],
                "comment_id": [str(comment.id)],
                "post_id": [str(post.id)],
                "year": [str(now_utc().year)],
                "month": [str(now_utc().month)],
                "key": [avatar_key("rosa@example.org", self.app.config["SECRET_KEY"])],
                "token": [moderation_token(comment, "approve")],
                "action": ["approve", "spam", "trash", "unapprove", "notspam", "restore", "delete"],
                "status": ["spam", "trash", "pending"],
                "filename": ["css/blog.css"],
            }

    def comment_form(self) -> dict:
        """A well-formed comment with a fresh form stamp, so hostile fields reach moderation."""
        with self.app.app_context():
            html = self.app.test_client().get("/posts/bridge-reopens").get_data(as_text=True)
        stamp = re.search(r'name="stamp" value="([^"]+)"', html)
        return {
            "comment": f"Hello there, number {next(self.counter)}",  # never a duplicate
            "author": "Rosa",
            "email": "rosa@example.org",
            "stamp": stamp.group(1) if stamp else "",
        }

    def client(self, signed_in: bool):
        client = self.app.test_client()
        if signed_in:
            with self.app.app_context():
                epoch = db.session.get(Author, self.author_id).session_epoch
            with client.session_transaction() as session:
                session["author_id"] = self.author_id
                session["epoch"] = epoch
        return client

    def send(self, signed_in, method, path, query, form, headers=None):
        url = path + ("?" + encode(query) if query else "")
        body = encode(form) if form and method not in ("GET", "HEAD") else None
        before = len(self.errors)
        response = self.client(signed_in).open(
            url,
            method=method,
            data=body,
            content_type="application/x-www-form-urlencoded" if body is not None else None,
            headers=headers or {},
            environ_base={"REMOTE_ADDR": "203.0.113.5"},
        )
        status = response.status_code
        response.close()
        if status >= 500:
            cause = self.errors[before:] or ["(nothing logged)"]
            who = "author" if signed_in else "anonymous"
            sent = f"{method} {url[:160]!r} form={shorten(form)} headers={shorten(headers or {})}"
            return f"{status} {who} {sent} -> {cause[-1]}"
        return None


def encode(pairs: dict) -> str:
    def part(value: str) -> str:
        return quote(value.encode("utf-8", "surrogatepass"), safe="")

    return "&".join(f"{part(k)}={part(v)}" for k, v in pairs.items())


def shorten(form: dict) -> str:
    return repr({k: (v if len(v) < 30 else v[:20] + f"...({len(v)})") for k, v in form.items()})


def rules(app) -> list:
    return sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)


def fill(rule, values: dict) -> str:
    """The rule's path with each <converter:name> replaced by values[name] (percent-encoded)."""

    def replace(match: re.Match) -> str:
        value = values[match.group("name")]
        return quote(
            value.encode("utf-8", "surrogatepass"), safe="/" if "path" in match.group(0) else ""
        )

    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?(?P<name>\w+)>", replace, rule.rule)


def methods_for(rule) -> list[str]:
    allowed = sorted(rule.methods - {"HEAD", "OPTIONS"})
    wrong = next(m for m in WRONG_METHODS if m not in rule.methods)
    return [*allowed, wrong]


# --- the databases ------------------------------------------------------------------------------


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def site(request, tmp_path_factory, password_hash):
    tmp = tmp_path_factory.mktemp(f"hostile-{request.param}")
    mp = pytest.MonkeyPatch()
    mp.setenv("BLOG_INSTANCE_PATH", str(tmp / "instance"))
    try:
        if request.param == "sqlite":
            app = make_test_app(tmp)
            with app.app_context():
                db.create_all()
            yield Site(app, password_hash)
            with app.app_context():
                db.engine.dispose()
        else:
            with throwaway_postgres() as (url,):
                app = make_test_app(tmp, SQLALCHEMY_DATABASE_URI=url)
                with app.app_context():
                    upgrade_to_head()
                yield Site(app, password_hash)
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()
    finally:
        mp.undo()


# --- pass 1: the sweep --------------------------------------------------------------------------

HUGE = "99999999999999999999999"
SWEEP_NUMBERS = [HUGE, "-1", "\u00b2", "9" * 5000, "-" + HUGE]
SWEEP_TEXT = [
    "a\x00b",
    "\ud800",
    "\x01\x1b\x85\ufffe",
    "my[site].example",
    "http://[evil",
    "&#" + "1" * 4301,
    "x" * 100_000,
    "/admin/\n",
]
NUMERIC_NAMES = {"page", "per_page", "cpage", "after", "replytocom", "parent", "post", "ids"}
NUMERIC_NAMES |= {
    name for name in FORM_FIELDS if name.startswith(("posts_", "comment_", "comments_"))
}


def sweep_requests(site: Site):
    """For every rule and method, three requests: hostile URL arguments (numbers for <int:>,
    text for the others), then valid arguments with every query field hostile, then (unless GET)
    every form field hostile. Number-like fields get hostile numbers, the rest hostile text; both
    rotate from one request to the next, so each value meets many rules. The comment form also
    gets one hostile field at a time in an otherwise good comment, to reach moderation."""
    numbers = iter(SWEEP_NUMBERS * 1000)
    texts = iter(SWEEP_TEXT * 1000)

    def hostile(names, converters=None) -> dict:
        number, text = next(numbers), next(texts)
        out = {}
        for name in names:
            is_int = converters is not None and type(converters[name]).__name__.endswith(
                "IntegerConverter"
            )
            out[name] = number if is_int or name in NUMERIC_NAMES else text
        return out

    for rule in rules(site.app):
        valid_args = {name: site.valid.get(name, ["x"])[0] for name in rule.arguments}
        for method in methods_for(rule):
            if rule.arguments:
                yield rule, method, hostile(rule.arguments, rule._converters), {}, {}
            yield rule, method, valid_args, hostile(QUERY_FIELDS), {}
            if method != "GET":
                yield rule, method, valid_args, {}, hostile(FORM_FIELDS)
            if rule.endpoint == "comments.create":
                good = site.comment_form()
                for name in FORM_FIELDS:
                    yield rule, method, valid_args, {}, {**good, **hostile([name])}


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "author"])
def test_sweep_every_rule_method_and_field(site, signed_in):
    failures = []
    previous_rule = None
    for rule, method, args, query, form in sweep_requests(site):
        if rule is not previous_rule:
            site.ensure_content()
            previous_rule = rule
        problem = site.send(signed_in, method, fill(rule, args), query, form)
        if problem:
            failures.append(problem)
    assert not failures, f"{len(failures)} responses >= 500:\n" + "\n".join(failures)


# --- pass 2: Hypothesis -------------------------------------------------------------------------

any_text = st.text(st.characters(exclude_categories=()), max_size=40)
hostile_value = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers(-(2**80), 2**80).map(str),
    any_text,
)


hostile_number = st.one_of(st.sampled_from(HUGE_NUMBERS), st.integers(-(2**80), 2**80).map(str))


@st.composite
def requests(draw, site: Site):
    """A rule and method; its URL arguments valid or hostile (numbers for <int:>); any of the
    query fields and (unless GET) form fields the site reads, each hostile or absent."""
    rule = draw(st.sampled_from(rules(site.app)))
    *allowed, wrong = methods_for(rule)
    # Mostly an allowed method and valid URL arguments, so the query and form reach the view.
    method = wrong if draw(st.integers(0, 9)) == 0 else draw(st.sampled_from(allowed))
    args = {}
    for name in rule.arguments:
        is_int = type(rule._converters[name]).__name__.endswith("IntegerConverter")
        if draw(st.integers(0, 9)) < 7:
            args[name] = draw(st.sampled_from(site.valid.get(name, ["x"])))
        else:
            args[name] = draw(hostile_number if is_int else hostile_value)

    def value_for(name):
        return st.one_of(hostile_number, hostile_value) if name in NUMERIC_NAMES else hostile_value

    def fields(names):
        # Half the time every number-like field carries a hostile number (the commonest 500s);
        # the others, and otherwise all of them, come and go.
        numbers = draw(st.booleans())
        required = {f: hostile_number for f in names if numbers and f in NUMERIC_NAMES}
        optional = {f: value_for(f) for f in names if f not in required}
        return draw(st.fixed_dictionaries(required, optional=optional))

    query = fields(QUERY_FIELDS)
    form = {}
    if method != "GET":
        form = fields(FORM_FIELDS)
        if draw(st.booleans()):
            # A well-formed comment with hostile fields reaches moderation and the database.
            form = {**site.comment_form(), **form}
    headers = {}
    if draw(st.booleans()):
        # Header values travel as latin-1 and end at a line break: what breaks those rules
        # never reaches a server as one header.
        latin1 = hostile_value.filter(
            lambda v: v.isascii() or v == v.encode("latin-1", "ignore").decode("latin-1")
        ).map(lambda v: v.replace("\r", "").replace("\n", ""))
        headers["User-Agent"] = draw(latin1)
    return method, fill(rule, args), query, form, headers


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "author"])
def test_hypothesis_walk(site, signed_in):
    failures: list[str] = []

    @settings(
        max_examples=80,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.data())
    def walk(data):
        site.ensure_content()
        method, path, query, form, headers = data.draw(requests(site))
        problem = site.send(signed_in, method, path, query, form, headers)
        if problem:
            failures.append(problem)
        assert problem is None, problem

    walk()
    assert not failures


# --- pass 3: inputs that once answered 500 ------------------------------------------------------

KNOWN = [
    # (signed in, method, path, query, form); "COMMENT" is replaced by a good comment form,
    # "USER_AGENT" is sent as the User-Agent header.
    (False, "GET", "/c/99999999999999999999999", {}, {}),
    (False, "GET", "/archive/9999/12", {}, {}),
    (False, "GET", "/posts/bridge-reopens", {"replytocom": HUGE}, {}),
    (False, "GET", "/posts/bridge-reopens", {"cpage": HUGE}, {}),
    (False, "GET", "/posts/bridge-reopens/comments/new", {"after": HUGE}, {}),
    (False, "GET", "/posts/bridge-reopens/respond", {"replytocom": HUGE}, {}),
    (False, "POST", "/posts/bridge-reopens/comments", {}, {"COMMENT": "", "parent": HUGE}),
    (
        False,
        "POST",
        "/posts/bridge-reopens/comments",
        {},
        {"COMMENT": "", "url": "my[site].example"},
    ),
    (False, "POST", "/posts/bridge-reopens/comments", {}, {"COMMENT": "", "url": "http://[evil"}),
    (False, "POST", "/posts/bridge-reopens/comments", {}, {"COMMENT": "", "author": "a\x00b"}),
    (
        False,
        "POST",
        "/posts/bridge-reopens/comments",
        {},
        {"COMMENT": "", "comment": "&#" + "1" * 4301},
    ),
    (False, "GET", "/posts/bridge-old", {"_external": "1", "_scheme": "x", "_method": "POST"}, {}),
    (
        False,
        "POST",
        "/admin/login",
        {"next": "/admin/\n"},
        {"username": "editor", "password": PASSWORD},
    ),
    (False, "POST", "/admin/login", {}, {"username": "x" * 450_000, "password": "x"}),
    (False, "POST", "/posts/bridge-reopens/comments", {}, {"COMMENT": "", "USER_AGENT": "a\x00b"}),
    (True, "GET", "/admin/comments", {"page": HUGE}, {}),
    (True, "GET", "/admin/comments", {"q": "x" * 100_000}, {}),
    (True, "GET", "/admin/posts", {"q": "x" * 100_000}, {}),
    (True, "POST", "/admin/comments/bulk", {}, {"action": "approve", "ids": "\u00b2"}),
    (True, "POST", "/admin/comments/bulk", {}, {"action": "approve", "ids": HUGE}),
    (
        True,
        "POST",
        "/admin/posts/{post_id}/edit",
        {},
        {"title": "No tags field", "action": "draft"},
    ),
]


@pytest.mark.parametrize(("signed_in", "method", "path", "query", "form"), KNOWN)
def test_inputs_that_once_answered_500(site, signed_in, method, path, query, form):
    site.ensure_content()
    headers = {"User-Agent": form["USER_AGENT"]} if "USER_AGENT" in form else {}
    if "COMMENT" in form:
        form = {**site.comment_form(), **form}
    form = {k: v for k, v in form.items() if k not in ("COMMENT", "USER_AGENT")}
    path = path.format(post_id=site.valid["post_id"][0])
    problem = site.send(signed_in, method, path, query, form, headers)
    assert problem is None, problem
