"""coursesite: continuing education for psychologists and psychotherapists."""
from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from werkzeug.middleware.proxy_fix import ProxyFix

from coursesite.config import DEFAULT_SECRET_KEY, MEDIA_DELIVERIES, PROJECT_ROOT, config_for
from coursesite.extensions import cache, csrf, db, limiter, login_manager, migrate, talisman

# A strict policy: no inline scripts or styles anywhere, nothing from other origins.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "media-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    # Buying redirects the checkout form's POST to Stripe's hosted page, which form-action also governs.
    "form-action": "'self' https://checkout.stripe.com",
    "frame-ancestors": "'none'",
}


def create_app(config_name: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.from_object(config_for(config_name))
    app.config.update(overrides or {})
    check_secret_key(app)
    from coursesite.billing.gateway import check_payment_settings  # like every feature package, loaded with the app

    check_payment_settings(app)
    check_media_settings(app)
    check_proxy_settings(app)
    configure_trusted_hosts(app)
    Path(app.instance_path).mkdir(exist_ok=True)
    register_logging(app)
    register_proxy_fix(app)
    register_media_store(app)
    register_extensions(app)
    register_models()
    register_jobs(app)
    register_hook_receivers()
    register_sqlite_pragmas()
    register_blueprints(app)
    register_content_sections(app)
    register_account_data(app)
    register_landing_pages(app)
    register_catalogue_parts(app)
    register_organization_parts(app)
    register_template_helpers(app)
    register_static_files(app)
    register_response_policies(app)
    register_errorhandlers(app)
    register_cli(app)
    return app


MIN_SECRET_KEY_LENGTH = 32


def check_secret_key(app: Flask) -> None:
    """In production, SECRET_KEY (which signs sessions, mailed links and test-mode events) must be long and random."""
    if app.config["ENV_NAME"] != "production":
        return
    secret = app.config["SECRET_KEY"]
    if secret in (None, "", DEFAULT_SECRET_KEY):
        raise RuntimeError("SECRET_KEY must be set to a long random value in production")
    if len(secret) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters long in production "
                           f"(it has {len(secret)}); generate one with: python -c 'import secrets; "
                           f"print(secrets.token_urlsafe(48))'")


def check_media_settings(app: Flask) -> None:
    """How coursesite/learning/media.py hands files out: a value it does not know would fail on every file, s3
    without its bucket settings on the first one, and outside development no media byte passes through Python."""
    from coursesite.storage import s3_settings_problems

    delivery = app.config["MEDIA_DELIVERY"]
    allowed = " or ".join(repr(choice) for choice in MEDIA_DELIVERIES)
    if delivery not in MEDIA_DELIVERIES:
        raise RuntimeError(f"MEDIA_DELIVERY must be {allowed}, not {delivery!r}")
    if delivery == "send_file" and app.config["ENV_NAME"] == "production":
        raise RuntimeError("MEDIA_DELIVERY='send_file' is for development: in production use 'x-accel' (nginx "
                           "sends the files) or 's3' (a bucket does), so no media byte passes through the app")
    if delivery == "s3":
        count = app.config["MEDIA_S3_URL_EXPIRY_MINUTES"]
        with suppress(ValueError, TypeError):  # left as written, refused below by name
            app.config["MEDIA_S3_URL_EXPIRY_MINUTES"] = int(count) if isinstance(count, str) else count
        problems = s3_settings_problems(app.config)
        if problems:
            raise RuntimeError("MEDIA_DELIVERY='s3' needs its bucket settings (README, Configuration): "
                               + "; ".join(problems))


def check_proxy_settings(app: Flask) -> None:
    """``TRUSTED_PROXY_HOPS`` (a whole number >= 0, from the environment or overrides) is stored as an int."""
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if isinstance(hops, str):
        with suppress(ValueError):  # left a string, refused below by name
            hops = int(hops)
    if isinstance(hops, bool) or not isinstance(hops, int) or hops < 0:
        raise RuntimeError(f"TRUSTED_PROXY_HOPS must be a whole number >= 0 (the proxies in front of the app "
                           f"that set X-Forwarded-For and X-Forwarded-Proto; 0 for none), not {hops!r}")
    app.config["TRUSTED_PROXY_HOPS"] = hops


# Names of this machine: a site whose BASE_URL is one of them (development, tests) answers to all of them.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


def configure_trusted_hosts(app: Flask) -> None:
    """Flask's ``TRUSTED_HOSTS``: BASE_URL's host, the loopback names with it when it is one, and the hosts of the
    ``TRUSTED_HOSTS`` setting (a comma-separated string from the environment, or a list). A request for any other
    Host is answered 400 before anything reads the host, so neither the HTTPS redirect nor a page echoes it.
    Development and tests leave every host open unless the setting lists some."""
    listed = app.config["TRUSTED_HOSTS"] or []
    if isinstance(listed, str):
        listed = [host.strip() for host in listed.split(",") if host.strip()]
    if not listed and app.config["ENV_NAME"] != "production":
        app.config["TRUSTED_HOSTS"] = None
        return
    base_host = urlsplit(app.config["BASE_URL"]).hostname or ""
    hosts = [base_host, *(LOOPBACK_HOSTS if base_host in LOOPBACK_HOSTS else ()), *listed]
    app.config["TRUSTED_HOSTS"] = list(dict.fromkeys(host for host in hosts if host))


