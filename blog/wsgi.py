"""The WSGI entry point: gunicorn blog.wsgi:app, waitress-serve blog.wsgi:app, mod_wsgi."""

from . import create_app, warn_about_per_worker_limits

app = create_app()
warn_about_per_worker_limits(app)  # here, not in every CLI command: this is a server starting
application = app  # mod_wsgi looks for this name
