"""ASVS V13.4.2 / V16.5.1 (row 24): debug off and generic errors under the production settings. An exception in a
view, a database error holding SQL, gives the generic 500 page: no traceback, no SQL, no exception text, no
Werkzeug debugger (and production refuses to start with DEBUG on). The log line of the error names the route, not
the path, so an emailed token in the path never reaches the log, nor do control characters that would forge
lines (V16.4.1). (The testing configuration's 500 page: tests/core/test_pages.py::test_500_page_hides_the_traceback.)"""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from governance import create_app
from governance.config import ConfigError

LEAKS = ("Traceback", "RuntimeError", "OperationalError", "ProgrammingError", "SELECT", "no_such_table",
         "secret internal detail", "werkzeug", "Werkzeug", "__debugger__", "Debugger", "sqlalchemy", "File \"")


def test_a_failing_view_gives_the_generic_page_in_production(production):
    from governance.extensions import db

    def broken():
        raise RuntimeError("secret internal detail")

    def broken_sql():
        db.session.execute(text("SELECT secret_column FROM no_such_table WHERE pin = 'secret internal detail'"))

    production.add_url_rule("/_broken", "broken", broken)
    production.add_url_rule("/_broken_sql", "broken_sql", broken_sql)
    client = production.test_client()
    for path in ("/_broken", "/_broken_sql"):
        response = client.get(path, base_url="https://portal.example")
        assert response.status_code == 500
        page = response.get_data(as_text=True)
        assert "Something went wrong" in page
        assert not [leak for leak in LEAKS if leak in page], path
        assert response.headers["Content-Type"].startswith("text/html")


def test_no_debugger_in_production(production):
    assert production.debug is False and not production.config.get("PROPAGATE_EXCEPTIONS")
    response = production.test_client().get("/?__debugger__=yes&cmd=resource&f=debugger.js",
                                            base_url="https://portal.example")
    # the portal's home page, not the debugger's script
    assert response.mimetype == "text/html" and "Werkzeug" not in response.get_data(as_text=True)
    assert "Cooperative governance portal" in response.get_data(as_text=True)


def test_production_refuses_to_start_with_debug_on(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVERNANCE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("GOVERNANCE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigError, match="DEBUG"):
        create_app()
    monkeypatch.delenv("FLASK_DEBUG")
    with pytest.raises(ConfigError, match="DEBUG"):
        create_app({"DEBUG": True})


def test_a_host_cookie_must_keep_its_rules(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVERNANCE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("GOVERNANCE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    assert create_app().config["SESSION_COOKIE_NAME"].startswith("__Host-")
    for override in ({"SESSION_COOKIE_DOMAIN": "coop.example"}, {"SESSION_COOKIE_PATH": "/portal"}):
        with pytest.raises(ConfigError, match="__Host-"):
            create_app(override)


def test_the_error_log_names_the_route_never_the_path(app, client, db, monkeypatch, caplog):
    from governance.accounts import operations as ops

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(ops, "find_usable_token", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    token = "Sm9rZW5UaGF0TXVzdE5vdEJlTG9nZ2Vk"
    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/account/password/reset/{token}%0AFORGED%20line%20at%20INFO")
    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.getMessage().startswith("Unhandled error")]
    message = record.getMessage()
    assert "/account/password/reset/<token>" in message and "accounts.reset_password" in message
    assert token not in caplog.text and "FORGED" not in caplog.text
    assert "\n" not in message