def register_logging(app: Flask) -> None:
    """``LOG_LEVEL`` for the app's logger, whose children are every package's ``logging.getLogger(__name__)``;
    ``LOG_FORMAT`` for every log line, each with the request id (coursesite/logs.py, coursesite/request_id.py)."""
    from coursesite import logs, request_id

    logs.configure(app)
    request_id.init_app(app)


def register_proxy_fix(app: Flask) -> None:
    """Behind ``TRUSTED_PROXY_HOPS`` proxies, take the client's address and scheme from their X-Forwarded-* headers,
    so per-address rate limits and the audit log see the client rather than the proxy. With 0 the headers are ignored
    (anyone can write them)."""
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        # Flask's documented way to wrap its WSGI callable in middleware; mypy sees a method being replaced.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    from coursesite.accounts import sessions

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.user_loader(sessions.load_user)
    csrf.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)
    production = app.config["ENV_NAME"] == "production"
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=production,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=content_security_policy(app),
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
    )


def register_media_store(app: Flask) -> None:
    """Where stored files live (coursesite/storage.py): MEDIA_ROOT, or the bucket when MEDIA_DELIVERY=s3."""
    from coursesite import storage

    storage.init_app(app)


def content_security_policy(app: Flask) -> dict[str, str]:
    """CONTENT_SECURITY_POLICY, with the media bucket's origin for media, captions and photos when MEDIA_DELIVERY=s3
    (the media routes redirect there)."""
    from coursesite.storage import S3MediaStore

    bucket = app.extensions["media_store"]
    if not isinstance(bucket, S3MediaStore):
        return CONTENT_SECURITY_POLICY
    origin = bucket.origin()
    policy = dict(CONTENT_SECURITY_POLICY)
    for directive in ("img-src", "media-src"):
        policy[directive] = f"{policy[directive]} {origin}"
    return policy


def register_models() -> None:
    """Import every package's models so the metadata (and Alembic) sees all tables, and have changes to
    catalogue content invalidate the page caches."""
    from coursesite import caching

    caching.register_invalidation()
    from coursesite.accounts import models as _accounts  # noqa: F401
    from coursesite.assessment import models as _assessment  # noqa: F401
    from coursesite.billing import models as _billing  # noqa: F401
    from coursesite.catalog import models as _catalog  # noqa: F401
    from coursesite.certificates import models as _certificates  # noqa: F401
    from coursesite.jobs import models as _jobs  # noqa: F401
    from coursesite.learning import models as _learning  # noqa: F401
    from coursesite.learning import search_models as _search  # noqa: F401
    from coursesite.organizations import models as _organizations  # noqa: F401


def register_jobs(app: Flask) -> None:
    """The job queue (coursesite/jobs), and every package's tasks and scheduled tasks, so a consumer built from this
    app knows them all: mail's delivery, the renewal reminders and the clean-ups."""
    from coursesite import jobs
    from coursesite import mail as _mail  # noqa: F401
    from coursesite.accounts import tasks as _accounts_tasks  # noqa: F401
    from coursesite.billing import tasks as _billing_tasks  # noqa: F401

    jobs.init_app(app)


def register_hook_receivers() -> None:
    """Connect receivers to other packages' hooks (blinker keeps one connection per receiver, however many apps)."""
    from coursesite.certificates.hooks import connect_assessment_hooks
    from coursesite.organizations.hooks import connect_billing_hooks

    connect_billing_hooks()
    connect_assessment_hooks()


def set_sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection (other databases are left alone)."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def register_sqlite_pragmas() -> None:
    if not event.contains(Engine, "connect", set_sqlite_pragmas):
        event.listen(Engine, "connect", set_sqlite_pragmas)


