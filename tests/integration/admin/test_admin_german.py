"""The admin in German: with the site's language set to "de", every screen an author or editor
uses speaks German, and none still shows the English words it shows in English."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

from blog.extensions import db
from blog.mail.outbox import sender
from blog.models import MediaItem, Revision
from blog.settings import save_settings
from blog.web import i18n
from tests.helpers import fields, post_form

TAGS = re.compile(r"<[^>]+>")
# Attributes people read or hear: their English would slip past a check of the text alone.
READ_ATTRIBUTES = re.compile(r'\b(?:aria-label|placeholder|title|alt|hx-confirm)="([^"]*)"')


def admin_text(page: str) -> str:
    """What a person reads or hears of the admin part of ``page``: its text and the attributes
    read aloud, without the site's public header and footer."""
    start = page.index('<div class="admin')
    end = page.index('<footer class="site-footer"')
    part = page[start:end]
    said = " ".join(READ_ATTRIBUTES.findall(part))
    return html.unescape(TAGS.sub(" ", part) + " " + said)


def sign_in(client, author) -> None:
    with client.session_transaction() as session:
        session["author_id"] = author.id
        session["epoch"] = author.session_epoch


@pytest.fixture
def german(app, monkeypatch):
    monkeypatch.setitem(i18n.LANGUAGES, "de", "Deutsch")  # whether or not the list has it yet
    save_settings({"SITE_LANGUAGE": "de"})
    db.session.commit()


@pytest.fixture
def site(make, german):
    """An administrator, with something on every screen (names without English words)."""
    admin = make.author("greta", display_name="Greta Berger", email="greta@example.org")
    make.author("jonas", display_name="Jonas Weber", role="author", email="jonas@example.org")
    post = make.post("Sonnenfähre legt an", author=admin, tags=[make.tag("Energie")])
    make.post("Zweiter Entwurf", author=admin, status="draft")
    make.post("Im Eimer", author=admin, status="trash")
    make.comment(post, author_name="Lena", body="Wunderbar!", status="pending")
    make.comment(post, author_name="Paul", body="Danke schön.")
    db.session.add(
        Revision(post_id=post.id, author_id=admin.id, title="Sonnenfähre", body_md="Alt.")
    )
    db.session.add(
        MediaItem(
            kind="image",
            file_name="hafen.jpg",
            stored_name="",
            mime_type="image/jpeg",
            byte_size=1234,
            title="Hafen",
            author_id=admin.id,
        )
    )
    db.session.commit()
    return {"admin": admin, "post": post}


