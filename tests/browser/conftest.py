"""Fixtures for the browser and accessibility checks: a live server, headless Chromium, personas.

The live server runs the application in a background thread with werkzeug's ``make_server`` on
127.0.0.1 and a free port, against a SQLite file of its own holding the committed demo data. The
rolled-back ``db`` fixture of ``tests/conftest.py`` is not used: the server thread could not see a
transaction that is never committed.

Chromium is Debian's ``/usr/bin/chromium`` driven by Playwright (``playwright install`` is never
used); axe-core and the Nu HTML Checker come from ``node_modules`` (``make node-deps``). When one of
them is missing the tests skip with the reason, except under CI (the ``CI`` environment variable is
set), where they fail instead.
"""
from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import got_request_exception
from werkzeug.serving import WSGIRequestHandler, make_server

from governance import create_app
from governance.extensions import db
from tests.browser.support import (ACCEPT_LANGUAGE, ARTIFACTS, AXE_JS, CHROMIUM, CHROMIUM_ARGS, PHONE, ROOT, Persona,
                                   Visit, check_page, require)
from tests.conftest import make_settings


# --- the live server ----------------------------------------------------------------------------
@dataclass
class LiveServer:
    app: object
    url: str
    personas: dict[str, Persona]
    #: exceptions raised while handling a request, with the path: shown when a page answers 500
    errors: list[str] = field(default_factory=list)
    #: pages seen (and checked) while a persona signed in, by persona
    sign_in_visits: dict[str, list[Visit]] = field(default_factory=dict)
    #: the two-step sign-in keys that personas set up, by email
    totp_secrets: dict[str, str] = field(default_factory=dict)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # no access log in the test output
        pass


def _buffered(wsgi_app):
    """The whole response body read, and the app's iterable closed, before werkzeug's server sends it.

    When the browser drops a connection (a favicon request cut short by the next navigation),
    werkzeug's development server can skip closing the response iterable; a file sent by
    ``send_file`` then stays open, and its ResourceWarning (an error in this test suite) would fail
    whichever test happens to run when it is collected."""
    def app(environ, start_response):
        iterable = wsgi_app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            if hasattr(iterable, "close"):
                iterable.close()
    return app


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    from sqlalchemy import select

    from governance.accounts.models import Account
    from governance.demo import load_demo

    tmp = tmp_path_factory.mktemp("live-server")
    app = create_app(make_settings(f"sqlite:///{tmp / 'browser.db'}", tmp))
    with app.app_context():
        db.create_all()
        load_demo()  # (with the cheap Argon2 parameters of tests/conftest.py's fast_password_hashing)
        db.session.commit()
        languages = {
            email: db.session.execute(select(Account.language).where(Account.email == email)).scalar_one()
            for email in ("an.peeters@demo.coop", "admin@demo.coop")
        }
        db.session.remove()

    personas = {f"anonymous-{lang}": Persona(f"anonymous-{lang}", None, lang, header)
                for lang, header in ACCEPT_LANGUAGE.items()}
    # signed in, the account's language wins over Accept-Language
    personas["member"] = Persona("member", "an.peeters@demo.coop", languages["an.peeters@demo.coop"], "fr-BE,fr;q=0.9")
    personas["admin"] = Persona("admin", "admin@demo.coop", languages["admin@demo.coop"], "de-DE,de;q=0.9")

    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True, request_handler=_QuietHandler)
    live = LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}", personas=personas)

    def record_exception(sender, exception, **extra):
        from flask import request

        live.errors.append(f"{request.method} {request.full_path}: {exception!r}")

    got_request_exception.connect(record_exception, app)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        got_request_exception.disconnect(record_exception, app)
        with app.app_context():
            db.engine.dispose()


# --- the browser --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def axe_source() -> str:
    require(AXE_JS.is_file(), f"axe-core is missing ({AXE_JS.relative_to(ROOT)}): run `make node-deps`")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def browser():
    require(CHROMIUM.exists(), f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a test dependency
        require(False, "the playwright Python package is missing: run `make install`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """test-artifacts/browser/, emptied once per session so that only this run's files are there."""
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


def sign_in(page, live: LiveServer, persona: Persona, check) -> None:
    """Through the real sign-in form (it carries the CSRF token). An account that must set up
    two-step sign-in first (administrators) does so, as a person would: it reads the key from the
    page and enters the current code; ``check(page, response, visit, name)`` checks the pages it
    sees there."""
    import pyotp

    from governance.demo import DEMO_PASSWORD

    page.goto("/account/sign-in")
    form = page.locator("main form:has(input[type=password])")
    form.locator("input[name=email]").fill(persona.email)
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    with page.expect_navigation() as navigation:
        form.locator("[type=submit]").click()

    code_input = page.locator("main form input[autocomplete=one-time-code], main form input[name=code]")
    otpauth = page.locator("main a[href^='otpauth://']")
    if otpauth.count():  # the set-up of two-step sign-in, before anything else
        visits = live.sign_in_visits.setdefault(persona.key, [])
        visits.append(Visit(persona.key, f"(sign-in: {urlsplit(page.url).path})", status=navigation.value.status,
                            outcome="checked"))
        check(page, navigation.value, visits[-1], "sign-in-two-step-setup")
        secret = parse_qs(urlsplit(otpauth.first.get_attribute("href")).query)["secret"][0]
        live.totp_secrets[persona.email] = secret
        code_input.first.fill(pyotp.TOTP(secret).now())
        with page.expect_navigation() as navigation:
            page.locator("main form [type=submit]").first.click()
        visits.append(Visit(persona.key, "(sign-in: set-up done)", status=navigation.value.status, outcome="checked"))
        check(page, navigation.value, visits[-1], "sign-in-two-step-done")
    elif code_input.count():  # the second step of signing in
        secret = live.totp_secrets.get(persona.email)
        if secret is None:
            pytest.fail(f"signing in as {persona.email} asks for a code, and the tests do not know its key",
                        pytrace=False)
        code_input.first.fill(pyotp.TOTP(secret).now())
        with page.expect_navigation():
            page.locator("main form [type=submit]").first.click()

    page.goto("/")
    if page.locator("form[action$='/account/sign-out']").count() == 0:
        pytest.fail(f"signing in as {persona.email} failed: the home page has no sign-out button; "
                    f"if signing in changed, update sign_in() in tests/browser/conftest.py", pytrace=False)


@pytest.fixture(scope="session")
def new_context(browser, live_server, axe_source, artifacts_dir):
    """``new_context(persona, **options)``: a fresh browser context (its own cookies), signed in for a
    signed-in persona. Each persona signs in once, on a phone, and its cookies are reused."""
    states: dict[str, dict] = {}
    opened = []

    def make(persona: Persona, **options):
        options.setdefault("extra_http_headers", {"Accept-Language": persona.accept_language})
        options.setdefault("locale", persona.accept_language.split(",")[0])
        context = browser.new_context(base_url=live_server.url, **options)
        opened.append(context)
        return context

    def factory(persona: Persona, **options):
        if persona.email and persona.key not in states:
            context = make(persona, **PHONE)
            page = context.new_page()
            sign_in(page, live_server, persona,
                    lambda page, response, visit, name: check_page(page, response, persona, visit, name,
                                                                   axe_source, artifacts_dir))
            states[persona.key] = context.storage_state()
            context.close()
        if persona.email:
            options["storage_state"] = states[persona.key]
        return make(persona, **options)

    yield factory
    for context in opened:
        context.close()
