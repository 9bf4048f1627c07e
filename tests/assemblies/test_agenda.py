"""The agenda: items in order, resolutions and their rules, statute changes, and no change once convened."""
from __future__ import annotations

import pytest

from governance.assemblies import operations as ops, queries
from governance.core.errors import InvalidInput, NotAllowed

from .conftest import texts


def titles(assembly):
    return [(item.position, item.titles["en"]) for item in queries.agenda_items(assembly)]


def test_items_are_numbered_in_order(db, make_assembly, add_item):
    assembly = make_assembly()
    for name in ("A", "B", "C"):
        add_item(assembly, title=name)
    assert titles(assembly) == [(1, "A (en)"), (2, "B (en)"), (3, "C (en)")]


def test_move_up_and_down_and_at_the_ends(db, make_assembly, add_item, admin, audit_events):
    assembly = make_assembly()
    a, b, c = (add_item(assembly, title=name) for name in ("A", "B", "C"))
    ops.move_agenda_item(c, "up", actor=admin)
    assert titles(assembly) == [(1, "A (en)"), (2, "C (en)"), (3, "B (en)")]
    ops.move_agenda_item(a, "down", actor=admin)
    assert titles(assembly) == [(1, "C (en)"), (2, "A (en)"), (3, "B (en)")]
    ops.move_agenda_item(c, "up", actor=admin)  # already first: nothing moves
    ops.move_agenda_item(b, "down", actor=admin)
    assert titles(assembly) == [(1, "C (en)"), (2, "A (en)"), (3, "B (en)")]
    with pytest.raises(InvalidInput):
        ops.move_agenda_item(b, "sideways", actor=admin)
    assert len([e for e in audit_events("assembly.agenda_item_moved")]) == 2


def test_delete_renumbers(db, make_assembly, add_item, admin):
    assembly = make_assembly()
    a, b, c = (add_item(assembly, title=name) for name in ("A", "B", "C"))
    ops.delete_agenda_item(a, actor=admin)
    assert titles(assembly) == [(1, "B (en)"), (2, "C (en)")]
    add_item(assembly, title="D")
    assert titles(assembly)[-1] == (3, "D (en)")


def test_update_turns_an_item_into_a_resolution(db, make_assembly, add_item, admin):
    assembly = make_assembly()
    item = add_item(assembly)
    ops.update_agenda_item(item, actor=admin, kind="resolution", titles=texts("Vote"), texts={},
                           original_language="en", resolution_texts=texts("We decide"), majority="absolute",
                           quorum="count:50", authoritative_language="fr")
    assert item.is_resolution and item.resolution_kind == "ordinary" and item.quorum == "count:50"
    assert item.official_language == "fr"
    ops.update_agenda_item(item, actor=admin, kind="discussion", titles=texts("Talk"), texts={},
                           original_language="en")
    assert item.majority is None and item.quorum is None and item.resolution_texts == {}


def test_statute_change_needs_the_new_text(db, make_assembly, add_resolution):
    assembly = make_assembly(kind="extraordinary")
    with pytest.raises(InvalidInput):
        add_resolution(assembly, statute=True, new_texts={"fr": "Seulement en français"})
    item = add_resolution(assembly, statute=True, majority="qualified:2/3", quorum="share:1/2")
    assert item.is_statute_change and item.new_text.text == "Article 5: the new text (en)"


def test_resolution_text_is_required(db, make_assembly, add_resolution):
    assembly = make_assembly()
    with pytest.raises(InvalidInput):
        add_resolution(assembly, resolution_texts={})


def test_authoritative_language_must_exist(db, make_assembly, add_resolution):
    assembly = make_assembly()
    with pytest.raises(InvalidInput):
        add_resolution(assembly, authoritative_language="hu")


def test_agenda_frozen_after_convocation(db, make_assembly, add_item, roll_member, be, convene, admin):
    assembly = make_assembly()
    item = add_item(assembly)
    roll_member(be)
    convene(assembly)
    with pytest.raises(ops.AgendaFrozen):
        add_item(assembly)
    with pytest.raises(ops.AgendaFrozen):
        ops.update_agenda_item(item, actor=admin, kind="information", titles=texts("Changed"),
                               original_language="en")
    with pytest.raises(ops.AgendaFrozen):
        ops.move_agenda_item(item, "down", actor=admin)
    with pytest.raises(ops.AgendaFrozen):
        ops.delete_agenda_item(item, actor=admin)
    with pytest.raises(ops.AssemblyFrozen):
        ops.update_assembly(assembly, actor=admin, place="Elsewhere")


def test_board_of_another_branch_cannot_touch_the_agenda(db, make_assembly, add_item, fr, board):
    assembly = make_assembly()
    with pytest.raises(NotAllowed):
        add_item(assembly, actor=board(fr))


def test_agenda_changes_are_audited(db, make_assembly, add_item, admin, audit_events):
    assembly = make_assembly()
    item = add_item(assembly)
    ops.update_agenda_item(item, actor=admin, kind="information", titles=texts("New"), original_language="en")
    ops.delete_agenda_item(item, actor=admin)
    events = [e.event for e in audit_events("assembly.agenda")]
    assert events == ["assembly.agenda_item_added", "assembly.agenda_item_updated", "assembly.agenda_item_deleted"]
