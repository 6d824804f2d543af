"""Settings from the environment, one class per environment (``COURSESITE_ENV``)."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import ClassVar, overload

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
DEFAULT_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - the development key; production refuses to start with it
# How coursesite/learning/media.py hands out files (coursesite/storage.py keeps them): the app sends the file
# (development), nginx sends it after the app's check, or the browser is redirected to a presigned bucket URL.
MEDIA_DELIVERIES = ("send_file", "x-accel", "s3")


@overload
def _env(name: str) -> str | None: ...
@overload
def _env(name: str, default: str) -> str: ...
def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_count(name: str, default: int) -> int | str:
    """A whole number from the environment; anything else is kept as written for ``create_app`` to refuse by name."""
    value = _env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        return value


class Config:
    ENV_NAME = "development"
    SECRET_KEY = _env("SECRET_KEY", DEFAULT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'coursesite.db'}")
    SQLALCHEMY_RECORD_QUERIES = False
    BASE_URL = _env("BASE_URL", "http://127.0.0.1:5000")
    REDIS_URL = _env("REDIS_URL")
    MEDIA_ROOT = _env("MEDIA_ROOT", str(INSTANCE_DIR / "media"))
    MEDIA_DELIVERY = _env("MEDIA_DELIVERY", "send_file")  # one of MEDIA_DELIVERIES (create_app checks)
    # MEDIA_DELIVERY=s3 (coursesite/storage.py): the bucket, its endpoint (unset: AWS), region and keys (the usual
    # AWS_* variables serve when the MEDIA_S3_* ones are unset); presigned URLs expire after this many minutes.
    MEDIA_S3_BUCKET = _env("MEDIA_S3_BUCKET")
    MEDIA_S3_ENDPOINT_URL = _env("MEDIA_S3_ENDPOINT_URL")
    MEDIA_S3_REGION = _env("MEDIA_S3_REGION") or _env("AWS_DEFAULT_REGION")
    MEDIA_S3_ACCESS_KEY_ID = _env("MEDIA_S3_ACCESS_KEY_ID") or _env("AWS_ACCESS_KEY_ID")
    MEDIA_S3_SECRET_ACCESS_KEY = _env("MEDIA_S3_SECRET_ACCESS_KEY") or _env("AWS_SECRET_ACCESS_KEY")
    MEDIA_S3_URL_EXPIRY_MINUTES = _env_count("MEDIA_S3_URL_EXPIRY_MINUTES", 10)
    # Proxies in front of the app whose X-Forwarded-For/-Proto are believed (ProxyFix); 0: none, headers ignored.
    TRUSTED_PROXY_HOPS = _env_count("TRUSTED_PROXY_HOPS", 0)
    # Host names the site answers besides BASE_URL's (comma-separated; e.g. the internal name a load balancer's
    # health check sends): any other Host header gets a 400 (create_app turns this into Flask's list). Production
    # always checks; development and tests answer any host unless this is set.
    TRUSTED_HOSTS: str | list[str] | None = _env("TRUSTED_HOSTS")
    CONTENT_ROOT = _env("CONTENT_ROOT", str(PROJECT_ROOT / "content"))
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    STRIPE_SECRET_KEY = _env("STRIPE_SECRET_KEY")
    STRIPE_PUBLISHABLE_KEY = _env("STRIPE_PUBLISHABLE_KEY")
    STRIPE_WEBHOOK_SECRET = _env("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = _env("STRIPE_API_BASE")
    STRIPE_TIMEOUT_SECONDS = float(_env("STRIPE_TIMEOUT_SECONDS", "20"))
    STRIPE_MAX_NETWORK_RETRIES = int(_env("STRIPE_MAX_NETWORK_RETRIES", "2"))

    # Mail (coursesite/mail.py): SMTP when MAIL_SERVER is set; MAIL_OUTBOX also keeps a copy of every message.
    MAIL_SERVER: str | None = _env("MAIL_SERVER", "localhost")
    MAIL_PORT = int(_env("MAIL_PORT", "25"))
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = _env("MAIL_DEFAULT_SENDER", "Coursesite <no-reply@coursesite.test>")
    MAIL_USE_TLS = _env("MAIL_USE_TLS", "false").lower() == "true"  # implicit TLS from the first byte (port 465)
    MAIL_USE_STARTTLS = _env("MAIL_USE_STARTTLS", "false").lower() == "true"  # upgrade a plain connection (587)
    MAIL_TIMEOUT = 10
    MAIL_OUTBOX: str | None = None
    # Where learners' accommodation requests are mailed (a support mailbox); unset: every admin (view_reports).
    SUPPORT_EMAIL: str | None = _env("SUPPORT_EMAIL")
    LOG_LEVEL: str | None = _env("LOG_LEVEL")  # the level of the app's logger ("coursesite"); None: Flask's default
    # text | json: one handler for every logger, each line with the request id (coursesite/logs.py); None: Flask's.
    LOG_FORMAT: str | None = _env("LOG_FORMAT")

    # Background jobs (coursesite/jobs/, docs/jobs.md): Huey's queue in Redis when REDIS_URL is set, else in a SQLite
    # file of its own beside the app's database. JOBS_IMMEDIATE runs each job in the process that enqueued it, as
    # its transaction commits (the tests); JOBS_QUEUE_NAME keeps queues that share one Redis apart.
    JOBS_IMMEDIATE = False
    JOBS_REDIS_URL = REDIS_URL
    JOBS_SQLITE_PATH = _env("JOBS_SQLITE_PATH", str(INSTANCE_DIR / "jobs.db"))
    JOBS_QUEUE_NAME = _env("JOBS_QUEUE_NAME", "coursesite")
    JOBS_MAX_ATTEMPTS = 6  # then the job is failed: staff see it on /staff/jobs and retry it
    JOBS_RETRY_DELAY = timedelta(seconds=30)  # doubled after each failed attempt: 30 s, 1, 2, 4, 8 min
    JOBS_KEEP_DONE = timedelta(days=14)  # finished jobs (with a sent mail's copy) are deleted after this
    # Audit events keep the client's address this long, then lose it (the event itself stays).
    AUDIT_IP_RETENTION_DAYS = int(_env("AUDIT_IP_RETENTION_DAYS", "90"))
    # An account whose address was never confirmed is deleted (as account deletion does) after this many days.
    UNCONFIRMED_ACCOUNT_DAYS = int(_env("UNCONFIRMED_ACCOUNT_DAYS", "7"))
    # Attendance (coursesite/learning/progress.py): a progress report counts at most PROGRESS_MAX_RATE seconds of
    # media per second of wall clock since the learner's previous report, and accounts for at most
    # PROGRESS_REPORT_WINDOW seconds of wall clock; the endpoint's per-account rate limit.
    PROGRESS_MAX_RATE = float(_env("PROGRESS_MAX_RATE", "2.0"))
    PROGRESS_REPORT_WINDOW = 30.0
    PROGRESS_RATE_LIMIT = _env("PROGRESS_RATE_LIMIT", "30/minute;600/hour")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_DURATION = timedelta(days=30)  # also the server-side lifetime of a remembered login
    # The signed cookie of a browser that has logged in before (accounts/known_devices.py).
    KNOWN_DEVICE_COOKIE_NAME = "known_device"
    # A login without remember-me ends after this, however active (accounts/sessions.py); last_seen_at is written at
    # most once per touch interval, not on every request.
    LOGIN_SESSION_LIFETIME = timedelta(hours=12)
    LOGIN_SESSION_TOUCH_INTERVAL = timedelta(minutes=5)
    WTF_CSRF_TIME_LIMIT = None
    FORCE_HTTPS = False
    # Every key this site writes to Redis starts with this, so sites (or test runs) can share one server.
    REDIS_KEY_PREFIX = _env("REDIS_KEY_PREFIX", "coursesite:")
    # Fragments of public pages are cached per content revision (see coursesite/caching.py). With Redis down, pages
    # are rendered without the cache (caching.cached) and rate limits are counted in each process's memory until it
    # is back: slower and per process, never an error page.
    CACHE_TYPE = "RedisCache" if REDIS_URL else "SimpleCache"
    CACHE_REDIS_URL = REDIS_URL
    CACHE_KEY_PREFIX = f"{REDIS_KEY_PREFIX}cache:"
    # A hung Redis must not hang the page.
    CACHE_OPTIONS: ClassVar[dict[str, float]] = {"socket_connect_timeout": 1, "socket_timeout": 1} if REDIS_URL else {}
    CACHE_DEFAULT_TIMEOUT = 3600
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_STORAGE_OPTIONS: ClassVar[dict[str, float]] = (
        {"socket_connect_timeout": 1, "socket_timeout": 1} if REDIS_URL else {})
    RATELIMIT_KEY_PREFIX = f"{REDIS_KEY_PREFIX}limits"
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True


class DevelopmentConfig(Config):
    DEBUG = True
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    # A newcomer needs no mail server: every message lands in instance/outbox/ and the log.
    MAIL_SERVER = _env("MAIL_SERVER")
    MAIL_OUTBOX = _env("MAIL_OUTBOX", str(INSTANCE_DIR / "outbox"))
    # The app's own log at INFO on the console (`flask run` alone shows warnings only): the outbox's mail links.
    LOG_LEVEL = _env("LOG_LEVEL", "INFO")
    LOG_FORMAT = _env("LOG_FORMAT", "text")


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"  # noqa: S105 - the test suite's own key
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", "sqlite://")
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    # Tests never share state through Redis, whatever REDIS_URL says.
    REDIS_URL = None
    CACHE_TYPE = "SimpleCache"
    CACHE_REDIS_URL = None
    RATELIMIT_STORAGE_URI = "memory://"
    CACHE_OPTIONS: ClassVar[dict[str, float]] = {}
    RATELIMIT_STORAGE_OPTIONS: ClassVar[dict[str, float]] = {}
    # Tests that send mail point MAIL_SERVER at the loopback SMTP server of tests/mail_sink.py.
    MAIL_SERVER = None
    # Each job runs in the process that enqueued it, as its transaction commits, so a test reads the mail its request
    # caused; the tests of the queue itself (tests/jobs/) run a real consumer.
    JOBS_IMMEDIATE = True
    JOBS_REDIS_URL = None
    # pytest captures the log; an app made by a test leaves logging as Flask sets it up.
    LOG_LEVEL = None
    LOG_FORMAT = None


class ProductionConfig(Config):
    ENV_NAME = "production"
    FORCE_HTTPS = True
    # No media byte passes through Python outside development: nginx (x-accel) or the bucket (s3) sends it.
    MEDIA_DELIVERY = _env("MEDIA_DELIVERY", "x-accel")
    # gunicorn runs behind one TLS proxy (README, "Production").
    TRUSTED_PROXY_HOPS = _env_count("TRUSTED_PROXY_HOPS", 1)
    # The __Host- prefix: browsers accept these cookies only when Secure, for path "/" and without a Domain, so no
    # other host (a sibling subdomain, a plain-HTTP page) can set or overwrite them (OWASP session management).
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_NAME = "__Host-remember_token"
    KNOWN_DEVICE_COOKIE_NAME = "__Host-known_device"
    LOG_LEVEL = _env("LOG_LEVEL", "INFO")
    LOG_FORMAT = _env("LOG_FORMAT", "json")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(env_name: str | None) -> type[Config]:
    """The settings class for ``env_name`` (default: ``COURSESITE_ENV`` or development)."""
    name = env_name or _env("COURSESITE_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"COURSESITE_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
