"""The search engine (blog/reading/search_index.py): ranking, excerpts, comments, the index kept
in step, hostile queries, the rebuild command. Runs on SQLite and (second pass) PostgreSQL."""

from __future__ import annotations

import html
import importlib.util
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from blog.extensions import db
from blog.models import CommentStatus, PostStatus, Tag
from blog.reading import search_index
from blog.reading.search_index import fts5_query, highlight, parse, tsquery


def results(client, query: str, **args) -> list[str]:
    response = client.get("/search", query_string={"q": query, **args})
    assert response.status_code == 200, response.status_code
    titles = re.findall(r'<h2 class="entry-title"><a href="[^"]+">(.*?)</a></h2>', response.text)
    return [html.unescape(re.sub(r"</?mark>", "", title)) for title in titles]


def links(client, query: str) -> list[str]:
    html = client.get("/search", query_string={"q": query}).text
    return re.findall(r'<h2 class="entry-title"><a href="([^"]+)">', html)


# --- the query language ------------------------------------------------------------------------


def test_words_phrases_or_and_minus_are_understood():
    query = parse('river "bike lane" OR tram -closed')
    assert [[t.words for t in group] for group in query.groups] == [
        [("river",)],
        [("bike", "lane"), ("tram",)],
    ]
    assert [t.words for t in query.excluded] == [("closed",)]
    assert fts5_query(query) == '(("river"*) AND ("bike lane" OR "tram"*)) NOT "closed"*'
    assert tsquery(query) == "('river':*) & (('bike' <-> 'lane') | 'tram':*) & !'closed':*"


@pytest.mark.parametrize(
    "raw",
    ['"', "*", "NEAR(", ")", "^", ":", "OR", "-", "--", "AND NOT", '"unclosed', "a:b^c*", "'"],
)
def test_syntax_characters_are_never_operators(raw):
    query = parse(raw)
    for term in (*[t for g in query.groups for t in g], *query.excluded):
        assert all(re.fullmatch(r"[^\W_]+", word) for word in term.words)


def test_very_long_queries_are_cut():
    query = parse(" ".join(f"word{n}" for n in range(500)))
    assert len(query.groups) == search_index.MAX_TERMS


def test_highlight_marks_word_starts_and_cuts_around_the_first_match():
    pieces = highlight("The river cleanup: rivers and a driver.", ["river"])
    assert [piece for piece, hit in pieces if hit] == ["river", "river"]
    long_text = "filler " * 100 + "the bridge reopens " + "filler " * 100
    pieces = highlight(long_text, ["bridge"], limit=80)
    assert pieces[0] == ("\u2026 ", False) and pieces[-1] == (" \u2026", False)
    assert ("bridge", True) in pieces


# --- what is found, and how it is shown ---------------------------------------------------------


def test_a_title_match_ranks_above_a_passing_mention(client, make):
    make.post("Notes", body_md="Many words here. " * 30 + "A kayak passed by.")
    make.post("Kayak trip", body_md="We paddled all day.")
    assert results(client, "kayak") == ["Kayak trip", "Notes"]


def test_excerpts_are_escaped_text_with_our_marks_only(client, make):
    make.post("Markup", body_md="Careful: <script>alert('kayak')</script> and <b>kayak</b> & co")
    make.post("Title <script>kayak</script>", slug="title-script", body_md="A <i>kayak</i>")
    page = client.get("/search?q=kayak").text
    assert "<script>alert" not in page and "<script>kayak" not in page
    assert "Title &lt;script&gt;kayak&lt;/script&gt;</a>" in page
    assert "<mark>kayak</mark>\u2019) and <mark>kayak</mark> &amp; co</p>" in page
    marked = re.findall(r"<mark>(.*?)</mark>", page)
    assert marked and all(word.lower() == "kayak" for word in marked)


def test_tags_and_categories_are_searched(client, make):
    post = make.post("Saturday", body_md="Nothing to see.")
    post.terms = [make.tag("Volunteering")]
    db.session.commit()
    assert results(client, "volunteering") == ["Saturday"]


