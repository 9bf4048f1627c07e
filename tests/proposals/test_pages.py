"""The proposal pages: reading, writing, editing, supports, state changes, the diff, permissions and
query counts."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from governance.core.audit import AuditEntry
from governance.proposals import operations as ops
from governance.proposals.models import (
    Proposal,
    ProposalRevision,
    ProposalSupport,
)
from governance.workgroups import queries
from tests.proposals.conftest import url
from tests.workgroups.conftest import page_text


def _count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _audit_count(db) -> int:
    return _count(db, AuditEntry)


# --- reading ---------------------------------------------------------------------------------------
def test_the_proposal_page(client, sign_in, group, write, mship):
    proposal = write(group, state="discussion", threshold=5,
                     titles={"fr": "Partager les camionnettes"}, bodies={"fr": "Nous **partageons**."},
                     original_language="fr")
    ops.add_coauthor(proposal, group.other.member.id, actor=group.author,
                     membership=mship(group.workgroup, group.author))
    sign_in(group.members[0])
    page = page_text(client.get(url(group, proposal)))
    assert '<h1 lang="fr">Partager les camionnettes</h1>' in page
    assert "shown in its original language, French" in page
    assert "<strong>partageons</strong>" in page
    assert group.author.member.full_name in page and group.other.member.full_name in page
    assert "0 supports of the 5 needed for a vote" in page
    assert "In discussion" in page
    assert "Support this proposal" in page
    assert "Revision 1 by" in page
    assert page.count("<h1") == 1


def test_the_workgroup_page_lists_proposals(client, sign_in, group, write):
    shown = write(group, state="discussion", titles={"en": "Visible proposal"})
    write(group, titles={"en": "Secret draft"})
    sign_in(group.members[0])
    page = page_text(client.get(f"/workgroups/{group.workgroup.slug}"))
    assert "Visible proposal" in page and "Secret draft" not in page
    assert url(group, shown) in page
    assert f"/workgroups/{group.workgroup.slug}/proposals/new" in page
    client.post("/account/sign-out")
    sign_in(group.author)
    assert "Secret draft" in page_text(client.get(f"/workgroups/{group.workgroup.slug}"))


def test_a_draft_is_seen_by_its_authors_only(client, sign_in, group, write):
    proposal = write(group)
    sign_in(group.members[0])
    assert client.get(url(group, proposal)).status_code == 404


# --- writing ---------------------------------------------------------------------------------------
def test_writing_a_proposal(client, sign_in, group, db, audit_events):
    sign_in(group.author)
    new = f"/workgroups/{group.workgroup.slug}/proposals/new"
    assert client.get(new).status_code == 200
    response = client.post(new, data={"original_language": "en", "title_en": " Share the bikes ",
                                      "body_en": "We share *bikes*.", "title_fr": "", "body_fr": ""})
    assert response.status_code == 303
    proposal = db.session.execute(select(Proposal)).scalar_one()
    assert response.headers["Location"].endswith(f"/proposals/{proposal.id}")
    assert proposal.titles == {"en": "Share the bikes"} and proposal.state == "draft"
    assert _count(db, ProposalRevision) == 1
    assert [e.event for e in audit_events("proposal.")] == ["proposal.created"]


def test_invalid_input_writes_nothing_and_keeps_the_form(client, sign_in, group, db):
    sign_in(group.author)
    before = _audit_count(db)
    response = client.post(f"/workgroups/{group.workgroup.slug}/proposals/new",
                           data={"original_language": "en", "title_en": "A title kept", "body_en": "",
                                 "title_fr": "", "body_fr": "Texte sans titre"})
    assert response.status_code == 422
    page = page_text(response)
    assert 'value="A title kept"' in page and "Texte sans titre" in page
    assert "Give the text in the original language" in page
    assert "A text needs a title in the same language." in page
    assert _count(db, Proposal) == 0 and _audit_count(db) == before


def test_editing_writes_a_revision_and_the_diff_shows_it(client, sign_in, group, write, db):
    proposal = write(group, bodies={"en": "One\nTwo\nThree"})
    sign_in(group.author)
    edit = url(group, proposal, "/edit")
    assert 'name="title_en"' in page_text(client.get(edit))
    bad = client.post(edit, data={"original_language": "en", "title_en": "", "body_en": "Kept text"})
    assert bad.status_code == 422 and "Kept text" in page_text(bad)
    assert _count(db, ProposalRevision) == 1
    response = client.post(edit, data={"original_language": "en", "title_en": "Share the vans",
                                       "body_en": "One\nTwo and a half\nThree"})
    assert response.status_code == 303
    assert _count(db, ProposalRevision) == 2
    page = page_text(client.get(url(group, proposal, "/changes?from=1&to=2")))
    assert "What changed between revisions 1 and 2" in page
    assert re.search(r"− removed</td>\s*<td>2</td>\s*<td lang=\"en\"><del>Two</del>", page)
    assert re.search(r"\+ added</td>\s*<td>2</td>\s*<td lang=\"en\"><ins>Two and a half</ins>", page)
    assert client.get(url(group, proposal, "/changes")).status_code == 200  # the last two by default
    assert client.get(url(group, proposal, "/changes?from=1&to=9")).status_code == 404


def test_only_authors_edit(client, sign_in, group, write):
    proposal = write(group, state="discussion")
    sign_in(group.members[0])
    assert client.get(url(group, proposal, "/edit")).status_code == 403
    assert client.post(url(group, proposal, "/edit"), data={"original_language": "en", "title_en": "Mine",
                                                            "body_en": "Mine"}).status_code == 403


def test_coauthors_through_the_page(client, sign_in, group, write, db):
    proposal = write(group)
    sign_in(group.author)
    page = page_text(client.get(url(group, proposal)))
    assert f'<option value="{group.other.member.id}">' in page
    response = client.post(url(group, proposal, "/coauthors"), data={"member": group.other.member.id})
    assert response.status_code == 303
    assert client.post(url(group, proposal, "/coauthors"), data={"member": "999999"}).status_code == 422
    db.session.expire_all()
    assert [m.id for m in db.session.get(Proposal, proposal.id).coauthors] == [group.other.member.id]
    response = client.post(url(group, proposal, f"/coauthors/{group.other.member.id}/remove"))
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).coauthors == []


# --- supports and states ---------------------------------------------------------------------------
def test_supporting_through_the_page(client, sign_in, group, write, db):
    proposal = write(group, state="discussion", threshold=1)
    sign_in(group.members[0])
    response = client.post(url(group, proposal, "/support"))
    assert response.status_code == 303
    assert "ready for a vote" in page_text(client.get(response.headers["Location"]))
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == "ready_for_vote"
    again = client.post(url(group, proposal, "/support"))
    assert again.status_code == 409
    assert _count(db, ProposalSupport) == 1


def test_withdrawing_a_support(client, sign_in, group, write, db):
    proposal = write(group, state="discussion")
    sign_in(group.members[0])
    client.post(url(group, proposal, "/support"))
    assert "Withdraw my support" in page_text(client.get(url(group, proposal)))
    assert client.post(url(group, proposal, "/unsupport")).status_code == 303
    assert _count(db, ProposalSupport) == 0


def test_state_buttons(client, sign_in, group, write, db, switch_to):
    proposal = write(group)
    sign_in(group.author)
    assert "Open for discussion" in page_text(client.get(url(group, proposal)))
    assert client.post(url(group, proposal, "/ready")).status_code == 409  # a draft is not ready
    assert client.post(url(group, proposal, "/discuss")).status_code == 303
    assert client.post(url(group, proposal, "/ready")).status_code == 403  # the author is no facilitator
    switch_to(group.facilitator)
    page = page_text(client.get(url(group, proposal)))
    assert "Mark ready for a vote" in page and "Record the workgroup" in page
    bad = client.post(url(group, proposal, "/decide"), data={"outcome": "adopted", "reason": ""})
    assert bad.status_code == 422
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == "discussion"
    assert client.post(url(group, proposal, "/decide"),
                       data={"outcome": "rejected", "reason": "No consensus"}).status_code == 303
    assert client.post(url(group, proposal, "/archive")).status_code == 303
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == "archived"
    assert "No consensus" in page_text(client.get(url(group, proposal)))


def test_get_never_changes_state(client, sign_in, group, write, db):
    proposal = write(group, state="discussion")
    sign_in(group.author)
    for action in ("support", "unsupport", "discuss", "ready", "withdraw", "archive", "decide", "coauthors"):
        assert client.get(url(group, proposal, f"/{action}")).status_code == 405
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == "discussion"


# --- permissions and scope -------------------------------------------------------------------------
def test_a_french_member_cannot_reach_a_belgian_workgroups_proposals(client, sign_in, group, write, fr,
                                                                     member_account, make_workgroup, db):
    proposal = write(group, state="discussion")
    french = member_account(fr)
    own = make_workgroup(title="Outils", members=[french])  # a workgroup the French member belongs to
    sign_in(french)
    before = _audit_count(db)
    assert client.get(url(group, proposal)).status_code == 404
    assert client.get(f"/workgroups/{group.workgroup.slug}/proposals/new").status_code == 404
    for suffix in ("/support", "/discuss", "/edit", "/changes"):
        method = client.get if suffix == "/changes" else client.post
        assert method(url(group, proposal, suffix)).status_code == 404, suffix
    # changing the workgroup in the URL to one of theirs does not reach the proposal either
    assert client.get(f"/workgroups/{own.slug}/proposals/{proposal.id}").status_code == 404
    assert client.post(f"/workgroups/{own.slug}/proposals/{proposal.id}/support").status_code == 404
    assert _count(db, ProposalSupport) == 0 and _audit_count(db) == before


def test_a_non_member_cannot_write(client, sign_in, be, member_account, group):
    sign_in(member_account(be))
    assert client.get(f"/workgroups/{group.workgroup.slug}/proposals/new").status_code == 403
    assert "Write a proposal" not in page_text(client.get(f"/workgroups/{group.workgroup.slug}"))


def test_every_post_route_needs_the_csrf_token(app, client, sign_in, group, write, db):
    proposal = write(group, state="discussion")
    comment = ops.add_comment(proposal, "A comment", actor=group.author,
                              membership=queries.membership_of(group.workgroup, group.author.member.id))
    sign_in(group.author)
    before = _audit_count(db)
    values = {"workgroup_slug": group.workgroup.slug, "proposal_id": proposal.id, "member_id": group.other.member.id,
              "comment_id": comment.id, "number": 1, "language": "nl"}
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("proposals.") or "POST" not in rule.methods:
            continue
        if "action" in rule.arguments:
            actions = (("review", "unreview") if "language" in rule.arguments  # translations
                       else ("discuss", "ready", "withdraw", "archive"))
            urls += [rule.build({**values, "action": a})[1] for a in actions]
        else:
            urls.append(rule.build({k: v for k, v in values.items() if k in rule.arguments})[1])
    # 11 for the proposals, 7 for the comments, 5 for the amendments, 6 for the translations, 2 for following
    assert len(urls) == 18 + 5 + 6 + 2
    for target in urls:
        response = client.post(target, data={"title_en": "x", "reason": "x", "outcome": "adopted", "body": "x"},
                               csrf=False)
        assert response.status_code == 400, target
        assert "Your form had expired" in page_text(response)
    assert _audit_count(db) == before
    assert _count(db, Proposal) == 1 and _count(db, ProposalSupport) == 0


# --- query counts ----------------------------------------------------------------------------------
def test_the_workgroup_page_reads_its_proposals_in_one_query(client, sign_in, group, write, mship, count_queries):
    sign_in(group.members[0])
    write(group, state="discussion")
    with count_queries() as few:
        assert client.get(f"/workgroups/{group.workgroup.slug}").status_code == 200
    for i in range(6):
        proposal = write(group, group.other if i % 2 else group.author, state="discussion",
                         titles={"en": f"Proposal {i}"})
        ops.add_coauthor(proposal, group.members[2].member.id, actor=proposal_author(group, i),
                         membership=mship(group.workgroup, proposal_author(group, i)))
        for supporter in group.members[:2]:
            ops.support(proposal, actor=supporter, membership=mship(group.workgroup, supporter))
    with count_queries() as many:
        page = page_text(client.get(f"/workgroups/{group.workgroup.slug}"))
    assert "Proposal 5" in page and "2 supports" in page
    assert many.count == few.count, many.statements


def proposal_author(group, i):
    return group.other if i % 2 else group.author


def test_the_proposal_page_does_not_grow_with_supports_and_revisions(client, sign_in, group, write, mship,
                                                                    count_queries):
    wg = group.workgroup
    small = write(group, state="discussion")
    big = write(group, state="discussion")
    ops.add_coauthor(big, group.other.member.id, actor=group.author, membership=mship(wg, group.author))
    for i in range(5):
        ops.edit_proposal(big, actor=group.author, membership=mship(wg, group.author), titles={"en": f"V{i}"},
                          bodies={"en": f"Text {i}"}, original_language="en")
    for supporter in [*group.members, group.facilitator]:
        ops.support(big, actor=supporter, membership=mship(wg, supporter))
    sign_in(group.members[0])
    with count_queries() as few:
        assert client.get(url(group, small)).status_code == 200
    with count_queries() as many:
        page = page_text(client.get(url(group, big)))
    assert "Revision 6 by" in page
    assert many.count == few.count, many.statements


@pytest.mark.parametrize("state", ["draft", "discussion"])
def test_the_author_page_does_not_grow_either(client, sign_in, group, write, mship, count_queries, state):
    wg = group.workgroup
    small = write(group, state=state)
    big = write(group, state=state)
    for i in range(4):
        ops.edit_proposal(big, actor=group.author, membership=mship(wg, group.author), titles={"en": f"V{i}"},
                          bodies={"en": f"Text {i}"}, original_language="en")
    ops.add_coauthor(big, group.other.member.id, actor=group.author, membership=mship(wg, group.author))
    sign_in(group.author)
    with count_queries() as few:
        assert client.get(url(group, small)).status_code == 200
    with count_queries() as many:
        assert client.get(url(group, big)).status_code == 200
    assert many.count == few.count, many.statements
