"""/healthz for load balancers and uptime checks: 200 after a database round trip, else 503.

It answers before Flask handles the request at all (a small WSGI wrapper), so no session is
opened, read or saved: no Set-Cookie, no "Vary: Cookie", no sign-in lookup, no rate limit. And
``Cache-Control: no-store``, so no proxy answers it from a cache while the site is down.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from .extensions import db

PATH = "/healthz"


class HealthCheck:
    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH:
            return self.wsgi_app(environ, start_response)
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            response = self.check()
        else:
            response = self.answer("method not allowed\n", 405)
            response.headers["Allow"] = "GET, HEAD"
        return response(environ, start_response)

    def check(self) -> Response:
        with self.app.app_context():
            try:
                with db.engine.connect() as connection:
                    connection.execute(text("SELECT 1")).scalar_one()
            except SQLAlchemyError as error:
                self.app.logger.warning("Health check failed: database unreachable: %s", error)
                return self.answer("database unreachable\n", 503)
        return self.answer("ok\n", 200)

    @staticmethod
    def answer(body: str, status: int) -> Response:
        response = Response(body, status, mimetype="text/plain")
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def init_app(app: Flask) -> None:
    app.wsgi_app = HealthCheck(app, app.wsgi_app)
