"""Sending the convocation: the notice period (time zones, midnight, DST), the language gate, email or letter by
consent, the delivery log and resending, the letters' PDF, the calendar file, the second convocation."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import update

from governance.assemblies import convocation, operations as ops, queries
from governance.assemblies.models import AssemblyState
from governance.core.errors import Conflict, NotAllowed
from governance.core.outbox import OutboxMessage

from .conftest import texts

UTC = dt.timezone.utc


def at(zone: str, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture
def ready(db, make_assembly, add_item, add_resolution, roll_member, be):
    """``ready(branch=be, starts_at=…)`` → a draft with an agenda (an item and a resolution) and one member."""

    def factory(branch=be, **kw):
        assembly = make_assembly(branch, **kw)
        add_item(assembly)
        add_resolution(assembly)
        roll_member(branch)
        return assembly

    return factory


# --- the notice period -----------------------------------------------------------------------------------
@pytest.mark.parametrize("sent_at, allowed", [
    # the assembly: Saturday 20 February 2027, 09:00 in Brussels (UTC+1); 15 full days → 4 February at the latest
    (utc(2027, 2, 4, 22, 30), True),     # 23:30 on the 4th in Brussels
    (utc(2027, 2, 4, 22, 59, 59), True),
    (utc(2027, 2, 4, 23, 0), False),     # midnight in Brussels: already the 5th
    (utc(2027, 2, 4, 23, 30), False),    # 00:30 on the 5th in Brussels, though still the 4th in UTC
    (utc(2027, 2, 1, 12, 0), True),
])
def test_notice_counted_in_the_branch_time_zone(db, ready, convene, sent_at, allowed):
    assembly = ready(starts_at=at("Europe/Brussels", 2027, 2, 20, 9, 0))
    assert assembly.last_sending_date == dt.date(2027, 2, 4)
    if allowed:
        convene(assembly, now=sent_at)
        assert assembly.state == AssemblyState.convened.value
    else:
        with pytest.raises(ops.NoticeTooShort):
            convene(assembly, now=sent_at)
        assert assembly.is_draft


def test_sender_time_zone_does_not_matter(db, ready, convene, create_branch, roll_member):
    """23:30 UTC on the 4th is still the 4th in New York and in Lisbon, but already the 5th in Brussels."""
    sent_at = utc(2027, 2, 4, 23, 30)
    brussels = ready(starts_at=at("Europe/Brussels", 2027, 2, 20, 9, 0))
    with pytest.raises(ops.NoticeTooShort):
        convene(brussels, now=sent_at)
    portugal = create_branch("PT", timezone="Europe/Lisbon", required_languages=["en"])
    lisbon = ready(portugal, starts_at=at("Europe/Lisbon", 2027, 2, 20, 9, 0))
    convene(lisbon, now=sent_at)
    assert lisbon.is_convened


@pytest.mark.parametrize("starts_at, last_ok, first_refused", [
    # assembly after the spring change (UTC+2), last day to send before it (UTC+1)
    (at("Europe/Brussels", 2027, 4, 10, 9, 0), utc(2027, 3, 25, 22, 59), utc(2027, 3, 25, 23, 0)),
    # assembly the day after the spring change; sending also in summer time
    (at("Europe/Brussels", 2027, 4, 13, 9, 0), utc(2027, 3, 28, 21, 59), utc(2027, 3, 28, 22, 0)),
    # autumn: assembly in winter time (UTC+1), last day in summer time (UTC+2)
    (at("Europe/Brussels", 2027, 11, 10, 9, 0), utc(2027, 10, 25, 21, 59), utc(2027, 10, 25, 22, 0)),
    # the last day to send is the day of the autumn change itself (25 hours long)
    (at("Europe/Brussels", 2027, 11, 16, 9, 0), utc(2027, 10, 31, 22, 59), utc(2027, 10, 31, 23, 0)),
])
def test_notice_across_daylight_saving_changes(db, make_assembly, starts_at, last_ok, first_refused):
    assembly = make_assembly(starts_at=starts_at)
    assert assembly.notice_met(last_ok)
    assert not assembly.notice_met(first_refused)


def test_late_convocation_sends_nothing(db, ready, convene, outbox, deliveries, audit_events):
    assembly = ready(starts_at=at("Europe/Brussels", 2027, 2, 20, 9, 0))
    with pytest.raises(ops.NoticeTooShort) as refused:
        convene(assembly, now=utc(2027, 2, 10, 9, 0))
    assert "15" in str(refused.value)
    assert outbox() == [] and deliveries(assembly) == {}
    assert "assembly.convened" not in [e.event for e in audit_events("assembly.")]


def test_notice_days_per_assembly(db, ready, convene):
    assembly = ready(starts_at=at("Europe/Brussels", 2027, 2, 20, 9, 0), notice_days=8)
    convene(assembly, now=utc(2027, 2, 11, 12, 0))
    assert assembly.is_convened


# --- the language gate -----------------------------------------------------------------------------------
def test_missing_required_language_refuses(db, make_assembly, add_item, add_resolution, roll_member, be, convene):
    assembly = make_assembly(titles={"en": "GA", "nl": "AV"}, descriptions={"en": "About", "nl": "Over",
                                                                             "fr": "À propos"})
    add_item(assembly, titles={"en": "Accounts", "nl": "Rekeningen", "fr": "Comptes"},
             texts={"en": "The accounts"})
    add_resolution(assembly, resolution_texts={"en": "We approve", "nl": "Wij keuren goed"})
    roll_member(be)
    missing = dict(ops.missing_languages(assembly))
    assert set(missing) == {"fr", "nl"}
    assert any("title" in part for part in missing["fr"])
    assert any("item 1" in part and "text" in part for part in missing["fr"])
    assert any("item 2" in part and "resolution" in part for part in missing["fr"])
    with pytest.raises(ops.TextsMissing) as refused:
        convene(assembly)
    assert "French" in str(refused.value)
    assert assembly.is_draft


def test_cooperative_assembly_needs_every_branch_language(db, make_assembly, add_item, be, fr, create_branch,
                                                          roll_member):
    create_branch("DE", required_languages=["de"])
    assembly = make_assembly(None, titles=texts("GA", ("en", "nl", "fr")), descriptions=texts("x", ("en", "nl", "fr")))
    add_item(assembly, titles=texts("Item", ("en", "nl", "fr")), texts={})
    assert [code for code, _ in ops.missing_languages(assembly)] == ["de"]


def test_empty_agenda_and_second_sending_refused(db, make_assembly, roll_member, be, convene, add_item):
    assembly = make_assembly()
    roll_member(be)
    with pytest.raises(Conflict):
        convene(assembly)
    add_item(assembly)
    convene(assembly)
    with pytest.raises(Conflict):
        convene(assembly)


def test_board_of_another_branch_cannot_convene(db, ready, fr, board, convene):
    assembly = ready()
    with pytest.raises(NotAllowed):
        convene(assembly, actor=board(fr))


# --- email or letter -------------------------------------------------------------------------------------
def test_email_to_consenting_members_letters_to_others(db, ready, be, fr, roll_member, roll_account, convene, outbox,
                                                       deliveries, audit_events):
    assembly = ready()
    by_email_nl = roll_member(be, language="nl", email="anna@example.org")
    by_email_account = roll_account(be, language="fr", email="bruno@example.org")  # account language: fr
    no_consent = roll_member(be, consent=False, email="carla@example.org")
    no_address = roll_member(be, email=None)
    hungarian = roll_member(be, language="hu", email="denes@example.org")
    opted_out = roll_account(be, email="emma@example.org")
    opted_out.notify_convocation_email = False
    suspended = roll_member(be, status="suspended")
    french = roll_member(fr)
    db.session.flush()

    counts = convene(assembly)
    log = deliveries(assembly)
    assert suspended.id not in log and french.id not in log
    assert log[by_email_nl.id].channel == "email"
    assert log[by_email_account.member.id].channel == "email"
    for member in (no_consent, no_address, opted_out.member):
        assert log[member.id].channel == "letter" and log[member.id].status == "to_print"
    assert counts.total == len(log) and counts.letters == 3

    messages = {m.to_address: m for m in outbox()}
    emailed = {d.member_id for d in log.values() if d.channel == "email"}
    assert len(messages) == len(emailed) == counts.emails
    assert {"anna@example.org", "bruno@example.org", "denes@example.org"} <= set(messages)
    assert not {"carla@example.org", "emma@example.org"} & set(messages)
    assert messages["anna@example.org"].language == "nl"
    assert "General assembly (nl)" in messages["anna@example.org"].body_text
    assert messages["bruno@example.org"].language == "fr"
    assert "General assembly (fr)" in messages["bruno@example.org"].subject
    # Hungarian has no catalog: the branch's first official language that has one (nl); content the same
    assert messages["denes@example.org"].language == "nl"
    assert log[hungarian.id].language == "nl"
    anna = messages["anna@example.org"]
    assert log[by_email_nl.id].outbox_message_id == anna.id
    assert anna.topic == f"assembly:{assembly.id}:convocation"
    assert "Resolution: the assembly resolves (nl)" in anna.body_text
    assert "Gewone meerderheid" in anna.body_text  # the rule of the resolution, in Dutch
    assert f"/assemblies/{assembly.id}" in anna.body_text
    [entry] = [e for e in audit_events("assembly.") if e.event == "assembly.convened"]
    assert entry.data["emails"] == counts.emails and entry.data["letters"] == 3


def test_convocation_queries_stay_few(db, ready, be, roll_member, convene, count_queries):
    assembly = ready()
    for index in range(60):
        roll_member(be, consent=index % 3 != 0, language=("nl", "fr", "en")[index % 3])
    with count_queries() as counter:
        counts = convene(assembly)
    assert counts.total == 61
    assert counter.count < 30, counter.statements


# --- delivery log and resending --------------------------------------------------------------------------
def test_delivery_log_follows_the_outbox(db, ready, be, roll_member, convene, outbox):
    assembly = ready()
    roll_member(be, consent=False)
    convene(assembly)
    counts = queries.delivery_counts(assembly)
    assert counts == {"queued": 1, "to_print": 1}
    message = outbox()[0]
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(status="failed",
                                                                                          last_error="550"))
    assert queries.delivery_counts(assembly) == {"failed": 1, "to_print": 1}
    page = queries.delivery_page(assembly, status="failed")
    assert page.total == 1 and page.rows[0].last_error == "550"
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(status="sent"))
    assert queries.delivery_counts(assembly) == {"sent": 1, "to_print": 1}
    assert queries.delivery_page(assembly, channel="letter").total == 1


def test_resend_queues_a_new_email(db, ready, be, convene, outbox, deliveries, admin, audit_events):
    assembly = ready()
    convene(assembly)
    [member_id] = deliveries(assembly)
    from governance.members.models import Member

    member = db.session.get(Member, member_id)
    first = outbox()[0]
    delivery = ops.resend_convocation(assembly, member, actor=admin)
    messages = outbox()
    assert len(messages) == 2 and messages[1].key.endswith(":resend:1")
    assert delivery.outbox_message_id == messages[1].id and delivery.resend_count == 1
    assert messages[1].message_id != first.message_id
    delivery = ops.resend_convocation(assembly, member, actor=admin, as_letter=True)
    assert delivery.channel == "letter" and delivery.status == "to_print"
    assert [e.event for e in audit_events("assembly.convocation_resent")] == ["assembly.convocation_resent"] * 2


def test_resend_refused_for_member_not_convened(db, ready, be, roll_member, convene, admin):
    assembly = ready()
    convene(assembly)
    newcomer = roll_member(be)
    with pytest.raises(Exception) as refused:
        ops.resend_convocation(assembly, newcomer, actor=admin)
    assert getattr(refused.value, "status_code", None) == 404


# --- letters ---------------------------------------------------------------------------------------------
def test_letter_data_in_the_member_language(app, db, ready, be, roll_member, convene):
    assembly = ready(starts_at=at("Europe/Brussels", 2027, 3, 6, 10, 0))
    member = roll_member(be, consent=False, language="fr", first_name="Zoë", last_name="Lefèvre")
    convene(assembly, now=utc(2027, 2, 1, 9, 0))
    [delivery] = queries.letters(assembly, pending_only=True)
    [letter] = convocation.letters_for(assembly, [delivery], now=utc(2027, 2, 1, 9, 0))
    assert letter.language == "fr"
    with force_locale("fr"):
        assert letter.heading == gettext("Convocation to the general assembly")
    assert letter.address[0] == "Zoë Lefèvre" and member.number in letter.address[1]
    assert letter.address[2] == "Belgique"
    assert "février" in letter.date_line and "mars" in letter.when and "Europe/Brussels" in letter.when
    assert letter.title == "General assembly (fr)"
    [information, resolution] = letter.items
    assert resolution.is_resolution and resolution.resolution_text == "Resolution: the assembly resolves (fr)"
    assert resolution.rule


def test_letters_pdf_marks_them_printed(db, ready, be, roll_member, convene, admin, deliveries, audit_events):
    assembly = ready()
    names = [("Ödön", "Győri", "nl"), ("Jürgen", "Weiß", "de"), ("Émilie", "Dufrène", "fr")]
    members = [roll_member(be, consent=False, first_name=first, last_name=last, language=lang)
               for first, last, lang in names]
    convene(assembly)
    pdf, count = ops.print_letters(assembly, actor=admin)
    assert count == 3
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert pages >= 3
    log = deliveries(assembly)
    assert all(log[m.id].status == "printed" and log[m.id].letter_printed_dt for m in members)
    with pytest.raises(Conflict):
        ops.print_letters(assembly, actor=admin)
    assert [e.data["letters"] for e in audit_events("assembly.letters_printed")] == [3]


def test_letter_languages(db, ready, be, roll_member, convene):
    assembly = ready()
    roll_member(be, consent=False, language="de", first_name="Jürgen")
    roll_member(be, consent=False, language="hu", first_name="Ödön")
    convene(assembly)
    languages = {d.member.first_name: d.language for d in queries.letters(assembly, pending_only=False)}
    assert languages == {"Jürgen": "de", "Ödön": "nl"}


def test_missing_font_is_a_clear_error(app, monkeypatch):
    monkeypatch.setattr(convocation, "_DEBIAN_DEJAVU", convocation.Path("/nonexistent"))
    monkeypatch.setattr(convocation.importlib.util, "find_spec", lambda name: None)
    with app.app_context(), pytest.raises(convocation.FontMissing, match="font-source-sans-pro"):
        convocation.letter_fonts()


# --- iCalendar -------------------------------------------------------------------------------------------
def test_icalendar(app, db, make_assembly, add_item):
    assembly = make_assembly(starts_at=at("Europe/Brussels", 2027, 6, 12, 10, 0),
                             titles={"en": "Annual assembly; budget, plans", "nl": "AV", "fr": "AG"},
                             place="Rue de l'Exemple 1, 1000 Bruxelles\nRoom 2")
    add_item(assembly, titles={"en": "Accounts 2026", "nl": "x", "fr": "y"})
    with app.test_request_context():
        ics = convocation.icalendar(assembly, languages=["en"], now=utc(2027, 5, 1, 8, 0))
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.endswith("END:VCALENDAR\r\n")
    assert "\r\nDTSTART:20270612T080000Z\r\n" in ics  # 10:00 summer time in Brussels
    assert "\r\nDTEND:20270612T110000Z\r\n" in ics
    assert "\r\nDTSTAMP:20270501T080000Z\r\n" in ics
    assert "SUMMARY:Annual assembly\\; budget\\, plans\r\n" in ics
    assert "LOCATION:Rue de l'Exemple 1\\, 1000 Bruxelles\\nRoom 2\r\n" in ics
    assert f"UID:assembly-{assembly.id}@portal.test" in ics
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    unfolded = ics.replace("\r\n ", "")
    assert "1. Accounts 2026" in unfolded


def test_ical_fold_keeps_characters_whole():
    line = "DESCRIPTION:" + "é" * 100
    folded = convocation.ical_fold(line)
    assert folded.replace("\r\n ", "") == line
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))


# --- second convocation ----------------------------------------------------------------------------------
def test_second_convocation(db, ready, convene, force_state, admin, add_resolution, audit_events):
    first = ready()
    add_resolution(first, quorum="share:1/2", majority="qualified:2/3", statute=True, title="Statutes")
    convene(first)
    with pytest.raises(Conflict):
        ops.convene_second_assembly(first, actor=admin, starts_at=first.starts_at + dt.timedelta(days=30))
    force_state(first, "closed", quorum_missed=True)
    second = ops.convene_second_assembly(first, actor=admin, starts_at=first.starts_at + dt.timedelta(days=30))
    assert second.is_draft and second.first_assembly_id == first.id and second.quorum_waived
    items = queries.agenda_items(second)
    assert [i.titles["en"] for i in items] == [i.titles["en"] for i in queries.agenda_items(first)]
    statute = items[-1]
    assert statute.is_statute_change and statute.quorum == "share:1/2"
    assert second.effective_quorum(statute.quorum) == "none"
    with pytest.raises(Conflict):
        ops.convene_second_assembly(first, actor=admin, starts_at=first.starts_at + dt.timedelta(days=40))
    assert "assembly.second_convocation_created" in [e.event for e in audit_events("assembly.")]
    convene(second)
    assert second.is_convened


def test_no_second_convocation_when_quorum_was_met(db, ready, convene, force_state, admin):
    first = ready()
    convene(first)
    force_state(first, "closed", quorum_missed=False)
    with pytest.raises(Conflict):
        ops.convene_second_assembly(first, actor=admin, starts_at=first.starts_at + dt.timedelta(days=30))


def test_letters_in_batches(app, db, ready, be, roll_member, convene, admin, deliveries, monkeypatch):
    monkeypatch.setitem(app.config, "ASSEMBLY_LETTERS_PER_PDF", 2)
    assembly = ready()
    for _ in range(3):
        roll_member(be, consent=False)
    convene(assembly)
    _pdf, first = ops.print_letters(assembly, actor=admin)
    _pdf, second = ops.print_letters(assembly, actor=admin)
    assert (first, second) == (2, 1)
    assert queries.letter_counts(assembly) == (0, 3)


# --- the command line ------------------------------------------------------------------------------------
def test_cli_convene_and_letters(app, db, ready, be, roll_member, admin, tmp_path, deliveries):
    assembly = ready()
    roll_member(be, consent=False)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["governance", "assemblies", "convene", str(assembly.id), "--by", admin.email])
    assert result.exit_code == 0, result.output
    assert "1 emails queued, 1 letters to print" in result.output
    again = runner.invoke(args=["governance", "assemblies", "convene", str(assembly.id), "--by", admin.email])
    assert again.exit_code != 0
    output = tmp_path / "letters.pdf"
    result = runner.invoke(args=["governance", "assemblies", "letters", str(assembly.id), str(output),
                                 "--by", admin.email])
    assert result.exit_code == 0, result.output
    assert output.read_bytes().startswith(b"%PDF-")
    assert all(d.status in ("queued", "printed") for d in deliveries(assembly).values())


def test_printable_markdown():
    text = "## Budget\n\n- **one** room\n- see [the plan](https://example.org/plan) and *notes*"
    assert convocation.printable(text) == "Budget\n\n• one room\n• see the plan (https://example.org/plan) and notes"
    assert convocation.printable("2 * 3 * 4") == "2 * 3 * 4"


def test_account_language_comes_before_the_register(db, ready, be, roll_member, create_account, convene, outbox):
    assembly = ready()
    member = roll_member(be, language="nl", email="lang@example.org")
    create_account(member=member, language="de")
    convene(assembly)
    [message] = [m for m in outbox() if m.to_address == "lang@example.org"]
    assert message.language == "de" and "General assembly (de)" in message.body_text
