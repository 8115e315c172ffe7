"""Default settings. Each layer after this one overrides it:
instance/config.py, then BLOG_* environment variables, then DATABASE_URL, then test_config."""

# Relative SQLite paths resolve into the instance folder (Flask-SQLAlchemy does that).
SQLALCHEMY_DATABASE_URI = "sqlite:///blog.sqlite"
SQLALCHEMY_ENGINE_OPTIONS: dict = {}

SITE_TITLE = "Good News"
SITE_TAGLINE = "Stories of things going right"
SITE_LANGUAGE = "en"

POSTS_PER_PAGE = 10
MAX_POSTS_PER_PAGE = 50
FEED_SIZE = 20
WORDS_PER_MINUTE = 200

# Security baseline: forms and uploads stay small; cookies are not readable from scripts.
MAX_CONTENT_LENGTH = 1024 * 1024
MAX_FORM_MEMORY_SIZE = 500_000
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Set PREFER_HTTPS (BLOG_PREFER_HTTPS=true) behind TLS: Secure cookies and HSTS.
PREFER_HTTPS = False
WTF_CSRF_TIME_LIMIT = 3600

# "production" makes a missing SECRET_KEY an error instead of generating one.
ENV = "development"
