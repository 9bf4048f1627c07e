"""ASVS V3.4.3 / V3.4.6 (row 21), V3.4.4 / V3.4.5 / V3.4.1 (row 22), V3.3.1 / V3.3.3 / V3.3.4 (row 10), V14.3.2 /
V14.2.1 (row 23) and V14.2.3 (row 34): response headers and cookies, on every class of response.

- The Content-Security-Policy, parsed: ``default-src 'self'``, ``object-src 'none'``, ``base-uri 'none'``,
  ``frame-ancestors 'none'``, ``form-action 'self'``, no ``unsafe-inline``/``unsafe-eval``/wildcard, on 200, 302,
  303, 400, 403, 404, 405, 413, 422, 429 and 500 responses, static files, JSON and downloads; with nosniff,
  Referrer-Policy and X-Frame-Options; HSTS (and the ``__Host-`` session cookie) under the production settings.
- Pages load nothing from another site (no third-party scripts, styles, fonts or trackers).
- Pages for a signed-in person are never stored (``no-store``); pages whose address holds an emailed token are
  neither stored nor sent as a Referer. No link or form of the portal puts a secret, an email address or a member
  number in a query string (tokens in the path of emailed links are the documented exception, SECURITY.md).
"""
from __future__ import annotations

import os

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.security.conftest import page_text, sign_in_as

REQUIRED = {"default-src": {"'self'"}, "object-src": {"'none'"}, "base-uri": {"'none'"},
            "frame-ancestors": {"'none'"}, "form-action": {"'self'"}, "script-src": {"'self'"},
            "style-src": {"'self'"}}


def parse_csp(value: str) -> dict[str, set[str]]:
    policy = {}
    for directive in filter(None, (part.strip() for part in value.split(";"))):
        name, *sources = directive.split()
        assert name.lower() not in policy, f"directive {name} given twice"
        policy[name.lower()] = set(sources)
    return policy


def check_headers(response, *, production: bool = False) -> None:
    csp = parse_csp(response.headers.get("Content-Security-Policy", ""))
    for name, sources in REQUIRED.items():
        assert csp.get(name) == sources, (response.request.path, name, csp.get(name))
    for sources in csp.values():
        assert not sources & {"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:", "'unsafe-hashes'"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    hsts = response.headers.get("Strict-Transport-Security")
    if production:
        assert hsts and int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31536000
    else:
        assert hsts is None  # never on plain-HTTP development servers


def responses_of_every_class(app, client, world):
    """(label, response) for each class of response the portal gives."""
    out = [("200 anonymous", client.get("/")), ("200 sign-in page", client.get("/account/sign-in")),
           ("302 to sign-in", client.get("/ballots/")), ("404", client.get("/no-such-page")),
           ("405", client.get("/account/sign-out")), ("400 csrf", client.post("/language", csrf=False)),
           ("200 static", client.get("/static/core/css/portal.css")), ("200 json", client.get("/healthz"))]
    sign_in_as(client, world.commenter)
    out += [("200 signed in", client.get(f"/workgroups/{world.workgroup.slug}")),
            ("303 after a post", client.post("/notifications/read-all")),
            ("403", client.get("/register/")),
            ("404 other branch", client.get(f"/workgroups/{world.fr_workgroup.slug}")),
            ("422", client.post(f"/workgroups/{world.workgroup.slug}/proposals/{world.proposal.id}/comments",
                                data={"body": ""})),
            ("200 download", client.post("/account/export")),
            ("200 ballot file", client.get(f"/ballots/{world.closed_ballot.id}/download/results.csv")),
            ("200 receipt", client.post(f"/ballots/{world.ballot.id}/vote/confirm",
                                        data={"vote": "yes", "confirm": "1"}))]
    for _ in range(5):
        client.post("/account/export")
    out.append(("429", client.post("/account/export")))
    return out


def test_every_class_of_response_has_the_security_headers(app, client, world, monkeypatch):
    seen = set()
    for label, response in responses_of_every_class(app, client, world):
        seen.add(response.status_code)
        check_headers(response)
        response.close()

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "core.healthz", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/healthz")
    assert response.status_code == 500
    check_headers(response)
    seen.add(500)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100)
    response = client.post("/language", data={"next": "x" * 500})
    assert response.status_code == 413
    check_headers(response)
    assert {200, 302, 303, 400, 403, 404, 405, 413, 422, 429, 500} <= seen | {413}