# Each screen: its address, German it must show, English words it showed before.
SCREENS = [
    (
        "/admin/",
        [
            "Auf einen Blick",
            "Neueste Kommentare",
            "Neuen Beitrag schreiben",
            "Greta Berger abmelden",
        ],
        [
            "At a glance",
            "Latest comments",
            "Write a new article",
            "Log out",
            "Published",
            "Pending",
            "Approve",
            "Trash",
            "Reply",
            "Edit",
            "Comments",
            "Author",
        ],
    ),
    (
        "/admin/posts",
        ["<h1>Beiträge</h1>", "Beiträge durchsuchen", "Titel", "Schlagwörter", "Entwurf"],
        [
            "Articles",
            "Search",
            "Title",
            "Categories",
            "Tags",
            "Edit",
            "Preview",
            "Trash",
            "Drafts",
            "Published",
            "Date",
            "Actions",
            "articles",
        ],
    ),
    (
        "/admin/posts/new",
        [
            "Neuen Beitrag schreiben",
            "Entwurf speichern",
            "Veröffentlichen",
            "Sichtbarkeit",
            # What media.js shows comes from the page, in the site's language.
            'data-text-featured="Das Beitragsbild: {name}"',
        ],
        [
            "Save draft",
            "Publish",
            "Visibility",
            "Excerpt",
            "Title",
            "Preview",
            "Featured image",
            "Password protected",
            "Categories",
            "Allow comments",
        ],
    ),
    (
        "/admin/comments",
        ["<h1>Kommentare</h1>", "Freigeben", "Ausstehend", "Als Antwort auf", "Mehrfachaktionen"],
        [
            "Comments",
            "Approve",
            "Unapprove",
            "Pending",
            "Approved",
            "In response to",
            "Submitted",
            "Bulk actions",
            "Apply",
            "Search",
            "Reply",
            "Edit",
            "All articles",
        ],
    ),
    (
        "/admin/media",
        [
            "<h1>Mediathek</h1>",
            "Hochladen",
            "Alternativtext",
            "Bilder",
            'data-text-uploading="{name} wird hochgeladen"',
            'data-text-forbidden="dieses Konto darf keine Dateien hochladen."',
        ],
        [
            "Media library",
            "Upload",
            "Alternative text",
            "Images",
            "File",
            "Uploaded",
            "Used in",
            "Not used",
            "Edit",
            "Delete",
            "Search media",
        ],
    ),
    (
        "/admin/users",
        ["<h1>Benutzer</h1>", "Benutzer einladen", "Benutzername", "Rolle", "Administrator"],
        ["Users", "Invite a user", "Username", "Role", "Posts", "Edit", "Remove", "Email"],
    ),
    (
        "/admin/users/invite",
        ["Benutzer einladen", "Öffentlicher Name", "Einladung senden", "Redakteur"],
        ["Invite a user", "Display name", "Send invitation", "Editor", "Contributor", "Back"],
    ),
    (
        "/admin/menus",
        ["<h1>Menüs</h1>", "Kopfzeilen-Menü", "Link hinzufügen", "Seite hinzufügen"],
        [
            "Menus",
            "Header menu",
            "Footer menu",
            "Add link",
            "Add page",
            "Link address",
            "Link text",
            "Choose",
            "empty",
        ],
    ),
    (
        "/admin/categories",
        ["<h1>Kategorien</h1>", "Neue Kategorie erstellen", "Beschreibung"],
        [
            "Categories",
            "Add a new category",
            "Description",
            "Posts",
            "Edit",
            "Parent category",
            "Default",
        ],
    ),
    (
        "/admin/tags",
        ["<h1>Schlagwörter</h1>", "Neues Schlagwort erstellen", "Energie"],
        ["Tags", "Add a new tag", "Description", "Posts", "Edit", "Delete", "Merge"],
    ),
    (
        "/admin/trash",
        ["<h1>Papierkorb</h1>", "Papierkorb leeren", "Wiederherstellen", "Endgültig löschen"],
        [
            "Trash",
            "Empty Trash",
            "Restore",
            "Delete permanently",
            "Title",
            "Type",
            "Was",
            "Trashed",
        ],
    ),
    (
        "/admin/mail",
        ["Nicht gesendete Benachrichtigungs-E-Mails", "Keine fehlgeschlagenen Nachrichten"],
        ["Notification mail", "failed messages", "Retry", "emails"],
    ),
    (
        "/admin/password",
        ["Ändere dein Passwort", "Aktuelles Passwort", "Passwort ändern"],
        ["Change your password", "Current password", "New password", "characters"],
    ),
]


def assert_german(page: str, german: list[str], english: list[str], where: str) -> None:
    for words in german:
        assert words in page, (where, words)
    text = admin_text(page)
    for words in english:
        assert not re.search(rf"\b{re.escape(words)}\b", text), (where, words)


def test_every_admin_screen_speaks_german(client, site):
    sign_in(client, site["admin"])
    for url, german, english in SCREENS:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert '<html lang="de"' in page, url
        assert_german(page, german, english, url)

    # The editor of an article, its revisions, and a refused save: messages beside the fields.
    post = site["post"]
    page = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert_german(
        page,
        ["Beitrag bearbeiten", "Aktualisieren", "Revisionen (1)"],
        ["Update", "Unpublish", "Move to Trash", "Revisions", "View post"],
        "edit",
    )
    page = client.get(f"/admin/posts/{post.id}/revisions").get_data(as_text=True)
    assert_german(
        page,
        ["Revisionen von", "Mit aktueller Version vergleichen", "Zurück zum Editor"],
        ["Revisions of", "Compare with current", "Back to the editor", "Saved"],
        "revisions",
    )
    response = client.post("/admin/posts/new", data=post_form(title="   "))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert_german(
        page,
        ["Bitte korrigiere die markierten Felder.", "Gib dem Beitrag einen Titel"],
        ["Please correct", "Give the article a title", "Save draft"],
        "refused save",
    )


