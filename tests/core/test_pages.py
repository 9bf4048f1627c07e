"""Home page, locale selection, language switcher, error pages, headers and CSRF."""
import pytest
from flask_babel import format_date
import datetime as dt


def test_home_page_lists_branches_with_active_members(client, create_branch, create_member):
    be = create_branch("BE")
    create_member(branch=be)
    create_member(branch=be, status="resigned")
    response = client.get("/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<html lang=\"en\">" in page
    assert "Belgium" in page
    assert page.count("<h1>") == 1


@pytest.mark.parametrize("header,lang,text", [
    ("nl-BE,nl;q=0.9", "nl", "Aanmelden"),
    ("fr-BE,fr;q=0.9,en;q=0.5", "fr", "Se connecter"),
    ("de-AT,de;q=0.9", "de", "Anmelden"),
    ("it-IT,it;q=0.9", "en", "Sign in"),
])
def test_locale_from_accept_language(client, header, lang, text):
    page = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert text in page


def test_switcher_sets_the_session_language_over_accept_language(client):
    response = client.post("/language", data={"language": "fr", "next": "/account/sign-in"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/sign-in"
    page = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="fr">' in page


def test_switcher_refuses_unknown_language_and_foreign_redirect(client):
    assert client.post("/language", data={"language": "xx"}).status_code == 400
    response = client.post("/language", data={"language": "nl", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_account_language_wins_and_switcher_updates_it(client, create_account, sign_in, db):
    account = create_account(language="de")
    sign_in(account)
    page = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="de">' in page
    client.post("/language", data={"language": "nl"})
    db.session.refresh(account)
    assert account.language == "nl"
    assert '<html lang="nl">' in client.get("/").get_data(as_text=True)


def test_dates_are_formatted_for_the_reader(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert format_date(dt.date(2026, 3, 1), "long") == "1 mars 2026"
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert format_date(dt.date(2026, 3, 1), "long") == "1. März 2026"


@pytest.mark.parametrize("lang,title", [("en", "Page not found"), ("nl", "Pagina niet gevonden"),
                                        ("fr", "Page introuvable"), ("de", "Seite nicht gefunden")])
def test_404_page_is_translated(client, lang, title):
    response = client.get("/no-such-page", headers={"Accept-Language": lang})
    assert response.status_code == 404
    assert title in response.get_data(as_text=True)


def test_405_page(client):
    response = client.get("/language")
    assert response.status_code == 405
    assert "Method not allowed" in response.get_data(as_text=True)


def test_500_page_hides_the_traceback(app, client, monkeypatch):

    def broken():
        raise RuntimeError("secret internal detail")

    monkeypatch.setitem(app.view_functions, "core.healthz", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/healthz")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page
    assert "secret internal detail" not in page and "Traceback" not in page


def test_csrf_missing_token_is_rejected_with_a_translated_page(client):
    response = client.post("/language", data={"language": "fr"}, csrf=False, headers={"Accept-Language": "nl"})
    assert response.status_code == 400
    assert "Je formulier was verlopen" in response.get_data(as_text=True)


def test_security_headers_on_pages_errors_and_static(client):
    for path in ("/", "/no-such-page", "/static/core/css/portal.css", "/healthz"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        response.close()


def test_signed_in_pages_are_not_stored(client, create_account, sign_in):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    sign_in(create_account())
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_trusted_proxy_count_sets_client_address(database_url, tmp_path):
    from flask import request

    from governance import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(database_url, tmp_path, TRUSTED_PROXIES=1))

    @app.route("/_addr")
    def addr():
        return request.remote_addr or ""

    client = app.test_client()
    headers = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}
    assert client.get("/_addr", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"}).data == b"198.51.100.7"
    app0 = create_app(make_settings(database_url, tmp_path, TRUSTED_PROXIES=0))
    app0.add_url_rule("/_addr", "addr", addr)
    assert app0.test_client().get("/_addr", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"}).data == b"10.0.0.2"


@pytest.mark.parametrize("code,lang,title", [(403, "nl", "Geen toegang"), (403, "en", "Access denied"),
                                             (429, "fr", "Trop de requêtes"), (400, "de", "Ungültige Anfrage"),
                                             (500, "de", "Etwas ist schiefgelaufen")])
def test_error_pages_are_translated(app, db, code, lang, title):
    from governance.core.errors import render_error

    with app.test_request_context(headers={"Accept-Language": lang}):
        body, status = render_error(code)
    assert status == code and title in body and f'lang="{lang}"' in body


def test_too_many_sign_in_attempts_get_the_429_page(client):
    for _ in range(10):
        assert client.post("/account/sign-in", data={"email": "x@example.org", "password": "wrong-password"}).status_code == 401
    response = client.post("/account/sign-in", data={"email": "x@example.org", "password": "wrong-password"},
                           headers={"Accept-Language": "nl"})
    assert response.status_code == 429
    assert "Te veel verzoeken" in response.get_data(as_text=True)


def test_domain_errors_become_4xx_pages(app, db):
    from governance.core.errors import NotAllowed

    with app.test_request_context(headers={"Accept-Language": "fr"}):
        handler = app.error_handler_spec[None][None][NotAllowed.__mro__[1]]
        body, status = handler(NotAllowed())
    assert status == 403 and "autorisé" in body


def test_too_large_request_gets_the_413_page(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = client.post("/language", data={"language": "fr", "next": "x" * 4096}, headers={"Accept-Language": "de"})
    assert response.status_code == 413
    assert "Datei zu groß" in response.get_data(as_text=True)