class _Resources(HTMLParser):
    """Every URL a page loads or links to, by tag and attribute."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.get_forms: list[list[str]] = []
        self._form = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            if attrs.get(name):
                self.urls.append((tag, name, attrs[name]))
        if tag == "form":
            self._form = [] if (attrs.get("method") or "get").lower() == "get" else None
            if self._form is not None:
                self.get_forms.append(self._form)
        if tag in ("input", "select", "textarea") and self._form is not None:
            self._form.append(f"{attrs.get('name')}:{attrs.get('type', 'text')}")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


@pytest.mark.parametrize("persona", ["member"] if os.environ.get("DATABASE_URL", "").startswith("postgres")
                         else ["member", "admin"])  # headers do not depend on the database
def test_pages_load_nothing_from_elsewhere_and_put_no_secret_in_a_query_string(app, client, demo, persona):
    from tests.security.test_get_is_safe import get_urls, persona_email

    sign_in_as(client, persona_email(demo, persona), demo.password)
    problems = []
    pages = 0
    for endpoint, url in get_urls(app, demo):
        if endpoint == "(query)":
            continue  # addresses typed by hand: only what the portal itself links to is checked here
        response = client.get(url)
        if response.mimetype != "text/html" or response.status_code != 200:
            continue
        pages += 1
        assert response.headers.get("Cache-Control") == "no-store", url
        parser = _Resources()
        parser.feed(page_text(response))
        for tag, attribute, value in parser.urls:
            parts = urlsplit(value)
            if tag in ("script", "link", "img", "iframe", "object", "embed", "source", "video", "audio") and (
                    parts.scheme or parts.netloc):
                problems.append(f"{url}: <{tag} {attribute}={value}> loads from elsewhere")
            for key, val in parse_qsl(parts.query):
                if key.lower() in ("csrf_token", "token", "password", "session", "email", "code") or "@" in val:
                    problems.append(f"{url}: <{tag} {attribute}={value}> puts {key} in a query string")
        for fields in parser.get_forms:
            if any(field.endswith((":password", ":hidden")) and not field.startswith("page:") for field in fields):
                problems.append(f"{url}: a GET form sends {fields}")
    assert pages > 15
    assert not problems, "\n".join(problems)


def test_pages_with_a_token_in_their_address_are_not_stored_nor_sent_as_referer(client, db, world, outbox):
    from governance.accounts import operations as ops

    ops.request_password_reset(world.author.email, address=None)
    db.session.commit()
    token = re.search(r"/account/password/reset/([\w-]+)", outbox(world.author.email)[-1].body_text).group(1)
    response = client.get(f"/account/password/reset/{token}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "no-referrer"
    check_headers(response)
    response = client.get("/account/invitation/made-up-token")
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "no-referrer"


def test_production_sends_hsts_everywhere_and_a_host_only_secure_cookie(production):
    client = production.test_client()
    for path in ("/", "/account/sign-in", "/ballots/", "/no-such-page", "/static/core/css/portal.css", "/healthz"):
        response = client.get(path, base_url="https://portal.example")
        check_headers(response, production=True)
        response.close()
    response = production.test_client().get("/account/sign-in", base_url="https://portal.example")
    cookie = response.headers["Set-Cookie"]
    name, _value = cookie.split(";")[0].split("=", 1)
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert name == "__Host-governance_session"
    assert "secure" in attributes and "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax" and attributes["path"] == "Path=/"
    assert "domain" not in attributes
    assert production.debug is False and production.config["WTF_CSRF_ENABLED"] is True
