"""The index follows proposals and comments without the proposals' operations calling it: created, edited,
translated, deleted, hidden and shown again; and a full reindex gives the same entries."""
from __future__ import annotations

from sqlalchemy import delete, func, select, text

from governance.proposals import operations as ops
from governance.proposals.models import CommentTranslation, ProposalState
from governance.search.indexing import plain_text, reindex_all
from governance.search.models import SearchEntry


def test_plain_text_drops_markdown_but_keeps_the_words():
    source = ("## Vans\n\nWe **share** the [vans](https://example.org/vans) & *bikes*.\n\n"
              "- one\n- two\n\n<script>alert(1)</script> \x02odd\x03")
    text = plain_text(source)
    assert "**" not in text and "##" not in text and "example.org" not in text
    assert "We share the vans & bikes." in text
    assert "one\ntwo" in text
    # raw HTML was never markup (the renderer escapes it): it stays as words, to be escaped where shown
    assert "<script>alert(1)</script>" in text
    assert "\x02" not in text and "\x03" not in text
    assert plain_text("") == plain_text(None) == ""


def test_a_proposal_is_indexed_in_each_of_its_languages_and_follows_edits(db, group, write, mship, entries):
    proposal = write(group, titles={"en": "Share the vans", "fr": "Partager les camionnettes"},
                     bodies={"en": "We **share** the vans.", "fr": "Nous partageons les camionnettes."})
    assert entries("proposal", proposal.id) == {
        "en": ("Share the vans", "We share the vans."),
        "fr": ("Partager les camionnettes", "Nous partageons les camionnettes."),
    }
    ops.edit_proposal(proposal, actor=group.author, membership=mship(group.workgroup, group.author),
                      titles={"en": "Share the bikes"}, bodies={"en": "We share the bikes."}, original_language="en")
    assert entries("proposal", proposal.id) == {"en": ("Share the bikes", "We share the bikes.")}


def test_a_state_change_does_not_rewrite_the_entries(db, group, write, mship):
    proposal = write(group)
    before = db.session.execute(select(SearchEntry.id, SearchEntry.updated_dt)
                                .where(SearchEntry.object_id == proposal.id)).all()
    ops.change_state(proposal, ProposalState.discussion, actor=group.author,
                     membership=mship(group.workgroup, group.author))
    after = db.session.execute(select(SearchEntry.id, SearchEntry.updated_dt)
                               .where(SearchEntry.object_id == proposal.id)).all()
    assert after == before


def test_comments_are_indexed_and_leave_the_index_when_deleted_or_hidden(db, group, write, mship, comment, entries):
    proposal = write(group, state="discussion")
    member = group.members[0]  # writes in English (the member's language)
    written = comment(group, proposal, member, "The *vans* are often free on Sundays.")
    assert entries("comment", written.id) == {"en": ("", "The vans are often free on Sundays.")}

    ops.edit_comment(written, proposal, "The vans are free on Mondays.", actor=member,
                     membership=mship(group.workgroup, member))
    assert entries("comment", written.id) == {"en": ("", "The vans are free on Mondays.")}

    ops.hide_comment(written, proposal, "Off topic", actor=group.facilitator,
                     membership=mship(group.workgroup, group.facilitator))
    assert entries("comment", written.id) == {}
    ops.unhide_comment(written, proposal, actor=group.facilitator,
                       membership=mship(group.workgroup, group.facilitator))
    assert entries("comment", written.id) == {"en": ("", "The vans are free on Mondays.")}

    ops.delete_comment(written, proposal, actor=member, membership=mship(group.workgroup, member))
    assert entries("comment", written.id) == {}


def test_a_comment_translation_is_indexed_in_its_language(db, group, write, comment, entries):
    proposal = write(group, state="discussion")
    written = comment(group, proposal, group.members[0], "Les camionnettes sont libres le dimanche.")
    # the translator says the comment is in French (its author reads the portal in English)
    translation = CommentTranslation(comment_id=written.id, language="en", source_language="fr",
                                     body="The vans are free on Sundays.", translator_id=group.members[1].member.id,
                                     source_written_dt=written.created_dt)
    db.session.add(translation)
    db.session.flush()
    assert entries("comment", written.id) == {"fr": ("", "Les camionnettes sont libres le dimanche."),
                                              "en": ("", "The vans are free on Sundays.")}
    translation.body = "The vans are free every Sunday."
    db.session.flush()
    assert entries("comment", written.id)["en"] == ("", "The vans are free every Sunday.")
    db.session.delete(translation)
    db.session.flush()
    assert entries("comment", written.id) == {"en": ("", "Les camionnettes sont libres le dimanche.")}


def test_an_operation_rolled_back_leaves_no_entry(db, group, write, entries):
    savepoint = db.session.begin_nested()
    proposal_id = write(group, titles={"en": "Never saved"}).id
    assert entries("proposal", proposal_id)
    savepoint.rollback()
    assert entries("proposal", proposal_id) == {}


def test_reindex_all_rebuilds_the_same_entries(db, group, write, comment, find):
    proposal = write(group, state="discussion", titles={"en": "Share the vans", "nl": "Deel de busjes"},
                     bodies={"en": "Vans", "nl": "Busjes"})
    comment(group, proposal, group.members[0], "Busjes op zondag")
    comment(group, proposal, group.members[1], "Hidden soon")

    def snapshot():
        return sorted(db.session.execute(select(SearchEntry.kind, SearchEntry.object_id, SearchEntry.language,
                                                SearchEntry.title, SearchEntry.text)).all())

    before = snapshot()
    db.session.execute(delete(SearchEntry))  # a bulk statement: the session events do not see it
    assert find("busjes", group.members[0]) == []
    assert reindex_all(db.session) == {"proposal": 2, "comment": 2}
    assert snapshot() == before
    assert {kind for kind, _, _ in find("busjes", group.members[0])} == {"proposal", "comment"}
    assert db.session.execute(select(func.count()).select_from(SearchEntry)).scalar_one() == 4


def test_deleting_a_proposal_removes_its_entries_and_keeps_the_full_text_index_consistent(
        db, group, write, comment, find, entries, dialect):
    from governance.proposals.models import Proposal

    proposal = write(group, state="discussion", titles={"en": "Doomed vans"})
    talk = comment(group, proposal, group.members[0], "Doomed comment about vans")
    kept = write(group, state="discussion", titles={"en": "Kept vans"})
    # a bulk DELETE: no session event, the foreign keys cascade (and on SQLite the triggers follow them)
    db.session.execute(delete(Proposal).where(Proposal.id == proposal.id))
    assert entries("proposal", proposal.id) == {} and entries("comment", talk.id) == {}
    assert find("vans", group.members[0]) == [("proposal", kept.id, "en")]
    if dialect == "sqlite":
        db.session.execute(text("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)"))