def test_approved_comments_are_found_and_link_to_themselves(client, make):
    post = make.post("Bridge works", body_md="The bridge closes.")
    approved = make.comment(post, body="I saw a heron by the pier")
    make.comment(post, body="heron spam", status=CommentStatus.SPAM.value)
    make.comment(post, body="heron pending", status=CommentStatus.PENDING.value)
    make.comment(post, body="heron trash", status=CommentStatus.TRASH.value)
    draft = make.post("Draft", status=PostStatus.DRAFT.value)
    make.comment(draft, body="heron on a draft")
    locked = make.post("Locked", password="pw")
    make.comment(locked, body="heron on a protected post")
    assert links(client, "heron") == [f"/c/{approved.id}"]
    page = client.get("/search?q=heron").text
    assert "Comment by" in page and "<mark>heron</mark> by the pier" in page
    assert client.get(f"/c/{approved.id}").status_code in (301, 302, 303)


def test_statuses_are_decided_when_searching(client, make):
    post = make.post("Ferry timetable")
    assert results(client, "ferry") == ["Ferry timetable"]
    post.status = PostStatus.DRAFT.value
    db.session.commit()
    assert results(client, "ferry") == []
    post.status = PostStatus.TRASH.value
    db.session.commit()
    assert results(client, "ferry") == []


def test_operators_phrases_and_unicode(client, make):
    make.post("Bike lane opens", body_md="The new bike lane runs by the river.")
    make.post("Lane closed", body_md="A bike was parked in the lane.")
    make.post("Tram news", body_md="Trams run late.")
    make.post("Müller's café", slug="muller", body_md="Über den Fluß, ça va.")
    make.post("Новости", slug="novosti", body_md="Мост открыт.")
    make.post("東京", slug="tokyo", body_md="東京 の 橋")
    assert results(client, '"bike lane"') == ["Bike lane opens"]
    assert sorted(results(client, "tram OR opens")) == ["Bike lane opens", "Tram news"]
    assert results(client, "bike -closed") == ["Bike lane opens"]
    assert results(client, "müller") == ["Müller's café"]
    assert results(client, "ça") == ["Müller's café"]
    assert results(client, "мост") == ["Новости"]
    assert results(client, "東京") == ["東京"]


