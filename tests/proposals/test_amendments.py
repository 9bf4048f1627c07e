"""Amendments: members propose edits to a proposal in discussion; the authors accept them (the text changes, the
revision is credited) or reject them with a reason; a facilitator puts them to the vote; their author withdraws
them. Through the operations, then through the pages."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from governance.core.audit import AuditEntry
from governance.core.errors import Conflict, InvalidInput, NotAllowed
from governance.core.outbox import OutboxMessage
from governance.proposals import operations as ops
from governance.proposals import queries
from governance.proposals.models import (
    IllegalAmendmentTransition,
    Proposal,
    ProposalAmendment,
    ProposalRevision,
    ProposalState,
)
from tests.proposals.conftest import url
from tests.workgroups.conftest import page_text

BODY = "We share the vans.\n\nEvery week, the keys are at the front desk."


@pytest.fixture
def amend(db, mship):
    """``amend(group, proposal, account, excerpt, replacement, explanation=…, language="en")`` → an amendment."""

    def propose(group, proposal, account, excerpt, replacement, *, explanation="Clearer.", language="en"):
        return ops.propose_amendment(proposal, actor=account, membership=mship(group.workgroup, account),
                                     language=language, original_excerpt=excerpt, replacement=replacement,
                                     explanation=explanation)

    return propose


@pytest.fixture
def open_proposal(group, write):
    return write(group, state="discussion", bodies={"en": BODY})


def _count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _as(group, account, mship):
    return {"actor": account, "membership": mship(group.workgroup, account)}


# --- proposing and accepting -----------------------------------------------------------------------
def test_a_member_proposes_and_the_author_accepts(db, group, open_proposal, amend, mship, audit_events):
    member = group.members[0]
    amendment = amend(group, open_proposal, member, "Every week", "Every day", explanation="The vans go out daily.")
    assert (amendment.number, amendment.state, amendment.base_revision) == (1, "proposed", 1)
    assert amendment.author_id == member.member.id and amendment.language == "en"
    assert amendment.applies_to(open_proposal.bodies["en"])
    second = amend(group, open_proposal, group.members[1], "front desk", "reception")
    assert second.number == 2

    revision = ops.accept_amendment(amendment, open_proposal, **_as(group, group.author, mship))
    assert open_proposal.bodies["en"] == "We share the vans.\n\nEvery day, the keys are at the front desk."
    assert revision.number == 2 and revision.amendment_id == amendment.id
    assert revision.author_id == group.author.member.id and revision.bodies["en"] == open_proposal.bodies["en"]
    assert amendment.state == "accepted" and amendment.decided_by_id == group.author.id
    assert amendment.decided_dt is not None
    [entry] = audit_events("amendment.")
    assert entry.event == "amendment.accepted" and entry.actor_id == group.author.id
    assert entry.data["number"] == 1 and entry.data["revision"] == 2 and entry.data["proposal_id"] == open_proposal.id
    # the other amendment still applies to the changed text, and a co-author accepts it
    ops.add_coauthor(open_proposal, group.other.member.id, **_as(group, group.author, mship))
    assert second.applies_to(open_proposal.bodies["en"])
    ops.accept_amendment(second, open_proposal, **_as(group, group.other, mship))
    assert open_proposal.bodies["en"].endswith("the keys are at the reception.")
    credited = {r.number: r.amendment for r in queries.revisions(open_proposal)}
    assert credited[3].number == 2 and credited[2].number == 1 and credited[1] is None


def test_adding_at_the_end_and_removing_a_passage(db, group, open_proposal, amend, mship):
    added = amend(group, open_proposal, group.members[0], "", "Bikes too.")
    assert added.is_addition and added.applies_to(open_proposal.bodies["en"])
    removed = amend(group, open_proposal, group.members[1], "Every week, the keys are at the front desk.", "")
    assert removed.is_deletion
    ops.accept_amendment(removed, open_proposal, **_as(group, group.author, mship))
    ops.accept_amendment(added, open_proposal, **_as(group, group.author, mship))
    assert open_proposal.bodies["en"] == "We share the vans.\n\nBikes too."


def test_line_ends_typed_in_a_browser_still_match(db, group, open_proposal, amend, mship):
    amendment = amend(group, open_proposal, group.members[0], "vans.\r\n\r\nEvery", "vans. Every")
    assert amendment.original_excerpt == "vans.\n\nEvery"
    ops.accept_amendment(amendment, open_proposal, **_as(group, group.author, mship))
    assert open_proposal.bodies["en"].startswith("We share the vans. Every week")


def test_an_amendment_to_another_language_version(db, group, write, amend, mship):
    proposal = write(group, state="discussion", titles={"en": "Vans", "fr": "Camionnettes"},
                     bodies={"en": BODY, "fr": "Nous partageons les camionnettes."})
    amendment = amend(group, proposal, group.members[0], "partageons", "prêtons", language="fr")
    ops.accept_amendment(amendment, proposal, **_as(group, group.author, mship))
    assert proposal.bodies == {"en": BODY, "fr": "Nous prêtons les camionnettes."}
    with pytest.raises(InvalidInput):  # no German text to amend
        amend(group, proposal, group.members[0], "", "Auch Fahrräder.", language="de")


# --- what is refused -------------------------------------------------------------------------------
@pytest.mark.parametrize("excerpt, message", [
    ("every week", "is not in the current text"),  # case matters: the passage is copied exactly
    ("the", "occurs more than once"),
])
def test_the_passage_must_occur_exactly_once(db, group, open_proposal, amend, excerpt, message):
    with pytest.raises(InvalidInput) as info:
        amend(group, open_proposal, group.members[0], excerpt, "something else")
    assert info.value.status_code == 422 and info.value.field == "original_excerpt"
    assert message in str(info.value) and "English" in str(info.value)
    assert _count(db, ProposalAmendment) == 0


@pytest.mark.parametrize("excerpt, replacement, explanation, field", [
    ("Every week", "Every week", "Same", "replacement"),  # changes nothing
    ("", "", "Nothing", "replacement"),
    ("Every week", "Every day", "  ", "explanation"),
    (BODY, "", "Everything goes", "original_excerpt"),  # the whole text
])
def test_an_amendment_must_change_something_and_say_why(db, group, open_proposal, amend, excerpt, replacement,
                                                        explanation, field):
    with pytest.raises(InvalidInput) as info:
        amend(group, open_proposal, group.members[0], excerpt, replacement, explanation=explanation)
    assert info.value.field == field
    assert _count(db, ProposalAmendment) == 0


def test_who_proposes(db, group, open_proposal, amend, be, fr, member_account):
    with pytest.raises(NotAllowed) as info:  # the authors edit the text themselves
        amend(group, open_proposal, group.author, "Every week", "Every day")
    assert "edit its text" in str(info.value)
    with pytest.raises(NotAllowed):  # not a member of the workgroup
        amend(group, open_proposal, member_account(be), "Every week", "Every day")
    with pytest.raises(NotAllowed):  # a suspended member of the cooperative
        suspended = member_account(be, status="suspended")
        amend(group, open_proposal, suspended, "Every week", "Every day")
    assert _count(db, ProposalAmendment) == 0


@pytest.mark.parametrize("state", ["draft", "ready_for_vote", "adopted", "withdrawn"])
def test_amendments_are_proposed_only_in_discussion(db, group, write, amend, mship, state):
    proposal = write(group, state="draft" if state == "draft" else "discussion", bodies={"en": BODY})
    if state != "draft":
        proposal.state = state
        proposal.decision_reason = "Agreed" if state == "adopted" else None
        db.session.flush()
    with pytest.raises(Conflict) as info:
        amend(group, proposal, group.members[0], "Every week", "Every day")
    assert info.value.status_code == 409
    assert _count(db, ProposalAmendment) == 0


def test_accepting_is_refused_once_the_discussion_is_over(db, group, open_proposal, amend, mship):
    amendment = amend(group, open_proposal, group.members[0], "Every week", "Every day")
    ops.change_state(open_proposal, ProposalState.ready_for_vote, **_as(group, group.facilitator, mship))
    with pytest.raises(Conflict):
        ops.accept_amendment(amendment, open_proposal, **_as(group, group.author, mship))
    assert amendment.state == "proposed" and open_proposal.bodies["en"] == BODY
    # rejecting still is possible while the proposal waits for its vote, not once it is decided
    ops.reject_amendment(amendment, open_proposal, "Too late", **_as(group, group.author, mship))
    assert amendment.state == "rejected"
    ops.decide(open_proposal, adopted=True, reason="Consensus", **_as(group, group.facilitator, mship))
    with pytest.raises(Conflict):
        ops.mark_for_vote(amendment, open_proposal, **_as(group, group.facilitator, mship))


def test_only_the_authors_answer(db, group, open_proposal, amend, mship):
    amendment = amend(group, open_proposal, group.members[0], "Every week", "Every day")
    for account in (group.members[0], group.members[1], group.facilitator):
        with pytest.raises(NotAllowed):
            ops.accept_amendment(amendment, open_proposal, **_as(group, account, mship))
        with pytest.raises(NotAllowed):
            ops.reject_amendment(amendment, open_proposal, "No", **_as(group, account, mship))
    assert amendment.state == "proposed" and open_proposal.bodies["en"] == BODY


def test_rejecting_needs_a_reason(db, group, open_proposal, amend, mship, audit_events):
    amendment = amend(group, open_proposal, group.members[0], "Every week", "Every day")
    with pytest.raises(InvalidInput):
        ops.reject_amendment(amendment, open_proposal, "   ", **_as(group, group.author, mship))
    assert amendment.state == "proposed"
    ops.reject_amendment(amendment, open_proposal, " Weekly is enough. ", **_as(group, group.author, mship))
    assert amendment.state == "rejected" and amendment.decision_reason == "Weekly is enough."
    assert [(e.event, e.data["reason"]) for e in audit_events("amendment.")] == [
        ("amendment.rejected", "Weekly is enough.")]
    with pytest.raises(IllegalAmendmentTransition):  # answered already
        ops.accept_amendment(amendment, open_proposal, **_as(group, group.author, mship))
    assert open_proposal.bodies["en"] == BODY


def test_the_database_refuses_a_rejection_without_reason_and_an_unknown_state(db, group, open_proposal, amend):
    amendment = amend(group, open_proposal, group.members[0], "Every week", "Every day")
    table = ProposalAmendment.__table__
    for values in ({"state": "rejected", "decided_dt": amendment.created_dt, "decision_reason": None},
                   {"state": "voted", "decided_dt": amendment.created_dt},
                   {"state": "accepted"},  # a decision has its date
                   {"replacement": "Every week"}):
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.execute(table.update().where(table.c.id == amendment.id).values(**values))
    with pytest.raises(IntegrityError), db.session.begin_nested():  # one number per proposal
        db.session.execute(table.insert().values(
            proposal_id=open_proposal.id, number=1, author_id=amendment.author_id, language="en",
            original_excerpt="", replacement="More", explanation="Why", base_revision=1, state="proposed",
            created_dt=amendment.created_dt))


def test_withdrawing(db, group, open_proposal, amend, mship):
    amendment = amend(group, open_proposal, group.members[0], "Every week", "Every day")
    with pytest.raises(NotAllowed):  # only its author
        ops.withdraw_amendment(amendment, open_proposal, **_as(group, group.members[1], mship))
    with pytest.raises(NotAllowed):
        ops.withdraw_amendment(amendment, open_proposal, **_as(group, group.author, mship))
    ops.withdraw_amendment(amendment, open_proposal, **_as(group, group.members[0], mship))
    assert amendment.state == "withdrawn"
    with pytest.raises(IllegalAmendmentTransition):
        ops.withdraw_amendment(amendment, open_proposal, **_as(group, group.members[0], mship))
    with pytest.raises(IllegalAmendmentTransition):
        ops.accept_amendment(amendment, open_proposal, **_as(group, group.author, mship))


def test_a_facilitator_puts_amendments_to_the_vote(db, group, open_proposal, amend, mship, audit_events, admin):
    first = amend(group, open_proposal, group.members[0], "Every week", "Every day")
    second = amend(group, open_proposal, group.members[1], "front desk", "reception")
    third = amend(group, open_proposal, group.members[2], "", "Bikes too.")
    for account in (group.author, group.members[0]):
        with pytest.raises(NotAllowed):
            ops.mark_for_vote(first, open_proposal, **_as(group, account, mship))
    assert queries.amendments_for_vote(open_proposal) == []
    ops.reject_amendment(second, open_proposal, "We like the front desk", **_as(group, group.author, mship))
    ops.change_state(open_proposal, ProposalState.ready_for_vote, **_as(group, group.facilitator, mship))
    ops.mark_for_vote(second, open_proposal, **_as(group, group.facilitator, mship))  # rejected, yet the members decide
    ops.mark_for_vote(first, open_proposal, **_as(group, group.facilitator, mship))
    assert second.state == "for_vote" and second.decision_reason == "We like the front desk"
    assert [a.number for a in queries.amendments_for_vote(open_proposal)] == [1, 2]
    assert queries.amendments_for_vote(open_proposal)[0].author.full_name == group.members[0].member.full_name
    with pytest.raises(IllegalAmendmentTransition):  # once is enough
        ops.mark_for_vote(first, open_proposal, **_as(group, group.facilitator, mship))
    events = [(e.event, e.data["number"], e.data["old"]) for e in audit_events("amendment.")]
    assert events == [("amendment.rejected", 2, "proposed"), ("amendment.for_vote", 2, "rejected"),
                      ("amendment.for_vote", 1, "proposed")]
    assert third.state == "proposed"


def test_an_amendment_no_longer_applies_after_another_edit(db, group, open_proposal, amend, mship):
    amendment = amend(group, open_proposal, group.members[0], "Every week", "Every day")
    twice = amend(group, open_proposal, group.members[1], "the vans", "our vans")
    ops.edit_proposal(open_proposal, **_as(group, group.author, mship), titles={"en": "Share the vans"},
                      bodies={"en": "We share the vans and the vans' keys.\n\nOnce a month."}, original_language="en")
    assert not amendment.applies_to(open_proposal.bodies["en"])  # gone
    assert not twice.applies_to(open_proposal.bodies["en"])  # twice now
    with pytest.raises(Conflict) as info:
        ops.accept_amendment(amendment, open_proposal, **_as(group, group.author, mship))
    assert "no longer applies" in str(info.value)
    assert amendment.state == "proposed"
    ops.reject_amendment(amendment, open_proposal, "Overtaken", **_as(group, group.author, mship))


# --- the email to the amendment's author -----------------------------------------------------------
def test_the_amendment_author_learns_the_decision_in_their_language(db, group, open_proposal, amend, mship,
                                                                    be, member_account, outbox):
    from governance.workgroups.models import WorkgroupMembership

    french = member_account(be, language="fr")
    db.session.add(WorkgroupMembership(workgroup=group.workgroup, member=french.member, role="member",
                                       status="active", joined_dt=open_proposal.created_dt))
    db.session.flush()
    mine = amend(group, open_proposal, french, "Every week", "Every day")
    english = amend(group, open_proposal, group.members[0], "front desk", "reception")
    assert outbox() == []  # proposing sends nothing
    ops.reject_amendment(mine, open_proposal, "Weekly is enough", **_as(group, group.author, mship))
    ops.accept_amendment(english, open_proposal, **_as(group, group.author, mship))
    [to_french] = outbox(french.email)
    assert to_french.language == "fr" and to_french.to_name == french.display_name
    assert "Weekly is enough" in to_french.body_text
    assert f"/proposals/{open_proposal.id}/amendments/1" in to_french.body_text
    [to_english] = outbox(group.members[0].email)
    assert to_english.language == "en"
    assert to_english.subject == "Your amendment #2 to “Share the vans” was accepted"
    assert "accepted your amendment #2" in to_english.body_text
    # a member who turned workgroup emails off gets none; a facilitator's decision is sent too
    quiet = group.members[1]
    quiet.notify_workgroup_email = False
    third = amend(group, open_proposal, quiet, "", "Bikes too.")
    ops.mark_for_vote(third, open_proposal, **_as(group, group.facilitator, mship))
    assert outbox(quiet.email) == []
    fourth = amend(group, open_proposal, group.members[2], "", "Cars too.")
    ops.mark_for_vote(fourth, open_proposal, **_as(group, group.facilitator, mship))
    [vote] = outbox(group.members[2].email)
    assert "goes to the vote" in vote.subject


# --- the pages -------------------------------------------------------------------------------------
def test_proposing_through_the_page(client, sign_in, group, open_proposal, db):
    sign_in(group.members[0])
    page = page_text(client.get(url(group, open_proposal)))
    new = url(group, open_proposal, "/amendments/new")
    assert f'{new}?lang=en' in page and "No amendments yet." in page
    form = page_text(client.get(new + "?lang=en"))
    assert '<option selected value="en">' in form
    assert '<pre class="source" lang="en">We share the vans.' in form
    data = {"language": "en", "original_excerpt": "Every month", "replacement": "Kept replacement",
            "explanation": "Kept explanation"}
    bad = client.post(new, data=data)
    assert bad.status_code == 422
    text = page_text(bad)
    assert "This passage is not in the current text in English" in text
    assert "Kept replacement" in text and "Kept explanation" in text and "Every month</textarea>" in text
    assert client.post(new, data={**data, "original_excerpt": "Every week", "explanation": ""}).status_code == 422
    assert _count(db, ProposalAmendment) == 0
    response = client.post(new, data={**data, "original_excerpt": "Every week", "replacement": "Every *day*"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(url(group, open_proposal, "/amendments/1"))
    shown = page_text(client.get(response.headers["Location"]))
    assert "<h1>Amendment #1</h1>" in shown
    assert re.search(r"Passage removed:</p>\s*<pre lang=\"en\"><del>Every week</del></pre>", shown)
    assert re.search(r"Replaced by:</p>\s*<pre lang=\"en\"><ins>Every \*day\*</ins></pre>", shown)
    assert "<em>day</em>" in shown and "Kept explanation" in shown
    assert "Withdraw my amendment" in shown and "Accept the amendment" not in shown
    listed = page_text(client.get(url(group, open_proposal)))
    assert "Amendment #1" in listed and "Proposed" in listed and "<del>Every week</del>" in listed


def test_who_may_open_the_form(client, sign_in, switch_to, group, write, open_proposal, be, member_account, db):
    sign_in(group.author)
    assert client.get(url(group, open_proposal, "/amendments/new")).status_code == 403  # an author edits
    switch_to(member_account(be))  # not in the workgroup
    assert client.get(url(group, open_proposal, "/amendments/new")).status_code == 403
    assert "Propose an amendment" not in page_text(client.get(url(group, open_proposal)))
    switch_to(group.author)
    draft = write(group)
    switch_to(group.members[0])
    assert client.get(url(group, draft, "/amendments/new")).status_code == 404  # a draft is not seen
    open_proposal.state, open_proposal.decision_reason = "adopted", "Agreed"
    db.session.flush()
    assert client.get(url(group, open_proposal, "/amendments/new")).status_code == 409
    assert client.post(url(group, open_proposal, "/amendments/new"),
                       data={"language": "en", "original_excerpt": "", "replacement": "x",
                             "explanation": "y"}).status_code == 409


def test_accepting_through_the_page_credits_the_revision(client, sign_in, switch_to, group, open_proposal, amend,
                                                        db):
    amend(group, open_proposal, group.members[0], "Every week", "Every day")
    path = url(group, open_proposal, "/amendments/1")
    sign_in(group.members[1])
    assert client.post(path + "/accept").status_code == 403
    switch_to(group.author)
    assert "Accept the amendment: change the text" in page_text(client.get(path))
    response = client.post(path + "/accept")
    assert response.status_code == 303
    assert "revision 2" in page_text(client.get(response.headers["Location"]))
    db.session.expire_all()
    assert db.session.get(Proposal, open_proposal.id).bodies["en"].startswith("We share the vans.\n\nEvery day")
    name = group.members[0].member.full_name
    page = page_text(client.get(url(group, open_proposal)))
    assert f'<a href="{path}">Amendment #1 by {name}, accepted</a>' in page
    changes = page_text(client.get(url(group, open_proposal, "/changes?to=2")))
    assert f"Amendment #1 by {name}, accepted" in changes and "<ins>Every day, the keys" in changes
    assert client.post(path + "/accept").status_code == 409  # answered already


def test_a_stale_amendment_cannot_be_accepted_on_the_page(client, sign_in, group, open_proposal, amend, mship, db):
    amend(group, open_proposal, group.members[0], "Every week", "Every day")
    ops.edit_proposal(open_proposal, **_as(group, group.author, mship), titles={"en": "Share the vans"},
                      bodies={"en": "We share the vans. Once a month."}, original_language="en")
    sign_in(group.author)
    path = url(group, open_proposal, "/amendments/1")
    page = page_text(client.get(path))
    assert "No longer applies to the current text" in page
    assert '<button type="button" disabled aria-describedby="stale-note">' in page
    assert "No longer applies to the current text" in page_text(client.get(url(group, open_proposal)))
    response = client.post(path + "/accept")
    assert response.status_code == 409
    assert "the amendment no longer applies" in page_text(response)
    assert _count(db, ProposalRevision) == 2


def test_rejecting_through_the_page(client, sign_in, group, open_proposal, amend, db, audit_events):
    amend(group, open_proposal, group.members[0], "Every week", "Every day")
    sign_in(group.author)
    path = url(group, open_proposal, "/amendments/1")
    bad = client.post(path + "/reject", data={"reason": "  "})
    assert bad.status_code == 422 and 'name="reason"' in page_text(bad)
    assert audit_events("amendment.") == []
    response = client.post(path + "/reject", data={"reason": "Weekly is enough."})
    assert response.status_code == 303
    page = page_text(client.get(path))
    assert "Rejected by the authors" in page and "Weekly is enough." in page
    assert client.post(path + "/reject", data={"reason": "Again"}).status_code == 409


def test_putting_to_the_vote_and_withdrawing_through_the_pages(client, sign_in, switch_to, group, open_proposal,
                                                               amend, db):
    amend(group, open_proposal, group.members[0], "Every week", "Every day")
    amend(group, open_proposal, group.members[1], "front desk", "reception")
    first, second = url(group, open_proposal, "/amendments/1"), url(group, open_proposal, "/amendments/2")
    sign_in(group.author)
    assert client.post(first + "/for-vote").status_code == 403
    switch_to(group.facilitator)
    assert "Put the amendment to the vote" in page_text(client.get(first))
    assert client.post(first + "/for-vote").status_code == 303
    assert "To be put to the vote" in page_text(client.get(first))
    assert client.post(second + "/withdraw").status_code == 403  # not the facilitator's amendment
    switch_to(group.members[1])
    assert client.post(second + "/withdraw").status_code == 303
    assert client.post(second + "/withdraw").status_code == 409
    switch_to(group.members[0])
    assert client.post(first + "/withdraw").status_code == 409  # put to the vote: it stays
    db.session.expire_all()
    states = db.session.execute(select(ProposalAmendment.number, ProposalAmendment.state)
                                .order_by(ProposalAmendment.number)).all()
    assert [tuple(s) for s in states] == [(1, "for_vote"), (2, "withdrawn")]


def test_amendments_are_scoped_to_their_proposal_and_workgroup(client, sign_in, switch_to, group, write,
                                                               open_proposal, amend, fr, member_account,
                                                               make_workgroup, db):
    other = write(group, state="discussion", bodies={"en": "Another text."})
    amend(group, open_proposal, group.members[0], "Every week", "Every day")
    amend(group, open_proposal, group.members[0], "front desk", "reception")
    amend(group, other, group.members[0], "Another", "A second")
    sign_in(group.author)
    assert client.get(url(group, other, "/amendments/1")).status_code == 200
    assert client.get(url(group, other, "/amendments/2")).status_code == 404  # #2 belongs to another proposal
    assert client.post(url(group, other, "/amendments/2/accept")).status_code == 404
    # a French member, in a workgroup of their own, changing the ids
    french = member_account(fr)
    own = make_workgroup(title="Outils", members=[french])
    switch_to(french)
    before = db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    for path in ("/amendments/1", "/amendments/new"):
        assert client.get(url(group, open_proposal, path)).status_code == 404
        assert client.get(f"/workgroups/{own.slug}/proposals/{open_proposal.id}{path}").status_code == 404
    for action in ("accept", "reject", "for-vote", "withdraw"):
        assert client.post(url(group, open_proposal, f"/amendments/1/{action}"),
                           data={"reason": "x"}).status_code == 404
        assert client.post(f"/workgroups/{own.slug}/proposals/{open_proposal.id}/amendments/1/{action}",
                           data={"reason": "x"}).status_code == 404
    assert client.post(url(group, open_proposal, "/amendments/new"),
                       data={"language": "en", "original_excerpt": "", "replacement": "x",
                             "explanation": "y"}).status_code == 404
    assert db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == before
    assert db.session.execute(select(func.count()).select_from(ProposalAmendment)
                              .where(ProposalAmendment.state != "proposed")).scalar_one() == 0


def test_amendment_posts_need_the_csrf_token_and_get_changes_nothing(client, sign_in, group, open_proposal, amend,
                                                                    db):
    amend(group, open_proposal, group.members[0], "Every week", "Every day")
    sign_in(group.author)
    for suffix in ("/amendments/new", "/amendments/1/accept", "/amendments/1/reject", "/amendments/1/for-vote",
                   "/amendments/1/withdraw"):
        response = client.post(url(group, open_proposal, suffix),
                               data={"reason": "x", "language": "en", "original_excerpt": "",
                                     "replacement": "More", "explanation": "Why"}, csrf=False)
        assert response.status_code == 400, suffix
        assert "Your form had expired" in page_text(response)
    for suffix in ("/accept", "/reject", "/for-vote", "/withdraw"):
        assert client.get(url(group, open_proposal, "/amendments/1" + suffix)).status_code == 405
    assert db.session.execute(select(ProposalAmendment.state)).scalars().all() == ["proposed"]
    assert db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0


def test_the_proposal_page_reads_its_amendments_in_one_query(client, sign_in, group, write, amend, mship,
                                                             count_queries):
    small = write(group, state="discussion", bodies={"en": BODY})
    big = write(group, state="discussion", bodies={"en": BODY})
    for i, member in enumerate([*group.members, group.other]):
        amend(group, big, member, "", f"Addition {i}.")
    for number in (1, 2):
        ops.accept_amendment(queries.amendment_in(big, number), big, **_as(group, group.author, mship))
    ops.reject_amendment(queries.amendment_in(big, 3), big, "No", **_as(group, group.author, mship))
    sign_in(group.members[0])
    with count_queries() as few:
        assert client.get(url(group, small)).status_code == 200
    with count_queries() as many:
        page = page_text(client.get(url(group, big)))
    assert "Amendment #4" in page and "Amendment #2 by" in page
    assert many.count == few.count, many.statements
