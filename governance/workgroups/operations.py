"""Everything that changes workgroups. Each operation takes the acting account, checks the rules,
flushes, audits administrative events and queues notifications; none commits.

Membership changes of one workgroup are serialised (a row lock on PostgreSQL; SQLite's immediate write
transactions already do), so two facilitators leaving at the same moment cannot leave it without one.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError, InvalidRequestError

from governance.core import audit
from governance.core.db_types import utcnow
from governance.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from governance.core.outbox import EmailSpec, queue_emails
from governance.extensions import db
from governance.members.models import Branch, Member, MemberStatus
from governance.workgroups import permissions, queries
from governance.workgroups.models import (
    JoinPolicy,
    MembershipRole,
    MembershipStatus,
    Workgroup,
    WorkgroupFollow,
    WorkgroupMembership,
    WorkgroupScope,
    WorkgroupTheme,
)

#: paths under /workgroups/ that a slug must not take
RESERVED_SLUGS = frozenset({"new"})
SLUG_MAX = 60
TITLE_MAX = 200
DESCRIPTION_MAX = 20000
SUPPORT_THRESHOLD_MAX = 100_000


class AlreadyMember(Conflict):
    default_message = _l("You are already a member of this workgroup, or your request is waiting for an answer.")


class LastFacilitator(Conflict):
    default_message = _l("You are the last facilitator of this workgroup: appoint another facilitator before "
                         "you leave or step down.")


class NotInScope(NotAllowed):
    default_message = _l("This workgroup is open to the members of other branches only.")


class NotActiveMember(NotAllowed):
    default_message = _l("Only active members of the cooperative can join workgroups.")


# --- helpers ---------------------------------------------------------------------------------------
def _lock(workgroup: Workgroup) -> None:
    """Serialise changes to one workgroup and its memberships, and read its state again once locked
    (SQLite: the immediate write transaction already serialises them)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Workgroup).where(Workgroup.id == workgroup.id).with_for_update()
                           .execution_options(populate_existing=True))


def slugify(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:SLUG_MAX].strip("-")
    return slug or "workgroup"


def unique_slug(title: str) -> str:
    base = slugify(title)
    taken = set(db.session.execute(
        select(Workgroup.slug).where((Workgroup.slug == base) | Workgroup.slug.like(f"{base}-%"))
    ).scalars()) | RESERVED_SLUGS
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _clean_texts(texts: Mapping[str, str | None], limit: int) -> dict[str, str]:
    cleaned = {}
    for code, text in texts.items():
        text = (text or "").strip()
        if text:
            if len(text) > limit:
                raise InvalidInput(_l("A text is too long: at most %(max)s characters.", max=limit))
            cleaned[code] = text
    return cleaned


def _check_texts(titles: dict[str, str], descriptions: dict[str, str], original_language: str,
                 working_languages: list[str], known: Iterable[str] = ()) -> None:
    languages = set(queries.content_languages(list(known)))
    if any(code not in languages for code in (*titles, *descriptions, original_language, *working_languages)):
        raise InvalidInput(_l("This language is not one the cooperative writes in."))
    if not titles.get(original_language) or not descriptions.get(original_language):
        raise InvalidInput(_l("Give the title and the description in the original language."))
    if any(code not in titles for code in descriptions):
        raise InvalidInput(_l("Each description needs a title in the same language."))
    if not working_languages:
        raise InvalidInput(_l("Choose at least one working language."))


def _choice(enum_class, value: str) -> str:
    try:
        return enum_class(value).value
    except ValueError as exc:
        raise InvalidInput() from exc


def _check_threshold(threshold: int | None) -> None:
    if threshold is not None and not 1 <= threshold <= SUPPORT_THRESHOLD_MAX:
        raise InvalidInput(_l("The number of supports must be between 1 and %(max)s.", max=SUPPORT_THRESHOLD_MAX))


def _branches(branch_ids: Iterable[int] | None) -> list[Branch]:
    if branch_ids is None:
        return []
    ids = set(branch_ids)
    branches = list(db.session.execute(select(Branch).where(Branch.id.in_(ids or [-1]))).scalars())
    if not branches or len(branches) != len(ids):
        raise InvalidInput(_l("Choose the branches whose members the workgroup is for."))
    return branches


