"""Threaded comments on proposals: threading and depth, edits with history, soft delete, flags, hiding by
facilitators, the moderation queue, permissions, sanitising, CSRF and query counts."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from governance.core.errors import Conflict, InvalidInput, NotAllowed
from governance.proposals import operations as ops
from governance.proposals.models import Comment, CommentFlag, CommentRevision
from tests.proposals.conftest import url
from tests.workgroups.conftest import page_text


def _count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def comment(mship):
    """``comment(group, proposal, account, body, parent=None)`` → a comment written through the operation."""

    def write(group, proposal, account, body="A comment", parent=None):
        return ops.add_comment(proposal, body, actor=account, membership=mship(group.workgroup, account),
                               parent=parent)

    return write


def curl(group, proposal, comment, suffix=""):
    return url(group, proposal, f"/comments/{comment.id}{suffix}")


# --- operations ------------------------------------------------------------------------------------
def test_threading_and_the_depth_limit(group, write, comment):
    proposal = write(group, state="discussion")
    top = comment(group, proposal, group.members[0], "Top")
    second = comment(group, proposal, group.members[1], "Second", parent=top)
    third = comment(group, proposal, group.author, "Third", parent=second)
    assert (top.depth, second.depth, third.depth) == (1, 2, 3)
    assert (top.thread_id, second.thread_id, third.thread_id) == (None, top.id, top.id)
    with pytest.raises(Conflict):
        comment(group, proposal, group.members[0], "Fourth", parent=third)
    other = write(group, state="discussion")
    with pytest.raises(InvalidInput):
        comment(group, other, group.members[0], "Elsewhere", parent=top)


def test_the_database_refuses_a_fourth_level(db, group, write, comment):
    proposal = write(group, state="discussion")
    top = comment(group, proposal, group.members[0])
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(insert(Comment).values(proposal_id=proposal.id, author_id=group.members[0].member.id,
                                                  parent_id=top.id, thread_id=top.id, depth=4, body="x",
                                                  created_dt=dt.datetime.now(dt.UTC), is_deleted=False))


def test_who_comments(group, write, comment, member_account, be):
    draft = write(group)
    with pytest.raises(NotAllowed):
        comment(group, draft, group.members[0])
    assert comment(group, draft, group.author).depth == 1
    proposal = write(group, state="discussion")
    with pytest.raises(NotAllowed):
        comment(group, proposal, member_account(be))  # not a member of the workgroup
    with pytest.raises(InvalidInput):
        comment(group, proposal, group.members[0], "   ")


def test_edit_keeps_history(db, group, write, comment, mship):
    proposal = write(group, state="discussion")
    mine = comment(group, proposal, group.members[0], "First words")
    member = group.members[0]
    revision = ops.edit_comment(mine, proposal, "Second words", actor=member,
                                membership=mship(group.workgroup, member))
    assert revision.body == "First words" and mine.body == "Second words" and mine.edited_dt is not None
    assert ops.edit_comment(mine, proposal, "Second words", actor=member,
                            membership=mship(group.workgroup, member)) is None
    with pytest.raises(NotAllowed):
        ops.edit_comment(mine, proposal, "Not mine", actor=group.members[1],
                         membership=mship(group.workgroup, group.members[1]))
    assert _count(db, CommentRevision) == 1


def test_flag_once(db, group, write, comment, mship):
    proposal = write(group, state="discussion")
    target = comment(group, proposal, group.members[0])
    flagger = group.members[1]
    ops.flag_comment(target, proposal, actor=flagger, membership=mship(group.workgroup, flagger), reason="Rude")
    with pytest.raises(Conflict):
        ops.flag_comment(target, proposal, actor=flagger, membership=mship(group.workgroup, flagger))
    with pytest.raises(NotAllowed):  # not one's own
        ops.flag_comment(target, proposal, actor=group.members[0], membership=mship(group.workgroup, group.members[0]))
    assert _count(db, CommentFlag) == 1
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(insert(CommentFlag).values(comment_id=target.id, member_id=flagger.member.id,
                                                      created_dt=dt.datetime.now(dt.UTC)))


def test_hide_and_unhide_are_audited(group, write, comment, mship, audit_events):
    proposal = write(group, state="discussion")
    target = comment(group, proposal, group.members[0])
    facilitator = group.facilitator
    with pytest.raises(NotAllowed):
        ops.hide_comment(target, proposal, "Off topic", actor=group.members[1],
                         membership=mship(group.workgroup, group.members[1]))
    with pytest.raises(InvalidInput):
        ops.hide_comment(target, proposal, " ", actor=facilitator, membership=mship(group.workgroup, facilitator))
    ops.hide_comment(target, proposal, "Off topic", actor=facilitator, membership=mship(group.workgroup, facilitator))
    assert target.is_hidden and target.hidden_by_id == facilitator.id
    ops.unhide_comment(target, proposal, actor=facilitator, membership=mship(group.workgroup, facilitator))
    assert not target.is_hidden
    assert [e.event for e in audit_events("comment.")] == ["comment.hidden", "comment.unhidden"]


# --- pages -----------------------------------------------------------------------------------------
def test_commenting_and_replying_through_the_pages(client, sign_in, db, group, write):
    proposal = write(group, state="discussion")
    sign_in(group.members[0])
    response = client.post(url(group, proposal, "/comments"), data={"body": "I *agree*."})
    assert response.status_code == 303
    top = db.session.execute(select(Comment)).scalar_one()
    assert f"#comment-{top.id}" in response.headers["Location"]
    assert client.get(curl(group, proposal, top, "/reply")).status_code == 200
    assert client.post(curl(group, proposal, top, "/reply"), data={"body": "So do I."}).status_code == 303
    page = page_text(client.get(url(group, proposal)))
    assert "<em>agree</em>" in page and "So do I." in page
    assert '<ul class="comment-replies">' in page
    assert page.count("<h1") == 1


def test_invalid_comment_is_422_and_writes_nothing(client, sign_in, db, group, write):
    proposal = write(group, state="discussion")
    sign_in(group.members[0])
    response = client.post(url(group, proposal, "/comments"), data={"body": "  "})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in page_text(response)
    assert _count(db, Comment) == 0


def test_soft_delete_keeps_the_replies(client, sign_in, group, write, comment):
    proposal = write(group, state="discussion")
    top = comment(group, proposal, group.members[0], "Going away")
    comment(group, proposal, group.members[1], "A reply that stays", parent=top)
    sign_in(group.members[0])
    assert client.post(curl(group, proposal, top, "/delete")).status_code == 303
    page = page_text(client.get(url(group, proposal)))
    assert "This comment was deleted." in page and "Going away" not in page
    assert "A reply that stays" in page


def test_edit_page_and_history(client, sign_in, group, write, comment):
    proposal = write(group, state="discussion")
    mine = comment(group, proposal, group.members[0], "Old text")
    sign_in(group.members[1])
    assert client.get(curl(group, proposal, mine, "/edit")).status_code == 403
    assert client.post(curl(group, proposal, mine, "/edit"), data={"body": "Hijack"}).status_code == 403
    client.post("/account/sign-out")
    sign_in(group.members[0])
    assert client.get(curl(group, proposal, mine, "/edit")).status_code == 200
    assert client.post(curl(group, proposal, mine, "/edit"), data={"body": "New text"}).status_code == 303
    history = page_text(client.get(curl(group, proposal, mine, "/history")))
    assert "Old text" in history and "New text" in history


def test_hide_with_a_visible_reason_and_the_queue(client, sign_in, group, write, comment, mship):
    proposal = write(group, state="discussion")
    target = comment(group, proposal, group.members[0], "Something rude")
    sign_in(group.members[1])
    assert client.get(curl(group, proposal, target, "/flag")).status_code == 200
    assert client.post(curl(group, proposal, target, "/flag"), data={"reason": "Rude"}).status_code == 303
    assert client.post(curl(group, proposal, target, "/flag"), data={"reason": ""}).status_code == 409
    assert client.get(f"/workgroups/{group.workgroup.slug}/flagged-comments").status_code == 403
    assert client.get(curl(group, proposal, target, "/hide")).status_code == 403
    client.post("/account/sign-out")
    sign_in(group.facilitator)
    queue = page_text(client.get(f"/workgroups/{group.workgroup.slug}/flagged-comments"))
    assert "Something rude" in queue and "Rude" in queue and queue.count("<h1") == 1
    assert client.post(curl(group, proposal, target, "/hide"), data={"reason": ""}).status_code == 422
    assert client.post(curl(group, proposal, target, "/hide"), data={"reason": "Personal attack"}).status_code == 303
    page = page_text(client.get(url(group, proposal)))
    assert "Hidden by a facilitator: Personal attack" in page and "Something rude" not in page
    assert "Something rude" not in page_text(client.get(f"/workgroups/{group.workgroup.slug}/flagged-comments"))
    assert client.post(curl(group, proposal, target, "/unhide")).status_code == 303
    assert "Something rude" in page_text(client.get(url(group, proposal)))


def test_a_french_member_cannot_reach_a_belgian_workgroup(client, sign_in, group, write, comment, member_account,
                                                        fr):
    proposal = write(group, state="discussion")
    target = comment(group, proposal, group.members[0])
    sign_in(member_account(fr))
    assert client.post(url(group, proposal, "/comments"), data={"body": "Hi"}).status_code == 404
    for suffix in ("/reply", "/edit", "/flag", "/hide", "/history"):
        assert client.get(curl(group, proposal, target, suffix)).status_code == 404, suffix
    assert client.post(curl(group, proposal, target, "/delete")).status_code == 404


def test_a_comment_of_another_proposal_is_404(client, sign_in, group, write, comment):
    proposal, other = write(group, state="discussion"), write(group, state="discussion")
    target = comment(group, proposal, group.members[0])
    sign_in(group.members[0])
    assert client.get(curl(group, other, target, "/edit")).status_code == 404


def test_markup_in_a_comment_is_harmless(client, sign_in, group, write, comment):
    proposal = write(group, state="discussion")
    comment(group, proposal, group.members[0],
            '<script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror="alert(3)">')
    sign_in(group.members[1])
    page = page_text(client.get(url(group, proposal)))
    assert "<script>alert" not in page
    assert "javascript:" not in page
    assert "<img" not in page and "&lt;img src=x" in page


def test_every_new_post_route_needs_csrf(client, sign_in, db, group, write, comment):
    proposal = write(group, state="discussion")
    target = comment(group, proposal, group.members[0])
    sign_in(group.facilitator)
    routes = [url(group, proposal, "/comments"), *(curl(group, proposal, target, s)
                                                   for s in ("/reply", "/edit", "/delete", "/flag", "/hide",
                                                             "/unhide"))]
    for route in routes:
        assert client.post(route, data={"body": "x", "reason": "x"}, csrf=False).status_code == 400, route
    assert _count(db, Comment) == 1 and _count(db, CommentFlag) == 0


def test_the_proposal_page_does_not_grow_with_comments(client, sign_in, group, write, comment, count_queries):
    small, big = write(group, state="discussion"), write(group, state="discussion")
    people = [group.author, *group.members]

    def fill(proposal, n):
        made = 0
        while made < n:
            top = comment(group, proposal, people[made % len(people)], f"Top {made}")
            made += 1
            parent = top
            for _ in range(2):
                if made >= n:
                    break
                parent = comment(group, proposal, people[made % len(people)], f"Reply {made}", parent=parent)
                made += 1

    fill(small, 5)
    fill(big, 200)
    sign_in(group.members[0])
    with count_queries() as few:
        assert client.get(url(group, small)).status_code == 200
    with count_queries() as many:
        page = page_text(client.get(url(group, big)))
    assert "Reply 2" in page and "Pages of the comments" in page
    assert many.count == few.count, many.statements


def test_no_reply_page_below_the_third_level(client, sign_in, group, write, comment):
    proposal = write(group, state="discussion")
    top = comment(group, proposal, group.members[0])
    third = comment(group, proposal, group.author, parent=comment(group, proposal, group.members[1], parent=top))
    sign_in(group.members[0])
    assert client.get(curl(group, proposal, third, "/reply")).status_code == 409
    page = page_text(client.get(url(group, proposal)))
    assert curl(group, proposal, third, "/reply") not in page and curl(group, proposal, top, "/reply") in page
