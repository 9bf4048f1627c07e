"""Settings, read from environment variables.

Order of precedence (lowest first): the defaults below, the environment, then the mapping passed to
``create_app(config=...)``. A production configuration refuses to start without a real SECRET_KEY.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS_DIR = PROJECT_ROOT / "translations"

#: interface languages with a complete catalog
LANGUAGES = ("nl", "fr", "en", "de")

#: the role names of governance.accounts.models.Role (TOTP_REQUIRED_ROLES is checked against them)
_ROLES = {"admin", "secretary", "board_member", "facilitator"}
_WEAK_SECRETS = {"", "dev", "changeme", "change-me", "secret", "development-only-secret-key"}
DEV_SECRET_KEY = "development-only-secret-key"


class ConfigError(RuntimeError):
    """The configuration cannot be used (raised at start-up, never at request time)."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {value!r}") from exc


def normalise_database_url(url: str) -> str:
    """A plain ``postgresql://`` (or ``postgres://``) URL is read as psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def default_settings(instance_path: str) -> dict:
    """Defaults, overridden by the environment."""
    env = os.environ.get("GOVERNANCE_ENV", "development").strip().lower()
    production = env == "production"
    sqlite_path = Path(instance_path) / "governance.db"
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{sqlite_path}"
    redis_url = os.environ.get("REDIS_URL", "")
    return {
        "GOVERNANCE_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "" if production else DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ECHO": _env_bool("SQLALCHEMY_ECHO", False),
        # i18n
        "LANGUAGES": LANGUAGES,
        "BABEL_DEFAULT_LOCALE": os.environ.get("DEFAULT_LANGUAGE", "en"),
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("DEFAULT_TIMEZONE", "Europe/Brussels"),
        "BABEL_TRANSLATION_DIRECTORIES": str(TRANSLATIONS_DIR),
        # sessions and cookies
        # production: the __Host- prefix makes browsers refuse the cookie unless it is Secure, for the whole
        # site (Path=/) and for this host only (no Domain), so a neighbouring subdomain cannot plant or read it
        "SESSION_COOKIE_NAME": "__Host-governance_session" if production else "governance_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        #: a signed-in session ends after this long without a request …
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=_env_int("SESSION_IDLE_MINUTES", 120)),
        #: … and after this long in any case (long enough for a whole general assembly)
        "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=_env_int("SESSION_ABSOLUTE_HOURS", 14)),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_env_int("SESSION_ABSOLUTE_HOURS", 14)),
        # forms
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": 3600 * 14,
        "MAX_CONTENT_LENGTH": _env_int("MAX_UPLOAD_MB", 20) * 1024 * 1024,
        #: largest register export accepted by the upload page (the command line has no limit)
        "REGISTER_IMPORT_MAX_BYTES": _env_int("REGISTER_IMPORT_MAX_MB", 15) * 1024 * 1024,
        # proxies and rate limits
        "TRUSTED_PROXIES": _env_int("TRUSTED_PROXIES", 0),
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_STRATEGY": "moving-window",
        # email
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "smtp" if production else "file"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": _env_int("MAIL_PORT", 25),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _env_bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _env_bool("MAIL_USE_SSL", False),
        "MAIL_TIMEOUT": _env_int("MAIL_TIMEOUT", 30),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "portal@governance.invalid"),
        "MAIL_FILE_DIR": os.environ.get("MAIL_FILE_DIR", str(Path(instance_path) / "outbox")),
        "MAIL_MAX_ATTEMPTS": _env_int("MAIL_MAX_ATTEMPTS", 8),
        "MAIL_RETRY_BASE_SECONDS": _env_int("MAIL_RETRY_BASE_SECONDS", 60),
        "MAIL_BATCH_SIZE": _env_int("MAIL_BATCH_SIZE", 200),
        "SERVER_NAME_FOR_EMAIL": os.environ.get("PORTAL_URL", "http://127.0.0.1:5000"),
        #: supports that make a proposal ready for a vote (unset: a facilitator decides)
        "PROPOSAL_SUPPORT_THRESHOLD": _env_int("PROPOSAL_SUPPORT_THRESHOLD", 0) or None,
        #: general assemblies: full days of notice by default (an assembly may set its own; a mapping
        #: ASSEMBLY_NOTICE_DAYS_BY_BRANCH {"BE": 15} overrides it per branch), and the largest document accepted
        "ASSEMBLY_NOTICE_DAYS": _env_int("ASSEMBLY_NOTICE_DAYS", 15),
        "ASSEMBLY_DOCUMENT_MAX_BYTES": _env_int("ASSEMBLY_DOCUMENT_MAX_MB", 10) * 1024 * 1024,
        #: convocation letters in one PDF downloaded from the "letters to print" page
        "ASSEMBLY_LETTERS_PER_PDF": _env_int("ASSEMBLY_LETTERS_PER_PDF", 1000),
        #: roles that must use a second factor (TOTP), comma-separated; production can add roles (board_member,
        #: facilitator), never remove admin and secretary
        "TOTP_REQUIRED_ROLES": tuple(role.strip() for role in os.environ.get(
            "TOTP_REQUIRED_ROLES", "admin,secretary").split(",") if role.strip()),
        # shown to readers so that a rewritten audit chain can be noticed from outside
        "SHOW_AUDIT_HASH": True,
        # demo accounts are listed on the sign-in page in development only
        "SHOW_DEMO_ACCOUNTS": env == "development",
    }


def check_settings(config) -> None:
    """Refuse settings that would be unsafe or unusable."""
    if config["GOVERNANCE_ENV"] not in {"development", "testing", "production"}:
        raise ConfigError("GOVERNANCE_ENV must be development, testing or production")
    if config["GOVERNANCE_ENV"] == "production":
        key = config.get("SECRET_KEY") or ""
        if key in _WEAK_SECRETS or len(key) < 32:
            raise ConfigError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if not config.get("SESSION_COOKIE_SECURE"):
            raise ConfigError("SESSION_COOKIE_SECURE cannot be disabled in production")
        if config.get("DEBUG"):
            # the debugger runs code sent by whoever sees an error page (FLASK_DEBUG=1 turns it on)
            raise ConfigError("DEBUG (FLASK_DEBUG) cannot be on in production")
    if str(config.get("SESSION_COOKIE_NAME", "")).startswith("__Host-") and (
            not config.get("SESSION_COOKIE_SECURE") or config.get("SESSION_COOKIE_DOMAIN")
            or (config.get("SESSION_COOKIE_PATH") or config.get("APPLICATION_ROOT") or "/") != "/"):
        raise ConfigError("a __Host- session cookie must be Secure, without a Domain, with Path=/")
    unknown = set(config.get("TOTP_REQUIRED_ROLES") or ()) - _ROLES
    if unknown:
        raise ConfigError(f"TOTP_REQUIRED_ROLES names unknown roles: {', '.join(sorted(unknown))} "
                          f"(roles: {', '.join(sorted(_ROLES))})")
    if config["TRUSTED_PROXIES"] < 0:
        raise ConfigError("TRUSTED_PROXIES cannot be negative")
