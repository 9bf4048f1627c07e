"""Minutes: a draft per required language with the attendance, the figures and the decision in that language;
edited by the secretary, approved by the chair or the secretary, published; exported as HTML and PDF."""
from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale

from governance.assemblies import minutes as minutes_ops
from governance.assemblies import queries
from governance.assemblies import session as ops
from governance.core.audit import latest_hash
from governance.core.errors import Conflict, NotAllowed
from governance.votes import wording
from tests.assemblies.session_fixtures import *  # noqa: F401,F403

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def trilingual(create_branch):
    return create_branch("LU", names={"en": "Luxembourg", "fr": "Luxembourg", "nl": "Luxemburg"},
                         official_languages=["fr", "nl", "en"], required_languages=["nl", "fr", "en"],
                         timezone="Europe/Luxembourg")


@pytest.fixture
def held(db, convened, people, give_proxy, give_role, in_session, checked_in, trilingual, add_item):
    """An assembly of a branch that requires nl, fr and en, closed after one adopted resolution (3 yes, 1 no,
    1 abstention, with a proxy), one resolution not put to the vote, and a discussion item."""
    everyone = people(6, branch=trilingual)
    chair, secretary = everyone[4], everyone[5]
    assembly = convened(trilingual, resolutions=2, vote_cap=(1, 2), quorum="share:1/2")
    give_role(assembly, "chair", chair)
    give_role(assembly, "secretary", secretary)
    give_proxy(assembly, everyone[0], everyone[1])
    in_session(assembly)
    checked_in(assembly, *everyone[1:], mode="online")
    item = next(i for i in queries.agenda_items(assembly) if i.is_resolution)
    when = assembly.starts_at + HOUR
    ops.open_vote(item, actor=chair, now=when)
    ops.cast_votes(item, {everyone[1].member.id: "yes", everyone[0].member.id: "yes"}, actor=everyone[1], now=when)
    ops.cast_votes(item, {everyone[2].member.id: "yes"}, actor=everyone[2], now=when)
    ops.cast_votes(item, {everyone[3].member.id: "no"}, actor=everyone[3], now=when)
    ops.cast_votes(item, {chair.member.id: "abstain"}, actor=chair, now=when)
    ops.close_vote(item, actor=chair, now=when + HOUR)
    ops.close_session(assembly, actor=chair, now=when + 2 * HOUR)
    return dict(assembly=assembly, chair=chair, secretary=secretary, member=everyone[2])


def test_the_draft_holds_attendance_figures_and_decision_in_each_language(db, held, audit_events):
    assembly = held["assembly"]
    minutes = minutes_ops.generate_minutes(assembly, actor=held["secretary"])
    assert minutes.state == "draft" and minutes.original_language == "en"
    assert sorted(minutes.texts) == ["en", "fr", "nl"]
    en, fr, nl = minutes.texts["en"], minutes.texts["fr"], minutes.texts["nl"]
    # attendance: 5 present online, 1 represented
    assert "- Present: 5 (in the room: 0, online: 5)" in en
    assert "- Represented by proxy: 1" in en and "- Present or represented: 6" in en
    # the resolution's text in each language, its figures and its decision
    assert "Resolution 1: the assembly resolves (en)" in en
    assert "Resolution 1: the assembly resolves (fr)" in fr and "Resolution 1: the assembly resolves (nl)" in nl
    assert "- Yes: 3" in en and "- No: 1" in en and "- Abstentions: 1" in en
    assert "Simple majority: more yes than no votes; abstentions are not counted." in en
    assert "Majority reached: 3 yes against 1 no." in en
    assert "**Decision: Adopted.**" in en
    # the decision sentences come from the wording module, in the minutes' language
    item = next(i for i in queries.agenda_items(assembly) if i.is_resolution)
    decision = ops.stored_decision(item)
    for language, text in (("en", en), ("fr", fr), ("nl", nl)):
        with force_locale(language):
            for sentence in wording.decision_sentences(decision, at_assembly=True)[:-1]:
                assert sentence in text
            assert f"{wording.outcome_label(decision)}.**" in text
    assert "Adoptée" in fr and "Aangenomen" in nl
    # the resolution not put to the vote, and the audit chain's hash
    assert "This resolution was not put to the vote." in en
    assert latest_hash() != "0" * 64
    assert [e.data["languages"] for e in audit_events("assembly.minutes_generated")] == [["en", "nl", "fr"]]


def test_the_secretary_edits_and_the_chair_approves(db, held, audit_events):
    assembly, secretary, chair, member = held["assembly"], held["secretary"], held["chair"], held["member"]
    with pytest.raises(NotAllowed):
        minutes_ops.generate_minutes(assembly, actor=member)
    with pytest.raises(NotAllowed):
        minutes_ops.generate_minutes(assembly, actor=chair)  # the secretary writes them
    minutes = minutes_ops.generate_minutes(assembly, actor=secretary)
    minutes_ops.edit_minutes(minutes, {"en": minutes.texts["en"] + "\nThe chair thanked everyone."},
                             actor=secretary)
    assert "The chair thanked everyone." in minutes.texts["en"]
    with pytest.raises(NotAllowed):
        minutes_ops.approve_minutes(minutes, actor=member)
    before = latest_hash()
    minutes_ops.approve_minutes(minutes, actor=chair)
    assert minutes.state == "approved" and minutes.audit_hash == before
    assert assembly.state == "minutes_approved" and assembly.minutes_approved_dt is not None
    [entry] = audit_events("assembly.minutes_approved")
    assert entry.data["text_hashes"]["en"] == minutes_ops.text_hash(minutes.texts["en"])
    # approved minutes no longer change
    with pytest.raises(Conflict):
        minutes_ops.edit_minutes(minutes, {"en": "Rewritten."}, actor=None)
    with pytest.raises(Conflict):
        minutes_ops.generate_minutes(assembly, actor=None)
    minutes_ops.publish_minutes(minutes, actor=secretary)
    assert minutes.state == "published" and minutes.published_dt is not None
    assert [e.event for e in audit_events("assembly.minutes_")][-2:] == ["assembly.minutes_approved",
                                                                          "assembly.minutes_published"]


def test_minutes_wait_for_the_close(db, convened, people, in_session):
    people(1)
    assembly = convened()
    in_session(assembly)
    with pytest.raises(Conflict):
        minutes_ops.generate_minutes(assembly, actor=None)


def test_exports(db, held):
    minutes = minutes_ops.generate_minutes(held["assembly"], actor=None)
    minutes_ops.approve_minutes(minutes, actor=None)
    html = minutes_ops.minutes_html(minutes, "fr")
    assert html.startswith("<!doctype html>") and '<html lang="fr">' in html
    assert "<h1>" in html and html.count("<h1>") == 1
    assert "Resolution 1: the assembly resolves (fr)" in html and minutes.audit_hash in html
    pdf = minutes_ops.minutes_pdf(minutes, "nl")
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_the_languages_of_the_minutes(db, make_assembly, be):
    assembly = make_assembly(be, original_language="fr")
    assert minutes_ops.minutes_languages(assembly) == ["fr", "nl"]
    cooperative = make_assembly(None, original_language="en")
    assert minutes_ops.minutes_languages(cooperative) == ["fr", "nl"]  # every branch's required languages