def register_blueprints(app: Flask) -> None:
    from coursesite.accounts.views import account, auth
    from coursesite.assessment import evaluation_views as _evaluation_views  # noqa: F401 - routes on assessment_bp
    from coursesite.assessment import views as _assessment_views  # noqa: F401 (routes on assessment_bp)
    from coursesite.assessment.blueprint import bp as assessment_bp
    from coursesite.billing.views import bp as billing_bp
    from coursesite.catalog.views import bp as catalog_bp
    from coursesite.certificates.views import bp as certificates_bp
    from coursesite.health import bp as health_bp
    from coursesite.learning.media import bp as media_bp
    from coursesite.learning.notes_views import bp as notes_bp
    from coursesite.learning.progress_views import bp as progress_bp
    from coursesite.learning.reading_views import bp as reading_bp
    from coursesite.learning.search_views import bp as search_bp
    from coursesite.learning.views import bp as learning_bp
    from coursesite.organizations.views import bp as organizations_bp
    from coursesite.staff.accommodations import bp as staff_accommodations_bp
    from coursesite.staff.attempts import bp as staff_attempts_bp
    from coursesite.staff.certificates import bp as staff_certificates_bp
    from coursesite.staff.evaluations import bp as staff_evaluations_bp
    from coursesite.staff.records import bp as staff_records_bp
    from coursesite.staff.views import bp as staff_bp

    app.register_blueprint(auth)
    app.register_blueprint(account)
    app.register_blueprint(assessment_bp)
    app.register_blueprint(billing_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(learning_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(progress_bp)
    app.register_blueprint(notes_bp)
    app.register_blueprint(reading_bp)
    app.register_blueprint(organizations_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(staff_certificates_bp)
    app.register_blueprint(staff_attempts_bp)
    app.register_blueprint(staff_accommodations_bp)
    app.register_blueprint(staff_evaluations_bp)
    app.register_blueprint(staff_records_bp)


def register_content_sections(app: Flask) -> None:
    """Parts of a module's files that other packages own; the catalogue's importer calls them in this order."""
    from coursesite.assessment.content import QUIZ_SECTION
    from coursesite.billing.content import PRICES_SECTION
    from coursesite.learning.search import SEARCH_SECTION

    # The search index last: it indexes what the sections before it wrote (coursesite/learning/search.py).
    app.extensions["content_sections"] = [PRICES_SECTION, QUIZ_SECTION, SEARCH_SECTION]


def register_landing_pages(app: Flask) -> None:
    """Where a login without a ``next`` page lands (coursesite/accounts/landing.py): the first package with a page
    for the person wins, so staff pages before an organisation to run, before "My learning" (which everyone has)."""
    from coursesite.learning.views import learning_landing_page
    from coursesite.organizations.views import organization_landing_page
    from coursesite.staff.views import staff_landing_page

    app.extensions["landing_pages"] = [staff_landing_page, organization_landing_page, learning_landing_page]


def register_account_data(app: Flask) -> None:
    """What each package keeps about a person, for the data download and account deletion.

    See coursesite/accounts/personal_data.py: a package with personal data adds its AccountDataPart here.
    """
    from coursesite.accounts.personal_data import ACCOUNT_DATA
    from coursesite.assessment.personal_data import ASSESSMENT_DATA
    from coursesite.billing.personal_data import BILLING_DATA
    from coursesite.certificates.personal_data import CERTIFICATES_DATA
    from coursesite.learning.notes import NOTES_DATA
    from coursesite.learning.progress_data import ATTENDANCE_DATA
    from coursesite.organizations.personal_data import ORGANIZATIONS_DATA

    app.extensions["account_data"] = [ACCOUNT_DATA, BILLING_DATA, ORGANIZATIONS_DATA, CERTIFICATES_DATA, NOTES_DATA,
                                     ASSESSMENT_DATA, ATTENDANCE_DATA]


def register_catalogue_parts(app: Flask) -> None:
    """What packages above the catalogue add to its pages, in this order (see coursesite/catalog/views.py):

    - ``module_page_parts`` (``ModulePagePart``, ``(module) -> dict``): plain data for a module page's cached body,
      content only;
    - ``module_viewer_parts`` (``ModuleViewerPart``, ``(module on page, user or None) -> {place: html}``): what the
      person looking sees around that body (their access), rendered on every view;
    - ``module_card_parts`` (``ModuleCardPart``, ``(module ids) -> {id: line}``): a line on each module card of the
      cached lists, one query per list.
    """
    from coursesite.billing.module_page import module_for_viewer, prices_from
    from coursesite.billing.services import module_prices
    from coursesite.learning.module_home import learning_page_part, module_for_learner

    app.extensions["module_page_parts"] = [module_prices, learning_page_part]
    app.extensions["module_viewer_parts"] = [module_for_viewer, module_for_learner]
    app.extensions["module_card_parts"] = [prices_from]


def register_organization_parts(app: Flask) -> None:
    """Columns of an organisation's dashboard that packages above organizations supply
    (``organization_member_columns``, see coursesite/organizations/progress.py): each a callable ``(user ids,
    module id) -> (heading, {user id: html})``, a status per seated member (the test; the certificate), never answers
    or evaluations."""
    from coursesite.assessment.member_status import test_column
    from coursesite.certificates.member_status import certificate_column

    app.extensions["organization_member_columns"] = [test_column, certificate_column]


def register_template_helpers(app: Flask) -> None:
    from coursesite import permissions, templating

    templating.init_app(app)
    app.add_template_global(permissions.can)


def register_static_files(app: Flask) -> None:
    """Links to static files carry a hash of the content (coursesite/static_files.py), so they are cached a year."""
    from coursesite import static_files

    static_files.init_app(app)


def register_response_policies(app: Flask) -> None:
    """Rules every response follows, whichever package answered it."""
    from coursesite import permissions

    app.after_request(permissions.keep_private_responses_out_of_caches)


def register_errorhandlers(app: Flask) -> None:
    from coursesite import errors

    errors.init_app(app)


def register_cli(app: Flask) -> None:
    from coursesite.cli import register_commands

    register_commands(app)
