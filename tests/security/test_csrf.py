"""ASVS V3.5.1 (row 11): every state-changing route of ``app.url_map`` refuses a request without a CSRF token, or
with a token of another session, with 400 and writes nothing. The routes are found from the URL map, so a new
route is covered the day it is added (the feature packages test their own forms too: see README.md)."""
from __future__ import annotations

import pytest

from tests.security.conftest import build_url, is_static, sign_in_as

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}

#: what a filled-in form could hold: the request must fail on the token, not on a missing field
FORM = {"body": "x", "reason": "x", "vote": "yes", "confirm": "1", "email": "someone@example.org",
        "password": "a long enough passphrase", "new_password": "a long enough passphrase",
        "confirm_password": "a long enough passphrase", "current_password": "x", "display_name": "Changed",
        "language": "nl", "timezone": "Europe/Paris", "code": "123456", "title_en": "x", "body_en": "x",
        "original_language": "en", "role": "secretary", "status": "active", "number": "T-1"}


def _state_changing_urls(app, world):
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        methods = rule.methods & STATE_CHANGING
        if is_static(rule) or not methods:
            continue
        values = world.url_args(rule)
        if values is None:  # a link with a token: any token, the CSRF check comes first
            values = {name: "not-a-real-token" for name in rule.arguments}
        urls.append((rule, build_url(app, rule, values), sorted(methods)))
    return urls


def test_the_walk_finds_the_state_changing_routes_of_every_feature(app, world):
    endpoints = {rule.endpoint.split(".")[0] for rule, _url, _methods in _state_changing_urls(app, world)}
    assert {"accounts", "core", "members", "workgroups", "proposals", "votes", "notifications",
            "assemblies", "assembly_session"} <= endpoints
    # only POST is used for changes
    assert all(methods == ["POST"] for _rule, _url, methods in _state_changing_urls(app, world))


@pytest.mark.parametrize("persona", ["admin", "author", None])
def test_no_token_is_400_and_changes_nothing(app, client, world, db_writes, persona):
    sign_in_as(client, getattr(world, persona) if persona else None)
    wrong = []
    with db_writes() as writes:
        for rule, url, methods in _state_changing_urls(app, world):
            for method in methods:
                response = client.open(url, method=method, data=dict(FORM))
                if response.status_code != 400 or "Your form had expired" not in response.get_data(as_text=True):
                    wrong.append(f"{method} {url}: {response.status_code}")
                if writes.statements:
                    wrong.append(f"{method} {url} wrote {writes.statements}")
                    writes.clear()
    assert not wrong, "\n".join(wrong)


def test_a_token_of_another_session_is_400_everywhere(app, client, world, db_writes):
    other = app.test_client()
    sign_in_as(other, world.other)
    foreign = other.csrf_token()
    sign_in_as(client, world.admin)
    with client.session_transaction() as session:
        session["csrf_token"] = "f" * 40  # this browser's own secret differs from the other one's
    wrong = []
    with db_writes() as writes:
        for rule, url, methods in _state_changing_urls(app, world):
            for method in methods:
                response = client.open(url, method=method, data={**FORM, "csrf_token": foreign})
                if response.status_code != 400:
                    wrong.append(f"{method} {url}: {response.status_code}")
        assert not writes.statements, writes.statements
    assert not wrong, "\n".join(wrong)


def test_a_made_up_or_expired_token_is_400(app, client, world, monkeypatch):
    sign_in_as(client, world.author)
    url = f"/workgroups/{world.workgroup.slug}/proposals/{world.proposal.id}/comments"
    assert client.post(url, csrf=False, data={"body": "x", "csrf_token": "forged"}).status_code == 400
    token = client.csrf_token()
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", -1)  # every token is too old
    assert client.post(url, csrf=False, data={"body": "x", "csrf_token": token}).status_code == 400


def test_csrf_protection_is_on_in_every_configuration(app):
    from governance import create_app

    assert app.config["WTF_CSRF_ENABLED"] is True
    assert not any(getattr(view, "csrf_exempt", False) for view in app.view_functions.values())
    from governance.extensions import csrf

    assert not csrf._exempt_views and not csrf._exempt_blueprints
    for env in ("development", "testing"):
        assert create_app({"GOVERNANCE_ENV": env, "SQLALCHEMY_DATABASE_URI": "sqlite://"}).config[
            "WTF_CSRF_ENABLED"] is True