HOSTILE = [
    '"',
    "*",
    "NEAR(",
    ")",
    "^",
    ":",
    "OR",
    "-",
    '" OR "',
    "a* NEAR(b c",
    "title:x",
    "x " * 1000,  # long (under the 2,048 the site accepts for any value)
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_answer(client, make, query):
    make.post("Anything")
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    assert "Sorry, but nothing matched" in response.text or "entry-title" in response.text


def test_random_text_never_fails(client, make):
    make.post("River cleanup", body_md='Volunteers & a "quoted" word: NEAR(it).')

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(st.text(max_size=80))
    def search(query):
        response = client.get("/search", query_string={"q": query})
        # A NUL is refused for every address (blog/web/params.py): a 400, not a 500.
        assert response.status_code == (400 if "\x00" in query else 200)

    search()


def test_paging_keeps_the_query_and_counts(app, client, make):
    app.config["POSTS_PER_PAGE"] = 2
    for n in range(5):
        make.post(f"Garden {n}")
    assert "5 results" in client.get("/search?q=garden").text
    seen = [title for page in (1, 2, 3) for title in results(client, "garden", page=page)]
    assert sorted(seen) == [f"Garden {n}" for n in range(5)]
    assert client.get("/search?q=garden&page=4").status_code == 404
    assert client.get("/search?q=garden&page=x").status_code == 404


def test_no_results_explains_the_syntax(client, make):
    page = client.get("/search?q=zebra").text
    assert "nothing matched" in page and "OR" in page and "minus sign" in page


def test_htmx_gets_the_fragment_and_vary(client, make):
    make.post("Ferry timetable")
    page = client.get("/search?q=ferry")
    fragment = client.get("/search?q=ferry", headers={"HX-Request": "true"})
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
    assert fragment.text.lstrip().startswith('<div id="search-results"') or (
        "<html" not in fragment.text and 'id="search-results"' in fragment.text
    )
    assert "<mark>Ferry</mark> timetable" in fragment.text
    assert '<div id="search-results"' in page.text and "<html" in page.text


def test_the_search_page_box_is_live_and_every_page_has_one_in_the_header(client):
    page = client.get("/search").text
    assert 'hx-get="/search"' in page and "delay:300ms" in page
    assert 'hx-target="#search-results"' in page
    home = client.get("/").text
    assert 'id="search-header"' in home and '<label for="search-header">' in home


def test_wordpress_search_address_redirects(client):
    response = client.get("/?s=bridge+works")
    assert response.status_code == 301
    assert response.location.endswith("/search?q=bridge+works")


# --- the index kept in step (SQLite) and rebuilt --------------------------------------------------

sqlite_only = pytest.mark.sqlite_only


def test_edits_tags_renames_moves_and_deletes_reach_the_index(client, make):
    post = make.post("Harbour", body_md="Boats.")
    other = make.post("Market")
    comment = make.comment(post, body="lighthouse keeper")
    post.title = "Harbour lighthouse"
    post.body_md = "Seagulls."
    db.session.commit()
    assert results(client, "seagulls") == ["Harbour lighthouse"]
    assert results(client, "boats") == []
    tag = make.tag("Maritime")
    post.terms = [tag]
    db.session.commit()
    assert results(client, "maritime") == ["Harbour lighthouse"]
    tag.name = "Nautical"
    db.session.commit()
    assert results(client, "nautical") == ["Harbour lighthouse"]
    assert results(client, "maritime") == []
    post.terms = []
    db.session.commit()
    assert results(client, "nautical") == []
    comment.body = "foghorn"
    db.session.commit()
    assert links(client, "foghorn") == [f"/c/{comment.id}"]
    comment.post_id = other.id
    db.session.commit()
    assert links(client, "foghorn") == [f"/c/{comment.id}"]
    post.password = "secret"
    db.session.commit()
    assert results(client, "seagulls") == []
    db.session.delete(db.session.get(Tag, tag.id))
    db.session.delete(post)
    db.session.commit()
    assert results(client, "lighthouse") == []


@sqlite_only
def test_rebuild_fills_the_index_again(app, client, make):
    post = make.post("Orchard", body_md="Apples and pears.")
    post.terms = [make.tag("Autumn")]
    db.session.commit()
    make.comment(post, body="quince jam")
    db.session.execute(text("DELETE FROM search_fts"))
    db.session.commit()
    assert results(client, "apples") == []
    outcome = app.test_cli_runner().invoke(args=["search-index", "--rebuild"])
    assert outcome.exit_code == 0, outcome.output
    assert "Indexed 2 " in outcome.output
    assert results(client, "apples") == ["Orchard"]
    assert results(client, "autumn") == ["Orchard"]
    assert len(links(client, "quince")) == 1


def test_rebuild_command_answers_on_every_database(app, make):
    make.post("Orchard")
    outcome = app.test_cli_runner().invoke(args=["search-index", "--rebuild"])
    assert outcome.exit_code == 0, outcome.output
    assert app.test_cli_runner().invoke(args=["search-index"]).exit_code == 2


def _migration(name: str):
    path = Path(__file__).parents[3] / "blog/migrations/versions" / name
    spec = importlib.util.spec_from_file_location(path.stem, path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def test_the_migrations_create_what_the_module_creates():
    first, vectors = _migration("0014_search.py"), _migration("0015_search_vectors.py")
    prefixes = _migration("0017_search_prefixes.py")
    # 0017 made the table again with prefix indexes, and fills it as 0015 does.
    assert prefixes.OLD_TABLE == first.SQLITE_TABLE
    assert prefixes.TABLE == search_index.SQLITE_TABLE
    assert prefixes.FILL == search_index.SQLITE_FILL
    # 0015 replaced the triggers that index text, and fills the index again with them.
    assert vectors.SQLITE_TRIGGERS == search_index.SQLITE_TRIGGERS
    assert vectors.SQLITE_FILL == search_index.SQLITE_FILL
    assert set(vectors.OLD_SQLITE_TRIGGERS) | {
        statement.split()[5] for statement in first.SQLITE_TRIGGERS
    } == {statement.split()[5] for statement in search_index.SQLITE_TRIGGERS}
    assert vectors.POSTGRESQL_FUNCTIONS == search_index.POSTGRESQL_FUNCTIONS
    assert vectors.POSTGRESQL_TRIGGERS == search_index.POSTGRESQL_TRIGGERS
    assert vectors.POSTGRESQL_FOLD_UNACCENT == search_index.POSTGRESQL_FOLD_UNACCENT
    assert vectors.POSTGRESQL_FOLD_PLAIN == search_index.POSTGRESQL_FOLD_PLAIN


# --- what is indexed (migration 0015) ----------------------------------------------------------


def test_markup_is_not_text_and_accents_fold(client, make):
    """The index holds what a reader sees: a word that is only markup (a tag, an attribute, a
    link's address) finds nothing, in posts or comments; the words around it still match."""
    post = make.post(
        "Workshop",
        body_md='**Bold** plans, a <strong>kiln</strong>, a <a href="https://example.org/x">map'
        "</a>, [the route](https://itinerary.example/href) and a café &amp; bakery.",
    )
    make.comment(post, body='<a href="https://hrefhost.example/strong">pottery</a> <em>glaze</em>')
    for markup in ("strong", "href", "itinerary", "hrefhost", "em"):
        assert links(client, markup) == [], markup
    for word in ("bold", "kiln", "map", "route", "bakery", "cafe", "café"):
        assert results(client, word) == ["Workshop"], word
    assert len(links(client, "pottery glaze")) == 1


def test_unpublished_trashed_and_spammed_drop_out_at_once(client, make):
    post = make.post("Allotment", body_md="Marrows.")
    comment = make.comment(post, body="prize marrows")
    assert len(links(client, "marrows")) == 2
    comment.status = CommentStatus.SPAM.value
    db.session.commit()
    assert results(client, "marrows") == ["Allotment"]  # the post alone
    comment.status = CommentStatus.APPROVED.value
    post.status = PostStatus.TRASH.value
    db.session.commit()
    assert links(client, "marrows") == []  # the post and the comments under it
    post.status = PostStatus.PUBLISHED.value
    db.session.commit()
    assert len(links(client, "marrows")) == 2


def stored_document(table: str, row_id: int) -> str:
    """What the engine holds for a row: PostgreSQL's vector, SQLite's index row."""
    if db.engine.dialect.name == "postgresql":
        sql = f"SELECT search_vector::text FROM {table} WHERE id = :id"
        return db.session.execute(text(sql), {"id": row_id}).scalar_one()
    rowid = row_id if table == "posts" else -row_id
    row = db.session.execute(
        text("SELECT title, body, terms FROM search_fts WHERE rowid = :id"), {"id": rowid}
    ).one()
    return " | ".join(row)


def test_the_stored_documents_follow_every_edit(client, make):
    post = make.post("Quarry", body_md="<b>Granite</b> blocks.")
    comment = make.comment(post, body="<i>Basalt</i> too")
    assert "granite" in stored_document("posts", post.id).lower()
    assert "<b>" not in stored_document("posts", post.id)
    post.title, post.body_md = "Mine", "Slate roofs."
    post.terms = [make.tag("Geology")]
    comment.body = "Marble"
    db.session.commit()
    document = stored_document("posts", post.id).lower()
    assert "slate" in document and "geology" in document and "mine" in document
    assert "granite" not in document and "quarry" not in document
    if db.engine.dialect.name == "postgresql":
        # Weighted as ranked: title A, terms B, text C.
        assert "'mine':1a" in document.replace(" ", "")
        assert "geology':2b" in document.replace(" ", "")
    assert "marble" in stored_document("comments", comment.id).lower()
    assert "basalt" not in stored_document("comments", comment.id).lower()
    post.password = "pw"
    db.session.commit()
    assert "slate" not in stored_document("posts", post.id).lower()


def test_short_prefixes_have_their_own_index_and_find_the_same(app, client, make):
    """Migration 0017's prefix indexes (3 and 4 letters) answer what the live search sends at each
    keystroke; words longer than the prefix still match, shorter ones match whole words only."""
    if db.engine.dialect.name == "sqlite":
        table = text("SELECT sql FROM sqlite_master WHERE name = 'search_fts'")
        assert "prefix = '3 4'" in db.session.execute(table).scalar_one()
    make.post("Lanterns at the river", body_md="The lantern festival and the landing stage.")
    make.post("Other news", body_md="A land of plenty.")
    for typed, found in (
        ("la", []),
        ("lan", ["Lanterns at the river", "Other news"]),
        ("lant", ["Lanterns at the river"]),
        ("lante", ["Lanterns at the river"]),
        ("lantern", ["Lanterns at the river"]),
    ):
        assert sorted(results(client, typed)) == found, typed
