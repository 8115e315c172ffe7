"""/healthz: a database round trip, no session, never cached."""

from __future__ import annotations

from tests.helpers import make_test_app


def assert_untouched_by_sessions(response):
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_healthy_database_answers_200(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert response.mimetype == "text/plain"
    assert_untouched_by_sessions(response)


def test_a_signed_in_author_gets_no_cookie_either(admin, client):
    assert admin.login().status_code == 303
    response = client.get("/healthz")
    assert response.status_code == 200
    assert_untouched_by_sessions(response)
    assert client.get("/admin/").status_code == 200  # still signed in


def test_unreachable_database_answers_503(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    missing = tmp_path / "no-such-directory" / "blog.sqlite"
    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{missing}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database unreachable\n"
    assert_untouched_by_sessions(response)
    assert "database unreachable" in caplog.text


def test_only_get_and_head(client):
    assert client.head("/healthz").status_code == 200
    response = client.post("/healthz")
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"
