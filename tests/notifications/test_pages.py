"""The notifications page, opening one, marking all read, the count in the header and the home section."""
from __future__ import annotations

from sqlalchemy import func, select

from governance.notifications import operations as notification_ops
from governance.notifications import queries
from governance.notifications.models import Notification
from tests.proposals.conftest import url
from tests.workgroups.conftest import page_text


def _unread(db, account) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(Notification).where(
        Notification.account_id == account.id, Notification.read_dt.is_(None))).scalar_one()


def test_the_list_reads_in_the_readers_language(client, sign_in, db, group, write, follow, member_account, be,
                                                comment):
    french = member_account(be, language="fr")
    english = group.members[0]
    for reader in (french, english):
        follow(reader, workgroup=group.workgroup)
    proposal = write(group, state="discussion", titles={"en": "Share the vans", "fr": "Partager les camionnettes"})
    follow(french, proposal=proposal)
    comment(group, proposal, group.members[1], "Yes")
    sign_in(french)
    page = page_text(client.get("/notifications/"))
    assert '<html lang="fr">' in page
    assert "Partager les camionnettes" in page and "Share the vans" not in page
    assert group.members[1].member.full_name in page and group.author.member.full_name in page
    assert page.count("<h1") == 1
    client.post("/account/sign-out")
    sign_in(english)
    page = page_text(client.get("/notifications/"))
    assert "opened the proposal “Share the vans” for discussion in the workgroup “Tools we share”" in page
    assert "Partager les camionnettes" not in page


def test_unread_ones_say_so_in_words_and_open_through_a_post(client, sign_in, db, group, write, follow):
    reader = group.members[0]
    follow(reader, workgroup=group.workgroup)
    proposal = write(group, state="discussion")
    sign_in(reader)
    page = page_text(client.get("/notifications/"))
    [note] = db.session.execute(select(Notification).where(Notification.account_id == reader.id)).scalars()
    assert "Unread:" in page and 'class="notification notification-unread"' in page
    assert f'action="/notifications/{note.id}/open"' in page
    assert "You have 1 unread notification." in page
    response = client.post(f"/notifications/{note.id}/open")
    assert response.status_code == 303 and response.headers["Location"] == url(group, proposal)
    assert _unread(db, reader) == 0
    page = page_text(client.get("/notifications/"))
    assert "Unread:" not in page and f'<a href="{url(group, proposal)}">' in page
    assert "Mark all as read" not in page


def test_nobody_opens_someone_elses_notification(client, sign_in, db, group, write, follow):
    owner = group.members[0]
    follow(owner, workgroup=group.workgroup)
    write(group, state="discussion")
    [note] = db.session.execute(select(Notification).where(Notification.account_id == owner.id)).scalars()
    sign_in(group.members[1])
    assert client.post(f"/notifications/{note.id}/open").status_code == 404
    assert client.post("/notifications/999999/open").status_code == 404
    assert _unread(db, owner) == 1


def test_mark_all_read(client, sign_in, db, create_account):
    me, other = create_account(), create_account()
    for n in range(3):
        notification_ops.notify([me, other], "test.kind", {}, f"/somewhere/{n}")
    db.session.commit()
    sign_in(me)
    response = client.post("/notifications/read-all")
    assert response.status_code == 303 and response.headers["Location"] == "/notifications/"
    assert "3 notifications marked as read." in page_text(client.get("/notifications/"))
    assert _unread(db, me) == 0 and _unread(db, other) == 3
    client.post("/notifications/read-all")
    assert "You had no unread notifications." in page_text(client.get("/notifications/"))


def test_posts_need_the_csrf_token_and_gets_change_nothing(client, sign_in, db, create_account):
    me = create_account()
    notification_ops.notify([me], "test.kind", {}, "/somewhere")
    note_id = db.session.execute(select(Notification.id)).scalar_one()
    sign_in(me)
    for path in (f"/notifications/{note_id}/open", "/notifications/read-all"):
        response = client.post(path, csrf=False)
        assert response.status_code == 400 and "Your form had expired" in page_text(response)
        assert client.get(path).status_code == 405
    client.get("/notifications/")
    client.get("/")
    assert _unread(db, me) == 1


def test_visitors_are_sent_to_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]
    assert "Notifications" not in page_text(client.get("/account/sign-in"))


def test_the_header_counts_unread_notifications(client, sign_in, db, create_account, app, monkeypatch):
    me = create_account()
    sign_in(me)
    page = page_text(client.get("/"))
    assert 'href="/notifications/"' in page and "unread)" not in page
    notification_ops.notify([me], "test.kind", {}, "/somewhere")
    notification_ops.notify([me], "test.kind", {}, "/somewhere")
    page = page_text(client.get("/workgroups/"))
    assert "Notifications <span class=\"count\">(2 unread)</span>" in page
    monkeypatch.setattr(queries, "COUNT_CAP", 1)  # a member who never reads them: the count stays cheap
    page = page_text(client.get("/notifications/"))
    assert "Notifications <span class=\"count\">(more than 1 unread)</span>" in page
    assert "You have more than 1 unread notifications." in page


def test_the_home_page_shows_the_latest_unread(client, sign_in, db, group, write, follow):
    reader = group.members[0]
    follow(reader, workgroup=group.workgroup)
    write(group, state="discussion", titles={"en": "Share the vans"})
    sign_in(reader)
    page = page_text(client.get("/"))
    assert "New for you" in page and "“Share the vans”" in page and "Unread:" in page
    client.post("/notifications/read-all")
    page = page_text(client.get("/"))
    assert "You have no unread notifications." in page and "“Share the vans”" not in page


def test_the_list_takes_the_same_queries_whatever_its_length(client, sign_in, db, create_account, count_queries):
    me = create_account()
    sign_in(me)

    def measure() -> int:
        with count_queries() as counter:
            assert client.get("/notifications/").status_code == 200
        return counter.count

    notification_ops.notify([me], "proposal.comment", {"title": {"texts": {"en": "A"}, "original": "en"},
                                                       "actor": "An"}, "/a")
    few = measure()
    for n in range(40):
        notification_ops.notify([me], "proposal.comment", {"title": {"texts": {"en": f"T{n}"}, "original": "en"},
                                                           "actor": "An"}, f"/a/{n}")
    assert measure() == few
