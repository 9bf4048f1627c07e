"""The cooperative governance portal."""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from governance.config import check_settings, default_settings


def create_app(config: Mapping | None = None) -> Flask:
    """Build the application: defaults, then the environment, then ``config``. Touches no database."""
    instance_path = os.environ.get("GOVERNANCE_INSTANCE_PATH") or str(Path(__file__).resolve().parent.parent / "instance")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.update(default_settings(instance_path))
    if config:
        app.config.update(config)
    check_settings(app.config)
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from governance.accounts.sessions import init_sessions
    from governance.core.database import init_database
    from governance.core.errors import register_error_handlers
    from governance.core.i18n import select_locale, select_timezone
    from governance.core.security import init_security
    from governance.core.templating import init_templating
    from governance.extensions import babel, csrf, limiter, login_manager, migrate, db

    _import_models()
    init_database(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.session_protection = None  # sessions are bound by the session version instead
    init_sessions(app)
    init_security(app)
    init_templating(app)
    register_error_handlers(app)

    @app.teardown_request
    def rollback_unfinished(exc):
        # one commit per request: anything not committed by the view is rolled back
        if exc is not None:
            db.session.rollback()


def _import_models() -> None:
    """Every model, so that metadata (and Alembic) know the whole schema."""
    import governance.accounts.models  # noqa: F401
    import governance.assemblies.models  # noqa: F401
    import governance.core.audit  # noqa: F401
    import governance.core.outbox  # noqa: F401
    import governance.elections.models  # noqa: F401
    import governance.members.models  # noqa: F401
    import governance.notifications.models  # noqa: F401
    import governance.proposals.models  # noqa: F401
    import governance.search.models  # noqa: F401  (turns indexing on)
    import governance.votes.models  # noqa: F401
    import governance.votes.paper  # noqa: F401  (registers the paper ballots' close check and after-close hook)
    import governance.workgroups.models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from governance.accounts.views import bp as accounts_bp
    from governance.assemblies.views import bp as assemblies_bp
    from governance.assemblies.session_views import bp as assembly_session_bp
    from governance.core.views import bp as core_bp
    from governance.elections.views import bp as elections_bp
    from governance.members.views import bp as members_bp
    from governance.notifications.views import bp as notifications_bp
    from governance.proposals.views import bp as proposals_bp
    from governance.search.views import bp as search_bp
    from governance.votes.paper_views import bp as ballot_paper_bp
    from governance.votes.views import bp as votes_bp
    from governance.workgroups.views import bp as workgroups_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp, url_prefix="/account")
    app.register_blueprint(members_bp, url_prefix="/register")
    app.register_blueprint(notifications_bp, url_prefix="/notifications")
    app.register_blueprint(workgroups_bp, url_prefix="/workgroups")
    app.register_blueprint(proposals_bp, url_prefix="/workgroups")
    app.register_blueprint(search_bp)
    app.register_blueprint(votes_bp, url_prefix="/ballots")
    app.register_blueprint(assemblies_bp, url_prefix="/assemblies")
    app.register_blueprint(assembly_session_bp, url_prefix="/assemblies")
    app.register_blueprint(elections_bp, url_prefix="/boards")
    app.register_blueprint(ballot_paper_bp, url_prefix="/ballots")

    from governance.members import home as members_home
    from governance.notifications import home as notifications_home
    from governance.votes import home as votes_home
    from governance.workgroups import home as workgroups_home

    members_home.register(app)
    notifications_home.register(app)
    votes_home.register(app)
    workgroups_home.register(app)


def _register_cli(app: Flask) -> None:
    from governance.cli import governance_cli

    app.cli.add_command(governance_cli)