def _scope_record(workgroup: Workgroup) -> str | list[str]:
    return WorkgroupScope.cooperative.value if workgroup.is_cooperative_wide else [b.code for b in workgroup.branches]


def _member_record(member: Member) -> dict:
    return {"member_id": member.id, "member_number": member.number}


# --- creating and editing --------------------------------------------------------------------------
def create_workgroup(*, actor, titles: Mapping[str, str], descriptions: Mapping[str, str], original_language: str,
                     working_languages: list[str], theme: str = WorkgroupTheme.other.value,
                     joining: str = JoinPolicy.open.value, branch_ids: Iterable[int] | None = None,
                     facilitate: bool = False, support_threshold: int | None = None) -> Workgroup:
    """Create a workgroup for the whole cooperative (``branch_ids`` None) or for some branches.

    With ``facilitate``, the creator's register member becomes its first facilitator.
    """
    scope_ids = None if branch_ids is None else set(branch_ids)
    if not permissions.can_create_workgroup(actor, scope_ids):
        raise NotAllowed()
    titles = _clean_texts(titles, TITLE_MAX)
    descriptions = _clean_texts(descriptions, DESCRIPTION_MAX)
    working_languages = list(dict.fromkeys(working_languages))
    _check_texts(titles, descriptions, original_language, working_languages)
    theme = _choice(WorkgroupTheme, theme)
    joining = _choice(JoinPolicy, joining)
    _check_threshold(support_threshold)
    branches = _branches(scope_ids)
    workgroup = Workgroup(
        slug=unique_slug(titles[original_language]), titles=titles, descriptions=descriptions,
        original_language=original_language, working_languages=working_languages, theme=theme, joining=joining,
        scope=(WorkgroupScope.cooperative if scope_ids is None else WorkgroupScope.branches).value,
        branches=branches, created_by_id=getattr(actor, "id", None), support_threshold=support_threshold,
    )
    try:
        with db.session.begin_nested():
            db.session.add(workgroup)
            db.session.flush()
    except IntegrityError as exc:  # another workgroup took the slug meanwhile
        raise Conflict() from exc
    audit.record("workgroup.created", actor=actor, obj=workgroup, slug=workgroup.slug,
                 scope=_scope_record(workgroup), joining=joining, theme=theme, original_language=original_language)
    if facilitate:
        member = actor.member
        if member is None or member.status != MemberStatus.active.value or not workgroup.in_scope(member):
            raise NotAllowed(_l("Only an active member within the workgroup's scope can facilitate it."))
        membership = WorkgroupMembership(workgroup_id=workgroup.id, member=member,
                                         role=MembershipRole.facilitator.value,
                                         status=MembershipStatus.active.value, joined_dt=utcnow())
        db.session.add(membership)
        db.session.flush()
        audit.record("workgroup.facilitator_appointed", actor=actor, obj=workgroup, **_member_record(member))
    return workgroup


