import pytest

from governance import create_app
from governance.config import ConfigError, normalise_database_url


def test_plain_postgresql_url_uses_psycopg3():
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_database_url_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://someone@db.example/coop")
    monkeypatch.setenv("GOVERNANCE_INSTANCE_PATH", str(tmp_path))
    app = create_app({"GOVERNANCE_ENV": "testing"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://someone@db.example/coop"


def test_default_database_is_sqlite_under_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("GOVERNANCE_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'governance.db'}"


@pytest.mark.parametrize("key", [None, "", "dev", "changeme", "short-key"])
def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch, tmp_path, key):
    monkeypatch.setenv("GOVERNANCE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("GOVERNANCE_ENV", "production")
    if key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigError):
        create_app()


def test_production_config_has_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVERNANCE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("GOVERNANCE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["MAIL_BACKEND"] == "smtp"
    assert not app.debug


def test_explicit_config_overrides_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVERNANCE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    app = create_app({"TRUSTED_PROXIES": 1})
    assert app.config["TRUSTED_PROXIES"] == 1


def test_invalid_integer_setting_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVERNANCE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("MAIL_PORT", "twenty-five")
    with pytest.raises(ConfigError, match="MAIL_PORT"):
        create_app()


def test_create_app_touches_no_database(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVERNANCE_INSTANCE_PATH", str(tmp_path))
    create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'never.db'}"})
    assert not (tmp_path / "never.db").exists()
