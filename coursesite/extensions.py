"""Flask extensions, instantiated once here and bound to the app in ``create_app``."""
from flask import request
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf import CSRFProtect
from flask_wtf.csrf import CSRFError
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from coursesite.redirects import split_url

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see that page."
login_manager.login_message_category = "info"


class GuardedCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRF protection, with one fault mended: over HTTPS its strict referrer check parses the
    ``Referer`` unguarded, so a header that is no URL (``http://[::1/x``) raised ValueError, a 500 on every form.
    Such a header is refused like a foreign one: a CSRFError, answered by the site's "form expired" 400 page."""

    def protect(self, apply_exemptions: bool = False) -> None:
        try:
            super().protect(apply_exemptions)
        except ValueError:
            if split_url(request.referrer) is not None:
                raise
            raise CSRFError("The referrer does not match the host.") from None


csrf = GuardedCSRFProtect()
limiter = Limiter(key_func=get_remote_address)
cache = Cache()
talisman = Talisman()


def account_rate_limit_key() -> str:
    """Rate-limit key for forms of logged-in people: their account (several people may share an office's address),
    or the address for a visitor."""
    return f"user:{current_user.id}" if current_user.is_authenticated else f"address:{get_remote_address()}"