def update_workgroup(workgroup: Workgroup, *, actor, titles: Mapping[str, str], descriptions: Mapping[str, str],
                     original_language: str, working_languages: list[str], theme: str, joining: str,
                     branch_ids: Iterable[int] | None | bool = False,
                     membership: WorkgroupMembership | None = None,
                     support_threshold: int | None | bool = False) -> Workgroup:
    """Change the texts, languages, theme and joining policy; and the scope when ``branch_ids`` is not
    False (None: the whole cooperative), which only those who could create it with that scope may do.

    ``membership`` is the actor's own membership (a facilitator's right to edit). ``support_threshold``
    (unless False) becomes the threshold of the proposals written from now on; None leaves it to the setting
    and the facilitators."""
    _lock(workgroup)
    workgroup.check_writable()
    if not permissions.can_edit_workgroup(actor, workgroup, membership):
        raise NotAllowed()
    titles = _clean_texts(titles, TITLE_MAX)
    descriptions = _clean_texts(descriptions, DESCRIPTION_MAX)
    working_languages = list(dict.fromkeys(working_languages))
    _check_texts(titles, descriptions, original_language, working_languages,
                 known=[*workgroup.titles, *workgroup.working_languages])
    workgroup.titles = titles
    workgroup.descriptions = descriptions
    workgroup.original_language = original_language
    workgroup.working_languages = working_languages
    workgroup.theme = _choice(WorkgroupTheme, theme)
    joining = _choice(JoinPolicy, joining)
    if support_threshold is not False and support_threshold != workgroup.support_threshold:
        _check_threshold(support_threshold)
        audit.record("workgroup.support_threshold_changed", actor=actor, obj=workgroup,
                     old=workgroup.support_threshold, new=support_threshold)
        workgroup.support_threshold = support_threshold
    if joining != workgroup.joining:
        audit.record("workgroup.joining_changed", actor=actor, obj=workgroup, old=workgroup.joining, new=joining)
        workgroup.joining = joining
    if branch_ids is not False:
        new_ids = None if branch_ids is None else set(branch_ids)
        old_ids = None if workgroup.is_cooperative_wide else workgroup.branch_ids
        if new_ids != old_ids:
            if not permissions.can_change_scope(actor, workgroup) or not permissions.can_create_workgroup(actor, new_ids):
                raise NotAllowed()
            old_scope = _scope_record(workgroup)
            workgroup.branches = _branches(new_ids)
            workgroup.scope = (WorkgroupScope.cooperative if new_ids is None else WorkgroupScope.branches).value
            db.session.flush()
            audit.record("workgroup.scope_changed", actor=actor, obj=workgroup, old=old_scope,
                         new=_scope_record(workgroup))
    db.session.flush()
    return workgroup


def archive_workgroup(workgroup: Workgroup, *, actor, membership: WorkgroupMembership | None = None) -> None:
    if not permissions.can_manage_workgroup(actor, workgroup, membership):
        raise NotAllowed()
    _lock(workgroup)
    workgroup.archive()
    db.session.flush()
    audit.record("workgroup.archived", actor=actor, obj=workgroup, slug=workgroup.slug)


def unarchive_workgroup(workgroup: Workgroup, *, actor, membership: WorkgroupMembership | None = None) -> None:
    if not permissions.can_manage_workgroup(actor, workgroup, membership):
        raise NotAllowed()
    _lock(workgroup)
    workgroup.unarchive()
    db.session.flush()
    audit.record("workgroup.unarchived", actor=actor, obj=workgroup, slug=workgroup.slug)


