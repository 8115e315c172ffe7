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
COMMENT_FEED_SIZE = 20

# Flask-Limiter: memory storage by default; a Redis URL (redis://host:6379/0) shares the counts
# between worker processes. RATELIMIT_ENABLED=False switches it off for load tests.
RATELIMIT_ENABLED = True
RATELIMIT_STORAGE_URI = "memory://"
# Off: Flask-Limiter would put Retry-After on successful answers too. The comment views set
# Retry-After themselves, on 429 only, with the true wait.
RATELIMIT_HEADERS_ENABLED = False

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

# Signing in: this many failures for one username within the window lock it for the window.
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_MINUTES = 15
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
MAIL_RETRIES = 3
MAIL_RETRY_SECONDS = 5
MODERATION_LINK_DAYS = 7  # one-click Approve / Spam / Trash links in the emails
