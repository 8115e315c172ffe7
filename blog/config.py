"""Default settings. Each layer after this one overrides it:
instance/config.py, then BLOG_* environment variables, then DATABASE_URL, then test_config."""

# Relative SQLite paths resolve into the instance folder (Flask-SQLAlchemy does that).
SQLALCHEMY_DATABASE_URI = "sqlite:///blog.sqlite"
SQLALCHEMY_ENGINE_OPTIONS: dict = {}
# The longest a request waits for a lock or for the database to take a write (the posting lock,
# SQLite's busy_timeout, PostgreSQL's lock_timeout). Past it the visitor gets a 503 with
# Retry-After and their form back: keep it well under the server's worker timeout (gunicorn: 30).
DB_WRITE_WAIT_SECONDS = 3.0

SITE_TITLE = "Good News"
SITE_TAGLINE = "Stories of things going right"
SITE_LANGUAGE = "en"
# The site's time zone: "UTC", an IANA name ("Europe/Berlin") or a fixed offset ("+05:00"). Dates
# are stored in UTC and shown in this zone; month archives are this zone's months.
TIMEZONE = "UTC"
# How dates and times are shown: a key of blog.settings.DATE_FORMATS / TIME_FORMATS ("long" is the
# language's own long form: "December 5, 2026", "5. Dezember 2026"). Feeds, the sitemap and
# datetime attributes always use ISO 8601 with the offset.
DATE_FORMAT = "long"
TIME_FORMAT = "24h"

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
# Readers without an account are protected from forged posts by their browser's Sec-Fetch-Site
# and Origin headers (blog/web/forgery.py); other origins allowed to post forms here, e.g. a
# second address of the same site: ["https://www.news.example"].
CSRF_TRUSTED_ORIGINS: list[str] = []
# Public pages (the same bytes for every reader without a session or comment cookie) may be kept
# by a shared cache (nginx, a CDN) this many seconds, and served stale this much longer while it
# fetches a fresh one. A comment approved or removed shows to everyone within their sum.
PUBLIC_CACHE_SECONDS = 1
PUBLIC_STALE_SECONDS = 10

# "production" makes a missing SECRET_KEY or SITE_URL an error instead of guessing one.
ENV = "development"

# The address readers use for the home page, e.g. "https://news.example" (a path is allowed when
# the blog is mounted below one: "https://example.org/blog"). Every absolute URL that leaves a
# request (emails, feeds, sitemap, canonical and Open Graph tags) starts with it, never with the
# Host header a client sent. Required in production; elsewhere the request's own root is used.
SITE_URL = ""
# Host names this site answers to; other Host headers get 400. None: SITE_URL's host when SITE_URL
# is set (otherwise any host). An empty list switches the check off (e.g. the proxy does it).
TRUSTED_HOSTS: list[str] | None = None

# Discussion settings (WordPress's defaults where it has one). Every one can be overridden by a
# BLOG_* environment variable, e.g. BLOG_COMMENT_MODERATION=all or BLOG_COMMENT_FLOOD_SECONDS=30.
COMMENT_MODERATION = "first-time"  # first-time | all | none
COMMENT_MAX_LINKS = 2  # this many links or more: held for moderation (0: no limit)
COMMENT_MODERATION_WORDS: list[str] = []  # held when one appears (name, email, url, text, IP, UA)
COMMENT_DISALLOWED_WORDS: list[str] = []  # sent to spam when one appears
COMMENT_MIN_SECONDS = 3.0  # a form sent sooner after it was shown is a bot's
COMMENT_FLOOD_SECONDS = 15  # same IP or email again within this: 429 "posting too quickly"
COMMENT_CLOSE_AFTER_DAYS = 0  # close comments on posts older than this (0: never)
COMMENT_THREAD_DEPTH = 5  # replies nest this deep; deeper ones attach at the deepest level
COMMENTS_PER_PAGE = 50  # top-level comments per page
COMMENT_ORDER = "oldest"  # oldest | newest (top-level comments)
COMMENT_EDIT_MINUTES = 15  # how long a poster may edit or delete their own comment
COMMENT_POLL_SECONDS = 30  # how often an open article asks for new comments
COMMENT_OWN_DAYS = 7  # how long a poster sees their own held comment
COMMENT_REMEMBER_DAYS = 365  # "Save my name, email, and website" cookie lifetime
COMMENT_RATE_LIMIT = "6 per minute;60 per hour"  # per IP, on posting, through Flask-Limiter
# Password guesses at protected posts (POST /posts/SLUG/unlock), per IP.
UNLOCK_RATE_LIMIT = "10 per minute;100 per hour"
COMMENT_FEED_SIZE = 20
# Following a discussion by email (blog/comments/subscriptions.py, docs/comments.md).
FOLLOW_NOTICE_MINUTES = 10  # at most one notice per follower and article this often (0: each)
FOLLOW_CONFIRMATIONS_PER_HOUR = 3  # confirmation emails to one address, site-wide
FOLLOW_CONFIRM_DAYS = 7  # a confirmation link's life; unconfirmed rows go after it
FOLLOW_RATE_LIMIT = "5 per minute;30 per hour"  # per client address, on the follow form

