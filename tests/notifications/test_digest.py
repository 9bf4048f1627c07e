"""The email digest: one email per account that prefers this period, in the account's language, listing its
unread notifications once; safe to run again."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from governance.core.db_types import utcnow
from governance.core.outbox import OutboxMessage
from governance.notifications import operations as notification_ops
from governance.notifications.digest import ITEMS_MAX, digest_key, period_date, send_digests
from governance.notifications.models import Notification
from governance.notifications.registry import snapshot_text

LATER = dt.timedelta(minutes=1)


@pytest.fixture
def person(create_member, create_account, be):
    """``person(language, frequency)`` → an account linked to a Belgian member."""

    def make(language: str = "en", frequency: str = "weekly", **kw):
        member = create_member(branch=be, language=language, first_name=kw.pop("first_name", "Test"))
        account = create_account(member=member, language=language, display_name=member.full_name, **kw)
        account.digest_frequency = frequency
        return account

    return make


def state_note(accounts, *, old="discussion", new="ready_for_vote", proposal_id=7):
    """A "proposal.state" notification as the proposals package writes it, for each account."""
    data = {"proposal_id": proposal_id, "workgroup_id": 1, "actor": "Fien Peeters",
            "title": snapshot_text({"en": "Share the vans", "nl": "De bestelwagens delen"}, "en"),
            "workgroup": snapshot_text({"en": "Tools we share"}, "en"), "old": old, "new": new}
    notification_ops.notify(accounts, "proposal.state", data, f"/workgroups/tools/proposals/{proposal_id}")


def emails(db, account=None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.key.startswith("notifications:digest:"))
    if account is not None:
        query = query.where(OutboxMessage.to_address == account.email)
    return list(db.session.execute(query.order_by(OutboxMessage.id)).scalars())


def undigested(db, account) -> int:
    db.session.expire_all()
    return len(db.session.execute(select(Notification.id).where(Notification.account_id == account.id,
                                                                Notification.digested_dt.is_(None))).all())


def test_the_daily_digest_is_one_email_per_account_in_its_language(db, person):
    dutch, english = person("nl", "daily", first_name="Fien"), person("en", "daily", first_name="Sam")
    weekly, never = person("en", "weekly"), person("en", "none")
    state_note([dutch, english, weekly, never])
    state_note([dutch], old="ready_for_vote", new="adopted", proposal_id=8)
    report = send_digests("daily", utcnow() + LATER)
    assert (report.emails, report.notifications) == (2, 3)
    [to_dutch] = emails(db, dutch)
    [to_english] = emails(db, english)
    assert emails(db, weekly) == [] and emails(db, never) == []
    assert to_dutch.language == "nl" and to_english.language == "en"
    assert to_dutch.body_text.startswith("Beste Fien ")  # the catalogs' Dutch
    assert "De bestelwagens delen" in to_dutch.body_text and "Share the vans" not in to_dutch.body_text
    assert "http://portal.test/workgroups/tools/proposals/7" in to_dutch.body_text
    assert "http://portal.test/workgroups/tools/proposals/8" in to_dutch.body_text
    assert to_dutch.body_text.index("/proposals/8") < to_dutch.body_text.index("/proposals/7")  # newest first
    assert "Share the vans" in to_english.body_text
    assert "went from “In discussion” to “Ready for a vote”" in to_english.body_text
    assert "http://portal.test/notifications/" in to_english.body_text
    assert "http://portal.test/account/profile" in to_english.body_text
    assert to_english.subject == "1 new notification on the governance portal"
    assert to_english.key == digest_key(english.id, "daily", period_date("daily", utcnow() + LATER))
    assert undigested(db, dutch) == 0 and undigested(db, english) == 0
    assert undigested(db, weekly) == 1 and undigested(db, never) == 1


def test_running_it_again_sends_nothing_twice(db, person):
    reader = person("en", "daily")
    state_note([reader])
    now = utcnow() + LATER
    assert send_digests("daily", now).emails == 1
    assert send_digests("daily", now).emails == 0
    state_note([reader], proposal_id=9)  # arrives later the same day
    again = send_digests("daily", now + LATER)
    assert (again.emails, again.already_sent) == (0, 1)
    assert len(emails(db, reader)) == 1 and undigested(db, reader) == 1  # waits for tomorrow's digest
    tomorrow = send_digests("daily", now + dt.timedelta(days=1))
    assert tomorrow.emails == 1 and tomorrow.notifications == 1
    latest = emails(db, reader)[-1]
    assert "/proposals/9" in latest.body_text and "/proposals/7" not in latest.body_text


def test_the_weekly_digest_is_once_a_week(db, person):
    reader, daily = person("fr", "weekly"), person("en", "daily")
    state_note([reader, daily])
    now = utcnow() + LATER
    assert send_digests("weekly", now).emails == 1
    assert emails(db, daily) == []
    [message] = emails(db, reader)
    assert message.language == "fr" and message.body_text.startswith("Bonjour ")
    monday = period_date("weekly", now)
    assert monday.weekday() == 0 and monday <= now.date()
    assert message.key.endswith(f"weekly:{monday.isoformat()}:account:{reader.id}")
    state_note([reader], proposal_id=9)
    later_this_week = dt.datetime.combine(monday + dt.timedelta(days=6), dt.time(23), dt.timezone.utc)
    assert send_digests("weekly", max(later_this_week, now + LATER)).emails == 0
    assert send_digests("weekly", now + dt.timedelta(days=7)).emails == 1


def test_read_notifications_and_disabled_accounts_are_left_out(db, person):
    reader, disabled = person("en", "daily"), person("en", "daily")
    state_note([reader, disabled])
    notification_ops.mark_all_read(reader, actor=reader)
    disabled.is_enabled = False
    db.session.flush()
    assert send_digests("daily", utcnow() + LATER).emails == 0
    assert emails(db) == []


def test_a_long_digest_lists_the_newest_and_counts_the_rest(db, person):
    reader = person("en", "daily")
    for n in range(ITEMS_MAX + 3):
        state_note([reader], proposal_id=100 + n)
    report = send_digests("daily", utcnow() + LATER)
    assert report.notifications == ITEMS_MAX + 3
    [message] = emails(db, reader)
    assert "… and 3 more notifications." in message.body_text
    assert message.body_text.count("http://portal.test/workgroups/tools/proposals/") == ITEMS_MAX
    assert f"{ITEMS_MAX + 3} new notifications" in message.subject
    assert undigested(db, reader) == 0


def test_an_unknown_period_is_refused(db):
    with pytest.raises(ValueError):
        send_digests("monthly")


def test_events_end_up_in_the_digest(db, group, write, follow, comment):
    reader = group.members[0]
    reader.digest_frequency = "daily"
    follow(reader, workgroup=group.workgroup)
    proposal = write(group, state="discussion", titles={"en": "Share the vans"})
    follow(reader, proposal=proposal)
    comment(group, proposal, group.members[1], "Yes")
    send_digests("daily", utcnow() + LATER)
    [message] = emails(db, reader)
    assert "opened the proposal “Share the vans”" in message.body_text
    assert f"{group.members[1].member.full_name} commented on the proposal “Share the vans”." in message.body_text


def test_the_command(app, db, person):
    reader = person("nl", "daily")
    state_note([reader])
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["governance", "notifications", "digest", "--period", "daily"])
    assert result.exit_code == 0, result.output
    assert "1 emails queued for 1 notifications" in result.output
    assert len(emails(db, reader)) == 1
    result = runner.invoke(args=["governance", "notifications", "digest", "--period", "daily"])
    assert "0 emails queued" in result.output
    result = runner.invoke(args=["governance", "notifications", "digest", "--period", "monthly"])
    assert result.exit_code == 2


def test_the_profile_sets_the_frequency(client, sign_in, db, person):
    reader = person("en", "weekly")
    sign_in(reader)
    page = client.get("/account/profile").get_data(as_text=True)
    assert "Email summary of my notifications" in page and '<option selected value="weekly">' in page
    form = {"display_name": reader.display_name, "language": "en", "timezone": "Europe/Brussels",
            "digest_frequency": "daily"}
    assert client.post("/account/profile", data=form).status_code == 303
    db.session.expire_all()
    assert reader.digest_frequency == "daily"
    response = client.post("/account/profile", data={**form, "digest_frequency": "hourly"})
    assert response.status_code == 422
    db.session.expire_all()
    assert reader.digest_frequency == "daily"