# --- joining and leaving ---------------------------------------------------------------------------
def join_workgroup(workgroup: Workgroup, member: Member, *, actor) -> WorkgroupMembership:
    """The member joins (open workgroup) or asks to join (moderated: the facilitators are emailed)."""
    if actor.member is None or actor.member.id != member.id:
        raise NotAllowed()
    _lock(workgroup)
    workgroup.check_writable()
    if member.status != MemberStatus.active.value:
        raise NotActiveMember()
    if not workgroup.in_scope(member):
        raise NotInScope()
    moderated = workgroup.is_moderated
    # (by id, not through workgroup.memberships: a refused insert must leave nothing pending in the session)
    membership = WorkgroupMembership(
        workgroup_id=workgroup.id, member=member, role=MembershipRole.member.value,
        status=(MembershipStatus.pending if moderated else MembershipStatus.active).value,
        joined_dt=None if moderated else utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(membership)
            db.session.flush()
    except IntegrityError as exc:  # already a member, or a request sent twice at once
        raise AlreadyMember() from exc
    if moderated:
        _notify_facilitators_of_request(workgroup, membership)
    else:
        _add_follow(workgroup.id, actor.id)  # joining follows the workgroup
    return membership


def leave_workgroup(workgroup: Workgroup, member: Member, *, actor) -> WorkgroupMembership:
    """Leave, or withdraw a pending request. The last facilitator must appoint another one first."""
    if actor.member is None or actor.member.id != member.id:
        raise NotAllowed()
    _lock(workgroup)
    workgroup.check_writable()
    membership = queries.membership_of(workgroup, member.id)
    if membership is None:
        raise NotFound(_l("You are not a member of this workgroup."))
    if membership.is_facilitator and queries.active_facilitator_count(workgroup) <= 1:
        raise LastFacilitator()
    db.session.delete(membership)
    db.session.flush()
    if membership.is_active:
        _remove_member_follow(workgroup.id, member.id)  # leaving stops the notifications (one may follow again)
    return membership


# --- answering requests and facilitators -----------------------------------------------------------
def _check_answering(workgroup: Workgroup, actor, actor_membership: WorkgroupMembership | None) -> None:
    _lock(workgroup)
    workgroup.check_writable()
    if not permissions.can_answer_requests(actor, workgroup, actor_membership):
        raise NotAllowed()


def _refresh(membership: WorkgroupMembership) -> None:
    """The membership as it is once the workgroup is locked: another facilitator may have answered meanwhile."""
    try:
        db.session.refresh(membership)
    except InvalidRequestError as exc:  # the row is gone (a refused request, a member who left)
        raise Conflict() from exc


def _pending(membership: WorkgroupMembership) -> None:
    if not membership.is_pending:
        raise Conflict(_l("This request has been answered already."))


def approve_request(membership: WorkgroupMembership, *, actor,
                    actor_membership: WorkgroupMembership | None = None) -> None:
    workgroup = membership.workgroup
    _check_answering(workgroup, actor, actor_membership)
    _refresh(membership)
    _pending(membership)
    membership.status = MembershipStatus.active.value
    membership.joined_dt = utcnow()
    db.session.flush()
    audit.record("workgroup.member_approved", actor=actor, obj=workgroup, **_member_record(membership.member))
    _notify_requester(workgroup, membership.member, membership.id, approved=True)
    _add_member_follow(workgroup.id, membership.member_id)  # joining follows the workgroup


def refuse_request(membership: WorkgroupMembership, *, actor,
                   actor_membership: WorkgroupMembership | None = None) -> None:
    """Refuse a request to join: it is removed (the member may ask again later)."""
    workgroup = membership.workgroup
    _check_answering(workgroup, actor, actor_membership)
    _refresh(membership)
    _pending(membership)
    member = membership.member
    request_id = membership.id
    db.session.delete(membership)
    db.session.flush()
    audit.record("workgroup.member_refused", actor=actor, obj=workgroup, request_id=request_id,
                 **_member_record(member))
    _notify_requester(workgroup, member, request_id, approved=False)


def appoint_facilitator(membership: WorkgroupMembership, *, actor,
                        actor_membership: WorkgroupMembership | None = None) -> None:
    workgroup = membership.workgroup
    _check_answering(workgroup, actor, actor_membership)
    _refresh(membership)
    if not membership.is_active:
        raise Conflict(_l("Only active members of the workgroup can be appointed facilitators."))
    if membership.is_facilitator:
        raise Conflict(_l("This member is a facilitator already."))
    if membership.member.status != MemberStatus.active.value:
        raise Conflict(_l("Only active members of the cooperative can facilitate a workgroup."))
    membership.role = MembershipRole.facilitator.value
    db.session.flush()
    audit.record("workgroup.facilitator_appointed", actor=actor, obj=workgroup, **_member_record(membership.member))


def remove_facilitator(membership: WorkgroupMembership, *, actor,
                       actor_membership: WorkgroupMembership | None = None) -> None:
    """The facilitator stays a member. A facilitator cannot step down as the last one; administrators and
    board members (who manage the workgroup anyway) can remove the last facilitator."""
    workgroup = membership.workgroup
    _check_answering(workgroup, actor, actor_membership)
    _refresh(membership)
    if not membership.is_facilitator:
        raise Conflict(_l("This member is not a facilitator."))
    if queries.active_facilitator_count(workgroup) <= 1 and not permissions.manages_by_role(actor, workgroup):
        raise LastFacilitator()
    membership.role = MembershipRole.member.value
    db.session.flush()
    audit.record("workgroup.facilitator_removed", actor=actor, obj=workgroup, **_member_record(membership.member))


# --- notifications ---------------------------------------------------------------------------------
def _email_context(workgroup: Workgroup, language: str) -> dict:
    from governance.core.i18n import pick_text

    return {"workgroup_title": pick_text(workgroup.titles, workgroup.original_language, [language]).text}


def _notify_facilitators_of_request(workgroup: Workgroup, membership: WorkgroupMembership) -> None:
    """Each facilitator who wants workgroup emails gets one, in their language."""
    from governance.accounts.operations import account_email_language, email_link

    link = email_link("workgroups.members", workgroup_slug=workgroup.slug)
    specs = []
    for account in queries.facilitator_accounts(workgroup):
        language = account_email_language(account)
        specs.append(EmailSpec(
            key=f"workgroup:{workgroup.id}:request:{membership.id}:to:{account.id}",
            to_address=account.email, to_name=account.display_name, language=language,
            template="workgroup_join_request", topic=f"workgroup:{workgroup.id}:request",
            context={**_email_context(workgroup, language), "requester_name": membership.member.full_name,
                     "members_url": link},
        ))
    queue_emails(specs)


def _notify_requester(workgroup: Workgroup, member: Member, request_id: int, *, approved: bool) -> None:
    """The member who asked to join hears the answer (if they want workgroup emails)."""
    from governance.accounts.operations import account_email_language, email_link

    account = queries.member_account(member.id)
    if account is None or not account.is_enabled or not account.notify_workgroup_email:
        return
    language = account_email_language(account)
    queue_emails([EmailSpec(
        key=f"workgroup:{workgroup.id}:request:{request_id}:{'approved' if approved else 'refused'}",
        to_address=account.email, to_name=account.display_name, language=language,
        template="workgroup_request_answered", topic=f"workgroup:{workgroup.id}:request",
        context={**_email_context(workgroup, language), "approved": approved,
                 "workgroup_url": email_link("workgroups.workgroup", workgroup_slug=workgroup.slug)},
    )])


# --- following -------------------------------------------------------------------------------------
def _add_follow(workgroup_id: int, account_id: int) -> bool:
    """The account follows the workgroup (False: it did already). Safe when two requests race."""
    if db.session.execute(select(WorkgroupFollow.id).where(WorkgroupFollow.workgroup_id == workgroup_id,
                                                           WorkgroupFollow.account_id == account_id)).first():
        return False
    try:
        with db.session.begin_nested():
            db.session.execute(insert(WorkgroupFollow).values(workgroup_id=workgroup_id, account_id=account_id,
                                                              created_dt=utcnow()))
    except IntegrityError:  # the same follow written meanwhile
        return False
    return True


def _add_member_follow(workgroup_id: int, member_id: int) -> None:
    """The account of a register member (if it has one) follows the workgroup."""
    from governance.accounts.models import Account

    account_id = db.session.execute(select(Account.id).where(Account.member_id == member_id)).scalar()
    if account_id is not None:
        _add_follow(workgroup_id, account_id)


def _remove_follow(workgroup_id: int, account_id: int) -> bool:
    result = db.session.execute(delete(WorkgroupFollow).where(WorkgroupFollow.workgroup_id == workgroup_id,
                                                              WorkgroupFollow.account_id == account_id))
    return bool(result.rowcount)


def _remove_member_follow(workgroup_id: int, member_id: int) -> None:
    """The account of a register member (if it has one) no longer follows the workgroup."""
    from governance.accounts.models import Account

    db.session.execute(delete(WorkgroupFollow).where(
        WorkgroupFollow.workgroup_id == workgroup_id,
        WorkgroupFollow.account_id.in_(select(Account.id).where(Account.member_id == member_id))))


def follow_workgroup(workgroup: Workgroup, *, actor) -> bool:
    """The actor follows the workgroup: notified when one of its proposals opens for discussion.
    Following twice changes nothing (returns False)."""
    if not permissions.can_follow_workgroup(actor, workgroup):
        raise NotAllowed()
    return _add_follow(workgroup.id, actor.id)


def unfollow_workgroup(workgroup: Workgroup, *, actor) -> bool:
    """The actor no longer follows the workgroup (False: it did not)."""
    if not permissions.can_follow_workgroup(actor, workgroup):
        raise NotAllowed()
    return _remove_follow(workgroup.id, actor.id)