# Flask-Limiter: memory storage by default; a Redis URL (redis://host:6379/0) shares the counts
# between worker processes. RATELIMIT_ENABLED=False switches it off for load tests.
RATELIMIT_ENABLED = True
RATELIMIT_STORAGE_URI = "memory://"
# Off: Flask-Limiter would put Retry-After on successful answers too. The comment views set
# Retry-After themselves, on 429 only, with the true wait.
RATELIMIT_HEADERS_ENABLED = False

# Where the hashed, compressed copies of static/ are written at start-up (blog/web/assets.py);
# empty: <instance>/static-cache.
STATIC_CACHE_DIR = ""

# Flask-Caching holds what every reader sees alike (rendered article pages, sidebar data), keyed by
# the content version, so a change is seen at once. In process by default, bounded to this many
# entries per worker; CACHE_TYPE="RedisCache" with CACHE_REDIS_URL="redis://host:6379/1" shares one
# copy between all workers and hosts. CACHE_TYPE="NullCache" turns caching off.
CACHE_TYPE = "SimpleCache"
CACHE_THRESHOLD = 300
CACHE_DEFAULT_TIMEOUT = 24 * 3600
CACHE_KEY_PREFIX = "goodnews:"

# Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust (0: none).
TRUSTED_PROXIES = 0

# Signing in (blog/accounts/auth.py). Failures are counted per client address: this many within the
# window lock that address out for the window, as WordPress lockout plugins do, so a stranger
# cannot lock the real author out. A much higher ceiling per username stops a slow guess spread
# over many addresses. Attempts older than the window are deleted.
LOGIN_MAX_FAILURES = 5
LOGIN_MAX_FAILURES_PER_USERNAME = 50
LOGIN_WINDOW_MINUTES = 15
LOGIN_RATE_LIMIT = "10 per minute;100 per hour"  # per IP, on the sign-in POST (Flask-Limiter)
PERMANENT_SESSION_LIFETIME = 12 * 3600  # an author's session, in seconds

# Email notifications to article authors. With no MAIL_SERVER they are written to the log.
MAIL_SERVER = ""
MAIL_PORT = 25
MAIL_USE_TLS = False  # STARTTLS on MAIL_PORT
MAIL_USE_SSL = False  # TLS from the start (port 465)
MAIL_USERNAME = ""
MAIL_PASSWORD = ""
MAIL_SENDER = "Good News <blog@localhost>"
MAIL_TIMEOUT = 10
# A failed send is tried again after MAIL_RETRY_SECONDS, each pause twice the one before up to
# MAIL_RETRY_MAX_SECONDS, until the pauses add up to MAIL_GIVE_UP_HOURS; then the row waits as
# "failed" until an operator retries it (admin "Mail" page, `send-mail --retry-failed`).
MAIL_RETRY_SECONDS = 30
MAIL_RETRY_MAX_SECONDS = 3600
MAIL_GIVE_UP_HOURS = 48
# A sender's claim on an outbox row lasts this long; a row claimed longer ago (its sender died)
# is taken again. Keep it well above MAIL_TIMEOUT.
MAIL_CLAIM_SECONDS = 300
# Each web worker sends from a background thread. False: run `flask --app blog send-mail`.
MAIL_SENDER_IN_PROCESS = True
MAIL_POLL_SECONDS = 5  # how often an idle sender looks for retries and abandoned claims
# The in-process sender gathers the comments of this moment before it claims them together, and
# stays this long for the next one before its thread ends (a thread per comment cost more than
# its mail). Tests set both to 0: a thread per message that ends at once.
MAIL_SENDER_GATHER_SECONDS = 0.5
MAIL_SENDER_LINGER_SECONDS = 30
MODERATION_LINK_DAYS = 7  # one-click Approve / Spam / Trash links in the emails

# Media (blog/media, docs/media.md). Uploads and their sizes are stored under MEDIA_DIR (empty:
# <instance>/media); copy that folder along with the database (export writes records only).
MEDIA_DIR = ""
# The largest upload, in bytes: the upload view raises the request limit (MAX_CONTENT_LENGTH,
# 1 MB for every other request) to this, and the library refuses larger files from imports too.
MEDIA_MAX_BYTES = 32 * 1024 * 1024
# The most pixels a picture may have (width x height), checked from its header before it is
# decoded: a 24-megapixel photo passes, a "decompression bomb" does not. Processing one picture
# takes about 11 bytes per pixel at its peak (measured: 24 MP, 250 MB; so 60 MP, about 650 MB).
MEDIA_MAX_PIXELS = 60_000_000
# The sizes made of each picture (width in pixels; "thumbnail" is a square crop), in AVIF (where
# Pillow supports it), WebP and JPEG/PNG, only those smaller than the original. Posts and themes
# name them: change the widths, not the names. New widths apply to pictures uploaded afterwards.
MEDIA_SIZES = {"thumbnail": 150, "medium": 768, "large": 1536}
