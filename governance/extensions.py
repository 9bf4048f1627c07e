"""Extensions, created once and bound to the application in ``create_app``."""
from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from governance.core.db_types import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()


def rate_limit_key() -> str:
    """Per account when signed in (so a venue behind one address is not throttled as one), else per address."""
    if current_user and current_user.is_authenticated:
        return f"account:{current_user.id}"
    return f"addr:{request.remote_addr or 'unknown'}"


limiter = Limiter(key_func=rate_limit_key, default_limits=[])
