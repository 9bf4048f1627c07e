"""Members translate proposals and comments: credit and review, translations of an earlier version, what readers
see (their language, or the original with a notice and the other versions), permissions, validation, CSRF and
query counts."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from governance.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from governance.demo import DEMO_PASSWORD, load_demo
from governance.members.models import Member
from governance.proposals import operations as ops
from governance.proposals import queries
from governance.proposals.models import (
    CommentTranslation,
    Proposal,
    ProposalRevision,
    ProposalTranslation,
)
from governance.workgroups.models import Workgroup
from tests.proposals.conftest import url
from tests.workgroups.conftest import page_text

FR_TITLE = "Partager les camionnettes"
FR_BODY = "Nous **partageons** les camionnettes.\n\nChaque semaine."


def _count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _as(group, account, mship) -> dict:
    return {"actor": account, "membership": mship(group.workgroup, account)}


@pytest.fixture
def french(write):
    """``french(group)`` → a proposal in discussion written in French only."""

    def make(group, **kw):
        return write(group, state="discussion", titles={"fr": FR_TITLE}, bodies={"fr": FR_BODY},
                     original_language="fr", **kw)

    return make


@pytest.fixture
def translate(mship):
    """``translate(group, proposal, account, language="en", title=…, body=…)`` through the operation."""

    def do(group, proposal, account, language="en", title="Share the vans", body="We **share** the vans."):
        return ops.translate_proposal(proposal, language, title, body, **_as(group, account, mship))

    return do


@pytest.fixture
def comment(mship):
    def write(group, proposal, account, body="Une remarque en *français*.", parent=None):
        return ops.add_comment(proposal, body, actor=account, membership=mship(group.workgroup, account),
                               parent=parent)

    return write


def turl(group, proposal, language="en") -> str:
    return url(group, proposal, f"/translate/{language}")


def curl(group, proposal, comment, suffix="") -> str:
    return url(group, proposal, f"/comments/{comment.id}{suffix}")


# --- proposals: operations -------------------------------------------------------------------------
def test_translating_a_proposal_credits_the_translator(db, group, french, translate):
    proposal = french(group)
    translator = group.members[0]
    translation = translate(group, proposal, translator)
    assert (translation.language, translation.translator_id) == ("en", translator.member.id)
    assert proposal.titles == {"fr": FR_TITLE, "en": "Share the vans"}
    assert proposal.bodies["en"] == "We **share** the vans."
    assert proposal.original_language == "fr" and not translation.is_reviewed
    # the translation is a revision of the texts, by the translator
    revision = db.session.execute(select(ProposalRevision).where(ProposalRevision.proposal_id == proposal.id)
                                  .order_by(ProposalRevision.number.desc()).limit(1)).scalar_one()
    assert (revision.number, revision.author_id) == (translation.revision_number, translator.member.id)
    assert revision.titles["en"] == "Share the vans"
    # the same texts again: nothing changes
    assert translate(group, proposal, group.members[1]) is None
    # an update credits the latest translator
    updated = translate(group, proposal, group.members[1], body="We share the **vans**.")
    assert updated.id == translation.id and updated.translator_id == group.members[1].member.id
    assert updated.revision_number == revision.number + 1
    assert _count(db, ProposalTranslation) == 1


def test_review_by_a_facilitator_not_by_the_translator(db, group, french, translate, mship, audit_events):
    proposal = french(group)
    translate(group, proposal, group.members[0])
    with pytest.raises(NotAllowed):  # a member who does not facilitate
        ops.review_proposal_translation(proposal, "en", **_as(group, group.members[1], mship))
    with pytest.raises(NotFound):
        ops.review_proposal_translation(proposal, "nl", **_as(group, group.facilitator, mship))
    reviewed = ops.review_proposal_translation(proposal, "en", **_as(group, group.facilitator, mship))
    assert reviewed.is_reviewed and reviewed.reviewed_by_id == group.facilitator.id
    with pytest.raises(Conflict):
        ops.review_proposal_translation(proposal, "en", **_as(group, group.facilitator, mship))
    [entry] = audit_events("proposal.translation_reviewed")
    assert entry.data["language"] == "en" and entry.actor_id == group.facilitator.id
    # an update clears the review
    translate(group, proposal, group.members[1], title="Sharing the vans")
    assert not reviewed.is_reviewed
    # the facilitator's own translation: someone else reviews it
    translate(group, proposal, group.facilitator, language="nl", title="De bestelwagens delen", body="Wij delen.")
    with pytest.raises(NotAllowed, match="your own translation"):
        ops.review_proposal_translation(proposal, "nl", **_as(group, group.facilitator, mship))
    ops.review_proposal_translation(proposal, "en", **_as(group, group.facilitator, mship))
    ops.review_proposal_translation(proposal, "en", reviewed=False, **_as(group, group.facilitator, mship))
    assert not reviewed.is_reviewed
    assert [e.event for e in audit_events("proposal.translation")] == [
        "proposal.translation_reviewed", "proposal.translation_reviewed", "proposal.translation_review_withdrawn"]


def test_what_can_be_translated(db, group, french, write, translate, member_account, be):
    proposal = french(group)
    with pytest.raises(InvalidInput):  # the original language
        translate(group, proposal, group.members[0], language="fr")
    with pytest.raises(InvalidInput):  # a language the workgroup does not translate into
        translate(group, proposal, group.members[0], language="it")
    with pytest.raises(InvalidInput):
        translate(group, proposal, group.members[0], title="   ")
    with pytest.raises(InvalidInput):
        translate(group, proposal, group.members[0], body="x" * (ops.BODY_MAX + 1))
    with pytest.raises(NotAllowed):  # not a member of the workgroup
        translate(group, proposal, member_account(be))
    # the Belgian workgroup translates into its working languages and Belgium's official ones
    assert translate(group, proposal, group.members[0], language="de", title="Die Lieferwagen teilen").language == "de"
    # a version the authors wrote is theirs
    both = write(group, state="discussion", titles={"en": "Vans", "nl": "Bestelwagens"},
                 bodies={"en": "Share.", "nl": "Delen."})
    with pytest.raises(ops.AuthorsVersion):
        translate(group, both, group.members[0], language="nl")
    # a draft: only its authors comment on it, and translate it
    draft = write(group, titles={"fr": FR_TITLE}, bodies={"fr": FR_BODY}, original_language="fr")
    with pytest.raises(NotAllowed):
        translate(group, draft, group.members[0])
    assert _count(db, ProposalTranslation) == 1


def test_the_languages_a_workgroup_translates_into(group, make_workgroup, be, fr):
    from governance.proposals.permissions import translation_languages

    # working languages, then the official languages of its branches
    assert translation_languages(group.workgroup) == ["en", "fr", "nl", "de"]
    assert translation_languages(make_workgroup(branches=[fr], working_languages=("en",))) == ["en", "fr"]
    # the whole cooperative: the portal's languages too
    assert translation_languages(make_workgroup(working_languages=("fr", "en"))) == ["fr", "en", "nl", "de"]


def test_an_edit_of_the_original_leaves_a_translation_of_an_earlier_version(group, french, translate, mship):
    proposal = french(group)
    translation = translate(group, proposal, group.members[0])
    ops.review_proposal_translation(proposal, "en", **_as(group, group.facilitator, mship))

    def versions():
        return {v.language: v for v in queries.language_versions(
            proposal, queries.proposal_translations(proposal), queries.revisions(proposal))}

    assert not versions()["en"].is_earlier
    author = _as(group, group.author, mship)
    # the authors edit another version: the translation still translates the original
    ops.edit_proposal(proposal, titles={**proposal.titles, "nl": "Bestelwagens"},
                      bodies={**proposal.bodies, "nl": "Delen."}, original_language="fr", **author)
    assert not versions()["en"].is_earlier and versions()["nl"].by_authors
    # they edit the original: the translation is of an earlier version, and cannot be reviewed as it is
    ops.edit_proposal(proposal, titles=dict(proposal.titles), bodies={**proposal.bodies, "fr": FR_BODY + " Ou deux."},
                      original_language="fr", **author)
    assert versions()["en"].is_earlier and versions()["en"].translation.revision_number == translation.revision_number
    ops.review_proposal_translation(proposal, "en", reviewed=False, **_as(group, group.facilitator, mship))
    with pytest.raises(ops.TranslationOfEarlierVersion):
        ops.review_proposal_translation(proposal, "en", **_as(group, group.facilitator, mship))
    # saving the translation again (even unchanged) brings it up to date
    assert translate(group, proposal, group.members[1]) is not None
    assert not versions()["en"].is_earlier
    ops.review_proposal_translation(proposal, "en", **_as(group, group.facilitator, mship))


def test_the_authors_editing_a_translation_make_it_theirs(db, group, french, translate, mship):
    proposal = french(group)
    translate(group, proposal, group.members[0])
    translate(group, proposal, group.members[0], language="nl", title="De bestelwagens delen", body="Wij delen.")
    author = _as(group, group.author, mship)
    # their form saves every language: the versions left as they were stay translations
    ops.edit_proposal(proposal, titles={**proposal.titles, "fr": "Partager les camionnettes !"},
                      bodies=dict(proposal.bodies), original_language="fr", **author)
    assert {t.language for t in db.session.execute(select(ProposalTranslation)).scalars()} == {"en", "nl"}
    # the one they change becomes theirs
    ops.edit_proposal(proposal, titles={**proposal.titles, "en": "Sharing the vans"},
                      bodies=dict(proposal.bodies), original_language="fr", **author)
    assert {t.language for t in db.session.execute(select(ProposalTranslation)).scalars()} == {"nl"}
    # and a translation made the original is no longer a translation
    ops.edit_proposal(proposal, titles=dict(proposal.titles), bodies=dict(proposal.bodies), original_language="nl",
                      **author)
    assert _count(db, ProposalTranslation) == 0


# --- proposals: what readers see -------------------------------------------------------------------
def test_a_reader_without_a_version_sees_the_original_with_a_notice(client, sign_in, group, french):
    proposal = french(group)
    sign_in(group.members[0])
    page = page_text(client.get(url(group, proposal)))
    assert f'<h1 lang="fr">{FR_TITLE}</h1>' in page
    assert "shown in its original language, French" in page
    assert f'href="{turl(group, proposal)}">Translate it into English</a>' in page
    assert re.search(r"<strong lang=\"fr\">Français</strong> \(original\)", page)
    # the translations section offers the workgroup's languages
    assert "not translated yet" in page and f'href="{turl(group, proposal, "nl")}"' in page
    assert f'href="{turl(group, proposal, "fr")}"' not in page


def test_a_reader_sees_the_translation_with_its_credit(client, sign_in, group, french, translate, mship):
    proposal = french(group)
    translator = group.members[0]
    translate(group, proposal, translator)
    sign_in(group.members[1])
    page = page_text(client.get(url(group, proposal)))
    assert "<h1>Share the vans</h1>" in page and "We <strong>share</strong> the vans." in page
    assert "does not exist in your language" not in page
    name = translator.member.full_name
    assert f"Translated from French by {name}" in page and "not reviewed yet" in page
    assert f'href="{url(group, proposal)}?lang=fr" hreflang="fr">Read the original</a>' in page
    assert f"translated by {name}, not reviewed yet" in page
    # the original, asked for
    page = page_text(client.get(url(group, proposal) + "?lang=fr"))
    assert f'<h1 lang="fr">{FR_TITLE}</h1>' in page and "Nous <strong>partageons</strong>" in page
    assert f'<a href="{url(group, proposal)}?lang=en" lang="en" hreflang="en">English</a> (translated by {name}' in page
    # reviewed
    ops.review_proposal_translation(proposal, "en", **_as(group, group.facilitator, mship))
    page = page_text(client.get(url(group, proposal)))
    assert "reviewed by a facilitator" in page and f"translated by {name}, reviewed)" in page


def test_a_translation_of_an_earlier_version_says_so(client, sign_in, group, french, translate, mship):
    proposal = french(group)
    translation = translate(group, proposal, group.members[0])
    ops.edit_proposal(proposal, titles=dict(proposal.titles), bodies={**proposal.bodies, "fr": "Autre texte."},
                      original_language="fr", **_as(group, group.author, mship))
    sign_in(group.members[1])
    page = page_text(client.get(url(group, proposal)))
    assert (f"This is a translation of an earlier version of the proposal (revision {translation.revision_number})"
            in page)
    assert f'href="{turl(group, proposal)}">Update the translation</a>' in page
    assert f"translation of an earlier version (revision {translation.revision_number})" in page
    form = page_text(client.get(turl(group, proposal)))
    assert "This translation is of an earlier version" in form and "Autre texte." in form


def test_translating_through_the_pages(client, sign_in, db, group, french):
    proposal = french(group)
    sign_in(group.members[0])
    form = page_text(client.get(turl(group, proposal)))
    assert "<h1>Translate the proposal into English</h1>" in form
    assert f'<p class="original-title" lang="fr"><strong>{FR_TITLE}</strong></p>' in form
    assert '<pre class="markdown-source" lang="fr">Nous **partageons** les camionnettes.' in form
    assert 'lang="en"' in form and 'name="title"' in form
    # invalid: 422, the text typed is kept, nothing is written
    bad = client.post(turl(group, proposal), data={"title": "", "body": "Kept translation"})
    assert bad.status_code == 422 and "Kept translation</textarea>" in page_text(bad)
    assert _count(db, ProposalTranslation) == 0 and "en" not in proposal.titles
    response = client.post(turl(group, proposal), data={"title": "Share the vans", "body": "We share the vans."})
    assert response.status_code == 303 and response.headers["Location"].endswith(url(group, proposal))
    assert "The translation has been saved." in page_text(client.get(url(group, proposal)))
    # the form of an existing translation is filled with it
    assert 'value="Share the vans"' in page_text(client.get(turl(group, proposal)))
    # into another language than the reader's: back to that version
    response = client.post(turl(group, proposal, "nl"), data={"title": "Bestelwagens", "body": "Delen."})
    assert response.headers["Location"].endswith("?lang=nl")


def test_review_through_the_page(client, sign_in, group, french, translate, audit_events):
    proposal = french(group)
    translate(group, proposal, group.members[0])
    review = url(group, proposal, "/translations/en/review")
    sign_in(group.members[1])
    assert f'action="{review}"' not in page_text(client.get(url(group, proposal)))
    assert client.post(review).status_code == 403
    client.post("/account/sign-out")
    sign_in(group.facilitator)
    assert f'action="{review}"' in page_text(client.get(url(group, proposal)))
    assert client.post(review).status_code == 303
    assert client.post(review).status_code == 409  # reviewed already
    page = page_text(client.get(url(group, proposal)))
    assert "reviewed by a facilitator" in page and url(group, proposal, "/translations/en/unreview") in page
    assert client.post(url(group, proposal, "/translations/nl/review")).status_code == 404
    assert client.post(url(group, proposal, "/translations/en/unreview")).status_code == 303
    assert len(audit_events("proposal.translation_review")) == 2


def test_who_reaches_the_translation_pages(client, sign_in, group, french, write, member_account, be, fr):
    proposal = french(group)
    sign_in(member_account(fr))  # outside the workgroup's branch: it does not exist
    assert client.get(turl(group, proposal)).status_code == 404
    client.post("/account/sign-out")
    sign_in(member_account(be))  # sees it, is not a member of the workgroup
    assert client.get(turl(group, proposal)).status_code == 403
    assert "Translate it into" not in page_text(client.get(url(group, proposal)))
    assert client.post(turl(group, proposal), data={"title": "x", "body": "y"}).status_code == 403
    client.post("/account/sign-out")
    sign_in(group.members[0])
    assert client.get(turl(group, proposal, "fr")).status_code == 404  # the original
    assert client.get(turl(group, proposal, "it")).status_code == 404  # not a language of the workgroup
    both = write(group, state="discussion", titles={"en": "Vans", "nl": "Bestelwagens"},
                 bodies={"en": "Share.", "nl": "Delen."})
    refused = client.get(turl(group, both, "nl"))
    assert refused.status_code == 409 and "The authors wrote this language version" in page_text(refused)
    assert "by the authors" in page_text(client.get(url(group, both)))


# --- comments --------------------------------------------------------------------------------------
def test_translating_a_comment(db, group, french, comment, mship):
    proposal = french(group)
    mine = comment(group, proposal, group.members[0])
    translator = _as(group, group.members[1], mship)
    translation = ops.translate_comment(mine, proposal, "en", "A remark in *French*.", source_language="fr",
                                        **translator)
    assert (translation.language, translation.source_language) == ("en", "fr")
    assert translation.translator_id == group.members[1].member.id and not translation.is_stale(mine)
    assert ops.translate_comment(mine, proposal, "en", "A remark in *French*.", source_language="fr",
                                 **translator) is None
    # the language it is written in defaults to what an earlier translation said
    nl = ops.translate_comment(mine, proposal, "nl", "Een opmerking.", **_as(group, group.members[2], mship))
    assert nl.source_language == "fr"
    with pytest.raises(InvalidInput):
        ops.translate_comment(mine, proposal, "fr", "Pareil.", source_language="fr", **translator)
    with pytest.raises(InvalidInput):
        ops.translate_comment(mine, proposal, "en", "  ", source_language="fr", **translator)
    with pytest.raises(InvalidInput):
        ops.translate_comment(mine, proposal, "it", "Un'osservazione.", source_language="fr", **translator)
    # review: facilitators, not of their own, not of a stale one
    with pytest.raises(NotAllowed):
        ops.review_comment_translation(mine, proposal, "en", **translator)
    ops.review_comment_translation(mine, proposal, "en", **_as(group, group.facilitator, mship))
    assert translation.is_reviewed
    # the author edits the comment: the translations are stale until updated
    ops.edit_comment(mine, proposal, "Une remarque corrigée.", **_as(group, group.members[0], mship))
    assert translation.is_stale(mine) and nl.is_stale(mine)
    with pytest.raises(ops.TranslationOfEarlierVersion):
        ops.review_comment_translation(mine, proposal, "nl", **_as(group, group.facilitator, mship))
    updated = ops.translate_comment(mine, proposal, "en", "A corrected remark.", **_as(group, group.author, mship))
    assert updated.id == translation.id and not updated.is_stale(mine) and not updated.is_reviewed
    assert updated.translator_id == group.author.member.id


def test_deleted_and_hidden_comments_are_not_translated(group, french, comment, mship):
    proposal = french(group)
    gone, hidden = comment(group, proposal, group.members[0]), comment(group, proposal, group.members[0])
    ops.delete_comment(gone, proposal, **_as(group, group.members[0], mship))
    ops.hide_comment(hidden, proposal, "Off topic", **_as(group, group.facilitator, mship))
    for target in (gone, hidden):
        with pytest.raises(NotAllowed):
            ops.translate_comment(target, proposal, "en", "Text", source_language="fr",
                                  **_as(group, group.members[1], mship))


def test_a_reader_sees_a_comment_in_their_language(client, sign_in, db, group, french, comment, mship):
    proposal = french(group)
    group.members[0].member.language = "fr"  # (comments in the reader's language offer no translation)
    db.session.flush()
    mine = comment(group, proposal, group.members[0])
    untranslated = comment(group, proposal, group.members[0], "Sans traduction.")
    ops.translate_comment(mine, proposal, "en", "A remark in *French*.", source_language="fr",
                          **_as(group, group.members[1], mship))
    sign_in(group.members[2])
    page = page_text(client.get(url(group, proposal)))
    name = group.members[1].member.full_name
    assert '<div class="description" lang="en"><p>A remark in <em>French</em>.</p>' in page
    assert f"Translated from French by {name}" in page
    assert re.search(r"<summary>Show the original<span class=\"visually-hidden\"> of comment \d+</span></summary>\s*"
                     r"<div class=\"description\" lang=\"fr\"><p>Une remarque en <em>français</em>.</p>", page)
    assert "Sans traduction." in page
    assert f'href="{curl(group, proposal, mine, "/translate/en")}">Update the translation' in page
    assert f'href="{curl(group, proposal, untranslated, "/translate/en")}">Translate into English' in page
    english = comment(group, proposal, group.members[1], "Written in English.")
    page = page_text(client.get(url(group, proposal)))
    assert "Written in English." in page and curl(group, proposal, english, "/translate/en") not in page
    # ?lang=fr: the comments in French, as written
    page = page_text(client.get(url(group, proposal) + "?lang=fr"))
    assert "A remark in" not in page and "Une remarque en <em>français</em>" in page
    # the author edits the comment: readers are told the translation is of an earlier version
    ops.edit_comment(mine, proposal, "Une remarque corrigée.", **_as(group, group.members[0], mship))
    assert "translation of an earlier version of the comment" in page_text(client.get(url(group, proposal)))


def test_translating_a_comment_through_the_pages(client, sign_in, db, group, french, comment, member_account, be,
                                                 fr, audit_events):
    proposal = french(group)
    mine = comment(group, proposal, group.members[0])
    target = curl(group, proposal, mine, "/translate/en")
    sign_in(group.members[1])
    form = page_text(client.get(target))
    assert "<h1>Translate a comment into English</h1>" in form
    assert "Une remarque en <em>français</em>." in form and '<option value="en">' not in form
    bad = client.post(target, data={"source_language": "fr", "body": ""})
    assert bad.status_code == 422 and _count(db, CommentTranslation) == 0
    assert client.post(target, data={"source_language": "xx", "body": "Kept"}).status_code == 422
    response = client.post(target, data={"source_language": "fr", "body": "A remark."})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#comment-{mine.id}")
    assert '<option selected value="fr">' in page_text(client.get(target))
    assert client.get(curl(group, proposal, mine, "/translate/it")).status_code == 404
    # review from the proposal page
    review = curl(group, proposal, mine, "/translations/en/review")
    assert client.post(review).status_code == 403
    client.post("/account/sign-out")
    sign_in(group.facilitator)
    assert f'action="{review}"' in page_text(client.get(url(group, proposal)))
    assert client.post(review).status_code == 303
    assert [e.event for e in audit_events("comment.translation")] == ["comment.translation_reviewed"]
    # outside the workgroup
    client.post("/account/sign-out")
    sign_in(member_account(be))
    assert client.get(target).status_code == 403
    client.post("/account/sign-out")
    sign_in(member_account(fr))
    assert client.get(target).status_code == 404


def test_translation_forms_need_the_csrf_token(client, sign_in, db, group, french, comment, translate, mship):
    proposal = french(group)
    mine = comment(group, proposal, group.members[0])
    translate(group, proposal, group.members[0])
    ops.translate_comment(mine, proposal, "en", "A remark.", source_language="fr",
                          **_as(group, group.members[1], mship))
    sign_in(group.facilitator)
    routes = [turl(group, proposal, "nl"), url(group, proposal, "/translations/en/review"),
              curl(group, proposal, mine, "/translate/nl"), curl(group, proposal, mine, "/translations/en/review")]
    for route in routes:
        response = client.post(route, data={"title": "x", "body": "x", "source_language": "fr"}, csrf=False)
        assert response.status_code == 400, route
    assert _count(db, ProposalTranslation) == 1 and _count(db, CommentTranslation) == 1
    assert db.session.execute(select(ProposalTranslation)).scalar_one().reviewed_dt is None


# --- query counts ----------------------------------------------------------------------------------
def test_the_page_does_not_grow_with_translated_comments(client, sign_in, group, french, comment, translate, mship,
                                                         count_queries):
    small, big = french(group), french(group)
    people = [group.author, *group.members]
    for proposal, n in ((small, 3), (big, 60)):
        translate(group, proposal, group.members[0])
        for i in range(n):
            made = comment(group, proposal, people[i % len(people)], f"Remarque {i}")
            reply = comment(group, proposal, people[(i + 1) % len(people)], f"Réponse {i}", parent=made)
            for target in (made, reply):
                ops.translate_comment(target, proposal, "en", f"Translated {target.id}", source_language="fr",
                                      **_as(group, people[(i + 2) % len(people)], mship))
    sign_in(group.facilitator)
    with count_queries() as few:
        assert client.get(url(group, small)).status_code == 200
    with count_queries() as many:
        page = page_text(client.get(url(group, big)))
    assert page.count("Translated from French by") >= 100
    assert many.count == few.count, many.statements


# --- the demo --------------------------------------------------------------------------------------
def test_the_demo_has_a_translated_proposal_and_comment(client, db):
    load_demo()
    db.session.commit()
    translation = db.session.execute(select(ProposalTranslation)).scalar_one()
    assert translation.language == "nl" and translation.is_reviewed
    proposal = db.session.get(Proposal, translation.proposal_id)
    assert {t.language: t.is_reviewed for t in db.session.execute(select(CommentTranslation)).scalars()} == {
        "nl": True, "fr": False}
    # the member persona reads Dutch: she sees the Dutch translation, its credit, and the comment in Dutch
    assert client.post("/account/sign-in", data={"email": "an.peeters@demo.coop", "password": DEMO_PASSWORD}
                       ).status_code == 302
    slug = db.session.get(Workgroup, proposal.workgroup_id).slug
    page = page_text(client.get(f"/workgroups/{slug}/proposals/{proposal.id}"))
    assert "<h1>Eén gedeelde agenda voor de bestelwagens</h1>" in page
    assert db.session.get(Member, translation.translator_id).full_name in page
    assert "Kan de agenda ook tonen <strong>welke afdeling</strong>" in page
    assert '<div class="description" lang="en"><p>Could the calendar also show <strong>which branch</strong>' in page


def test_an_accepted_amendment_to_a_translation_makes_that_version_the_authors(db, group, french, translate, mship):
    proposal = french(group)
    translate(group, proposal, group.members[0])  # "We **share** the vans."
    amendment = ops.propose_amendment(proposal, **_as(group, group.members[1], mship), language="en", original_excerpt="the vans", replacement="the vans and bikes",
                                      explanation="Bikes too.")
    ops.accept_amendment(amendment, proposal, **_as(group, group.author, mship))
    assert proposal.bodies["en"] == "We **share** the vans and bikes."
    # the translator no longer answers for text the authors changed; the French original is untouched
    assert _count(db, ProposalTranslation) == 0
    assert proposal.bodies["fr"] == FR_BODY
