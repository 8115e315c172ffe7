"""The WSGI entry point: gunicorn blog.wsgi:app, waitress-serve blog.wsgi:app, mod_wsgi."""

from . import create_app

app = create_app()
application = app  # mod_wsgi looks for this name
