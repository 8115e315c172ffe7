"""blog.web.htmx: the page-or-fragment helper and the redirect/Vary hooks, on a throwaway route."""

from __future__ import annotations

import pytest
from flask import redirect

from blog.web.htmx import is_htmx, render_page_or_fragment
from tests.helpers import HX


@pytest.fixture
def probe(app):
    @app.get("/__probe")
    def probe_view():
        return render_page_or_fragment(
            "errors/error.html",
            "errors/_error.html",
            status=418,
            code=418,
            title="Probe",
            message="probe message",
        )

    @app.get("/__go")
    def go():
        return redirect("/elsewhere", 303)

    return app.test_client()


def test_plain_request_gets_full_page(probe):
    response = probe.get("/__probe")
    assert response.status_code == 418
    assert "<html" in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_request_gets_fragment(probe):
    response = probe.get("/__probe", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 418
    assert "<html" not in html
    assert "probe message" in html
    assert "HX-Request" in response.headers["Vary"]


def test_history_restore_gets_full_page(probe):
    headers = dict(HX, **{"HX-History-Restore-Request": "true"})
    assert "<html" in probe.get("/__probe", headers=headers).get_data(as_text=True)


def test_redirect_under_htmx_becomes_hx_redirect(probe):
    plain = probe.get("/__go")
    assert plain.status_code == 303
    response = probe.get("/__go", headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/elsewhere"


def test_is_htmx_needs_exact_header(app):
    with app.test_request_context(headers={"HX-Request": "1"}):
        assert not is_htmx()
    with app.test_request_context(headers=HX):
        assert is_htmx()
