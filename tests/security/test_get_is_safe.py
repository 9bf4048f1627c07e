"""ASVS V3.5.3 (row 12): GET never changes state. Every GET route of ``app.url_map``, its URL arguments filled from
the demo data with the browser crawl's resolver (``tests/browser/routes.py``), is requested by a visitor, a
member, the author of the demo proposal and of its first comment, a board member, the secretary and the
administrator, while every statement sent to the database is watched: none may write. Routes that only take POST
answer a GET with 405."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from tests.security.conftest import is_static, sign_in_as

#: GET URLs with query strings worth trying too (filters and searches read the query string)
WITH_QUERIES = [
    "/register/?q=Peeters&branch=BE&status=active",
    "/account/invitations?branch=BE&status=active&resend=y",
    "/account/roles?q=demo",
    "/workgroups/?mine=y&archived=y&theme=tools",
    "/search?q=vans&kind=comment",
    "/ballots/?page=2",
    "/notifications/?page=2",
    "/language?language=fr",
    "/account/sign-out",
]


def _demo_document_id(objects) -> int:
    """A document of the demo's convened assembly (the browser crawl does not open downloads)."""
    from governance.assemblies.models import AssemblyDocument

    return objects.session.execute(select(AssemblyDocument.id).where(
        AssemblyDocument.assembly_id == objects.assembly.id).order_by(AssemblyDocument.id).limit(1)).scalar_one()


def get_urls(app, demo) -> list[tuple[str, str]]:
    """(endpoint, url) of every GET route, filled from the demo data."""
    from tests.browser.routes import ARGUMENTS

    extra = {"votes.download:ballot_id": lambda d: d.closed_ballot.id, "votes.download:kind": lambda d: "results.csv",
             "assemblies.document:document_id": _demo_document_id,
             "assembly_session.minutes_html:assembly_id": lambda d: d.missed_assembly.id,
             "assembly_session.minutes_pdf:assembly_id": lambda d: d.missed_assembly.id,
             "assembly_session.minutes_html:language": lambda d: "fr",
             "assembly_session.minutes_pdf:language": lambda d: "fr"}
    adapter = app.url_map.bind("localhost")
    urls, missing = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if "GET" not in rule.methods or is_static(rule):
            continue
        values = {}
        for name in rule.arguments:
            resolve = extra.get(f"{rule.endpoint}:{name}") or ARGUMENTS.get(f"{rule.endpoint}:{name}") or \
                ARGUMENTS.get(name)
            if resolve is None:
                missing.append(f"{rule.endpoint}:{name}")
                continue
            values[name] = resolve(demo.objects)
        if len(values) == len(rule.arguments):
            urls.append((rule.endpoint, adapter.build(rule.endpoint, values)))
    assert not missing, f"add these URL arguments to tests/browser/routes.py ARGUMENTS: {missing}"
    return urls + [("(query)", url) for url in WITH_QUERIES]


def persona_email(demo, persona: str) -> str | None:
    from governance.accounts.models import Account, Role, RoleAssignment
    from governance.extensions import db

    objects = demo.objects
    if persona == "visitor":
        return None
    if persona in ("admin", "secretary"):
        return f"{persona}@demo.coop"
    if persona == "member":
        from tests.browser.routes import MEMBER_EMAIL

        return MEMBER_EMAIL
    if persona == "board":
        return db.session.execute(select(Account.email).join(RoleAssignment).where(
            RoleAssignment.role == Role.board_member.value).order_by(Account.id).limit(1)).scalar_one()
    member_id = objects.proposal.author_id if persona == "author" else objects.comment.author_id
    return db.session.execute(select(Account.email).where(Account.member_id == member_id)).scalar_one()


#: every persona on SQLite; on PostgreSQL (the same code paths, slower to walk) the two that reach the most routes
PERSONAS = ["visitor", "member", "author", "commenter", "board", "secretary", "admin"]
if os.environ.get("DATABASE_URL", "").startswith("postgres"):
    PERSONAS = ["member", "secretary"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_get_writes_to_the_database(app, client, demo, db_writes, persona):
    urls = get_urls(app, demo)
    assert len(urls) > 50
    sign_in_as(client, persona_email(demo, persona), demo.password)
    wrote, errors = [], []
    with db_writes() as writes:
        for endpoint, url in urls:
            response = client.get(url)
            if response.status_code >= 500:
                errors.append(f"{url}: {response.status_code}")
            if writes.statements:
                wrote.append(f"GET {url} ({endpoint}, {response.status_code}): {writes.statements}")
                writes.clear()
            response.close()
    assert not wrote, "\n".join(wrote)
    assert not errors, errors


def test_routes_that_change_state_take_no_get(app, client, demo):
    """A GET on a POST-only route (sign-out, voting, joining, deleting a comment …) is refused with 405."""
    adapter = app.url_map.bind("localhost")
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods or is_static(rule):
            continue
        values = {name: 1 if "int" in type(rule._converters[name]).__name__.lower() else
                  sorted(getattr(rule._converters[name], "items", None) or ["x"])[0] for name in rule.arguments}
        response = client.get(adapter.build(rule.endpoint, values, method="POST"))
        assert response.status_code == 405, rule.rule
        checked += 1
    assert checked > 30


def test_the_watch_sees_what_a_post_writes(client, world, db_writes):
    """The walks above would pass with a deaf listener: it hears a comment being written."""
    sign_in_as(client, world.commenter)
    with db_writes() as writes:
        client.post(f"/workgroups/{world.workgroup.slug}/proposals/{world.proposal.id}/comments",
                    data={"body": "Heard"})
    inserted = [statement for statement in writes.statements if statement.startswith("INSERT INTO proposal_comments")]
    assert inserted, writes.statements