def test_sign_in_and_flash_messages_speak_german(client, make, german):
    make.author("greta", display_name="Greta Berger")
    page = client.get("/admin/login").get_data(as_text=True)
    assert_german(
        page,
        ["<h1>Anmelden</h1>", "Benutzername", "Passwort"],
        ["Log In", "Username", "Password"],
        "login",
    )
    response = client.post("/admin/login", data={"username": "greta", "password": "falsch"})
    page = response.get_data(as_text=True)
    assert "Benutzername oder Passwort ist falsch." in page
    assert "Invalid username or password." not in page

    # A flash after an action: the comment list, in German, with the German action name.
    admin = make.author("anna", display_name="Anna Roth")
    sign_in(client, admin)
    post = make.post("Sonnenfähre legt an", author=admin)
    comment = make.comment(post, author_name="Lena", status="pending")
    response = client.post(f"/admin/comments/{comment.id}/approve", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Freigeben: erledigt." in page
    assert ": done." not in page


def test_the_emails_to_authors_speak_german(app, client, make, german, inbox):
    author = make.author("greta", display_name="Greta Berger", email="greta@example.org")
    post = make.post("Sonnenfähre legt an", author=author)
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
    assert sender(app).wait_idle()
    (message,) = inbox.messages
    assert message["Subject"] == "Bitte moderieren: Sonnenfähre legt an"
    body = message.get_content()
    for german_words in (
        "wartet auf deine Freigabe",
        "Beitrag:",
        "Freigeben:",
        "Als Spam markieren:",
    ):
        assert german_words in body
    for english in ("waiting for your approval", "Approve it", "Mark it as spam", "Article:"):
        assert english not in body

    # The invitation a new author gets.
    sign_in(client, author)
    response = client.post(
        "/admin/users/invite",
        data={
            "username": "jonas",
            "display_name": "Jonas",
            "email": "jonas@example.org",
            "role": "author",
            "bio": "",
        },
    )
    assert response.status_code == 303
    assert sender(app).wait_idle()
    invitation = inbox.messages[-1]
    assert invitation["Subject"].startswith("Einladung zum Schreiben für ")
    body = invitation.get_content()
    assert "Hallo Jonas," in body and "Greta Berger hat dich eingeladen, als Autor für" in body
    assert "Dein Benutzername: jonas" in body
    assert "invited you" not in body and "Your username" not in body


ROOT = Path(__file__).resolve().parents[3]
# What authors and editors meet (the settings page and the subscriptions screen have tests of
# their own): every text marked there has a German translation that is not fuzzy.
ADMIN_FILES = (
    ("jinja2", "templates/admin/*.html"),
    ("jinja2", "templates/accounts/*.html"),
    ("jinja2", "templates/mail/new_comment*.txt"),
    ("jinja2", "templates/mail/invite.txt"),
    ("python", "blog/admin/*.py"),
    ("python", "blog/accounts/*.py"),
    ("python", "blog/media/processing.py"),
    ("python", "blog/mail/notify.py"),
)
NOT_HERE = ("settings", "subscriptions")


def test_the_german_catalogue_has_every_admin_text():
    with (ROOT / "blog/translations/de/LC_MESSAGES/messages.po").open("rb") as file:
        catalogue = read_po(file)
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    missing = []
    for method, pattern in ADMIN_FILES:
        for path in sorted(ROOT.glob(pattern)):
            if path.stem in NOT_HERE:
                continue
            for _line, text, _comments, _context in extract_from_file(
                method, str(path), keywords=keywords
            ):
                key = text[0] if isinstance(text, tuple) else text
                entry = catalogue.get(key)
                strings = entry.string if entry else ""
                strings = strings if isinstance(strings, tuple) else (strings,)
                if entry is None or entry.fuzzy or not all(strings):
                    missing.append(f"{path.relative_to(ROOT)}: {key!r}")
    assert not missing


def test_the_form_library_messages_speak_german_and_load_once(client, make, german, monkeypatch):
    """WTForms' own messages (here a choice not on the list) come in the site's language, and
    its catalogue file is read once per language, not on every request that builds a form."""
    from babel import support

    from blog.web import forms

    forms._wtforms_messages.cache_clear()
    loads = []
    real_load = support.Translations.load

    def counting_load(*args, **kwargs):
        loads.append(kwargs.get("domain"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(support.Translations, "load", counting_load)
    sign_in(client, make.author("greta", display_name="Greta Berger"))
    for attempt in range(2):
        response = client.post(
            "/admin/settings",
            data={"site_title": f"Gute Nachrichten {attempt}", "date_format": "nonsense"},
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "Keine gültige Auswahl." in page
        assert "Not a valid choice." not in page
        assert f"Gute Nachrichten {attempt}" in page  # what was typed stays
    assert loads.count("wtforms") == 1
