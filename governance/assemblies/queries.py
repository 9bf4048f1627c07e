"""Reading assemblies: the lists, an assembly's agenda and documents, the reader's place, the convocation's
delivery log and letters, petitions. Nothing here changes state; each function issues a fixed number of queries
whatever the number of rows.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, case, exists, func, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from governance.accounts.models import Account
from governance.assemblies.models import (
    AgendaItem,
    Assembly,
    AssemblyDocument,
    AssemblyRole,
    AssemblyRoleKind,
    AssemblyState,
    ConvocationDelivery,
    DeliveryChannel,
    DeliveryStatus,
    Petition,
    PetitionSignature,
    PetitionState,
    assembly_branches,
)
from governance.core.outbox import OutboxMessage
from governance.extensions import db
from governance.members.models import Branch, Member


def all_branches() -> list[Branch]:
    return list(db.session.execute(select(Branch).order_by(Branch.code)).scalars())


# --- the reader ------------------------------------------------------------------------------------
@dataclass
class ViewerContext:
    """What the permission predicates need about the reader of one assembly."""

    member_id: int | None
    on_roll: bool
    #: the reader's roles at this assembly ("chair", "teller" …)
    roles: list[str] = field(default_factory=list)

    @property
    def holds_role(self) -> bool:
        return bool(self.roles)

    @property
    def role_labels(self) -> list[str]:
        return [AssemblyRoleKind(role).label for role in self.roles]


def viewer_context(account, assembly: Assembly) -> ViewerContext:
    """One query (the reader's roles at the assembly); the roll test reads the member loaded with the account."""
    member = getattr(account, "member", None)
    member_id = member.id if member is not None else None
    conditions = [AssemblyRole.account_id == account.id]
    if member_id is not None:
        conditions.append(AssemblyRole.member_id == member_id)
    roles = list(db.session.execute(select(AssemblyRole.role).where(
        AssemblyRole.assembly_id == assembly.id, or_(*conditions)).order_by(AssemblyRole.role)).scalars())
    return ViewerContext(member_id=member_id, on_roll=assembly.is_on_roll(member), roles=roles)


def is_on_roll(assembly: Assembly, member_id: int) -> bool:
    return db.session.execute(select(Member.id).where(Member.id == member_id, assembly.roll_condition())).first() \
        is not None


def roll_size(assembly: Assembly) -> int:
    return db.session.execute(select(func.count()).select_from(Member).where(assembly.roll_condition())).scalar_one()


def channel_counts(assembly: Assembly) -> tuple[int, int]:
    """(emails, letters) the convocation would send now, counted by the database (same rule as
    ``operations.recipients``)."""
    by_email = and_(Member.email_consent_dt.is_not(None), Member.email.is_not(None), Member.email != "",
                    or_(Account.id.is_(None), Account.notify_convocation_email.is_(True)))
    row = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((by_email, 1), else_=0)), 0))
        .select_from(Member).outerjoin(Account, Account.member_id == Member.id)
        .where(assembly.roll_condition())).one()
    total, emails = int(row[0]), int(row[1])
    return emails, total - emails


# --- lists -----------------------------------------------------------------------------------------
def _visibility(account) -> object:
    """The SQL condition for the assemblies (other than drafts) the account sees."""
    from governance.assemblies.permissions import _is_global_staff, staff_branch_ids

    if _is_global_staff(account):
        return true()
    branch_ids = set(staff_branch_ids(account))
    member = getattr(account, "member", None)
    if member is not None:
        branch_ids.add(member.branch_id)
    role_condition = [AssemblyRole.account_id == account.id]
    if member is not None:
        role_condition.append(AssemblyRole.member_id == member.id)
    conditions = [exists().where(AssemblyRole.assembly_id == Assembly.id, or_(*role_condition))]
    if branch_ids:
        conditions.append(exists().where(assembly_branches.c.assembly_id == Assembly.id,
                                         assembly_branches.c.branch_id.in_(sorted(branch_ids))))
    return or_(*conditions)


def _managed(account) -> object | None:
    """The SQL condition for the assemblies the account manages (None: none)."""
    from governance.assemblies.permissions import _is_global_staff, staff_branch_ids

    if _is_global_staff(account):
        return true()
    branch_ids = staff_branch_ids(account)
    if not branch_ids:
        return None
    return Assembly.branch_id.in_(sorted(branch_ids))


@dataclass
class AssemblyLists:
    drafts: list[Assembly]
    upcoming: list[Assembly]
    past: list[Assembly]


#: past assemblies listed (the most recent first)
PAST_LIMIT = 50


def assembly_lists(account) -> AssemblyLists:
    """Drafts the account manages, upcoming assemblies (convened or in session) and past ones it sees: three
    queries (the branches are loaded with them in one more)."""
    managed = _managed(account)
    visible = _visibility(account) if managed is None else or_(_visibility(account), managed)
    base = select(Assembly).options(selectinload(Assembly.branches))
    drafts = [] if managed is None else list(db.session.execute(
        base.where(Assembly.state == AssemblyState.draft.value, managed).order_by(Assembly.starts_at)).scalars())
    upcoming = list(db.session.execute(base.where(
        Assembly.state.in_([AssemblyState.convened.value, AssemblyState.in_session.value]), visible)
        .order_by(Assembly.starts_at)).scalars())
    past = list(db.session.execute(base.where(
        Assembly.state.in_([AssemblyState.closed.value, AssemblyState.minutes_approved.value]), visible)
        .order_by(Assembly.starts_at.desc()).limit(PAST_LIMIT)).scalars())
    return AssemblyLists(drafts=drafts, upcoming=upcoming, past=past)


# --- one assembly ----------------------------------------------------------------------------------
def agenda_items(assembly: Assembly) -> list[AgendaItem]:
    return list(db.session.execute(select(AgendaItem).where(AgendaItem.assembly_id == assembly.id)
                                   .order_by(AgendaItem.position)).scalars())


def documents_by_item(assembly: Assembly) -> dict[int | None, list[AssemblyDocument]]:
    """The assembly's documents (without their bytes), by agenda item id (None: the assembly's own)."""
    grouped: dict[int | None, list[AssemblyDocument]] = defaultdict(list)
    for document in db.session.execute(select(AssemblyDocument).where(AssemblyDocument.assembly_id == assembly.id)
                                       .order_by(AssemblyDocument.id)).scalars():
        grouped[document.agenda_item_id].append(document)
    return grouped


def roles(assembly: Assembly) -> list[AssemblyRole]:
    return list(db.session.execute(
        select(AssemblyRole).where(AssemblyRole.assembly_id == assembly.id)
        .options(joinedload(AssemblyRole.member), joinedload(AssemblyRole.account))
        .order_by(AssemblyRole.role, AssemblyRole.id)).scalars())


def second_convocation(assembly: Assembly) -> Assembly | None:
    return db.session.execute(select(Assembly).where(Assembly.first_assembly_id == assembly.id)
                              .order_by(Assembly.id).limit(1)).scalar_one_or_none()


def first_assembly(assembly: Assembly) -> Assembly | None:
    return db.session.get(Assembly, assembly.first_assembly_id) if assembly.first_assembly_id else None


# --- the convocation's delivery log ----------------------------------------------------------------
#: the live status: an email's is its outbox message's ("sending" is still "queued")
effective_status = case(
    (and_(ConvocationDelivery.channel == DeliveryChannel.email.value, OutboxMessage.status == "sent"),
     DeliveryStatus.sent.value),
    (and_(ConvocationDelivery.channel == DeliveryChannel.email.value, OutboxMessage.status == "failed"),
     DeliveryStatus.failed.value),
    (ConvocationDelivery.channel == DeliveryChannel.email.value, DeliveryStatus.queued.value),
    else_=ConvocationDelivery.status,
)


@dataclass
class DeliveryRow:
    delivery: ConvocationDelivery
    member: Member
    status: str
    sent_dt: dt.datetime | None
    last_error: str | None

    @property
    def status_label(self) -> str:
        return DeliveryStatus(self.status).label


@dataclass
class DeliveryPage:
    rows: list[DeliveryRow]
    total: int
    page: int
    pages: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


DELIVERIES_PER_PAGE = 50


def delivery_page(assembly: Assembly, *, status: str = "", channel: str = "", search: str = "", page: int = 1,
                  per_page: int = DELIVERIES_PER_PAGE) -> DeliveryPage:
    """A page of the delivery log, filtered by live status, channel and a name or member number: two queries."""
    conditions = [ConvocationDelivery.assembly_id == assembly.id]
    if status:
        conditions.append(effective_status == status)
    if channel:
        conditions.append(ConvocationDelivery.channel == channel)
    if search:
        pattern = f"%{search.lower()}%"
        conditions.append(or_(func.lower(Member.last_name).like(pattern), func.lower(Member.first_name).like(pattern),
                              func.lower(Member.number).like(pattern)))
    base = (select(ConvocationDelivery, Member, effective_status, OutboxMessage.sent_dt, OutboxMessage.last_error)
            .join(Member, Member.id == ConvocationDelivery.member_id)
            .outerjoin(OutboxMessage, OutboxMessage.id == ConvocationDelivery.outbox_message_id)
            .where(*conditions))
    total = db.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = [DeliveryRow(delivery=d, member=m, status=s, sent_dt=sent, last_error=error)
            for d, m, s, sent, error in db.session.execute(
                base.order_by(Member.last_name, Member.first_name, Member.id)
                .offset((page - 1) * per_page).limit(per_page))]
    return DeliveryPage(rows=rows, total=total, page=page, pages=pages)


def delivery_counts(assembly: Assembly) -> dict[str, int]:
    """Deliveries per live status (one GROUP BY)."""
    rows = db.session.execute(
        select(effective_status, func.count())
        .select_from(ConvocationDelivery)
        .outerjoin(OutboxMessage, OutboxMessage.id == ConvocationDelivery.outbox_message_id)
        .where(ConvocationDelivery.assembly_id == assembly.id).group_by(effective_status)).all()
    return {status: count for status, count in rows}


def delivery_of(assembly: Assembly, member_id: int) -> ConvocationDelivery | None:
    return db.session.execute(select(ConvocationDelivery).where(
        ConvocationDelivery.assembly_id == assembly.id, ConvocationDelivery.member_id == member_id)
    ).scalar_one_or_none()


def letters(assembly: Assembly, *, pending_only: bool, limit: int | None = None,
            offset: int = 0) -> list[ConvocationDelivery]:
    """The letters of the convocation (those still to print, or all), with their members and branches, in the
    order of the register (by branch, name); ``limit``/``offset`` for a batch."""
    query = (select(ConvocationDelivery).join(Member, Member.id == ConvocationDelivery.member_id)
             .options(joinedload(ConvocationDelivery.member).joinedload(Member.branch))
             .where(ConvocationDelivery.assembly_id == assembly.id,
                    ConvocationDelivery.channel == DeliveryChannel.letter.value))
    if pending_only:
        query = query.where(ConvocationDelivery.status == DeliveryStatus.to_print.value)
    query = query.order_by(Member.branch_id, Member.last_name, Member.first_name, Member.id)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return list(db.session.execute(query).scalars())


def letter_counts(assembly: Assembly) -> tuple[int, int]:
    """(to print, printed)."""
    rows = dict(db.session.execute(
        select(ConvocationDelivery.status, func.count()).where(
            ConvocationDelivery.assembly_id == assembly.id,
            ConvocationDelivery.channel == DeliveryChannel.letter.value).group_by(ConvocationDelivery.status)).all())
    return rows.get(DeliveryStatus.to_print.value, 0), rows.get(DeliveryStatus.printed.value, 0)


# --- petitions -------------------------------------------------------------------------------------
@dataclass
class PetitionRow:
    petition: Petition
    signatures: int
    signed: bool


def _signature_counts(petition_ids: list[int]) -> dict[int, int]:
    if not petition_ids:
        return {}
    return dict(db.session.execute(
        select(PetitionSignature.petition_id, func.count()).where(PetitionSignature.petition_id.in_(petition_ids))
        .group_by(PetitionSignature.petition_id)).all())


def _signed_ids(petition_ids: list[int], member_id: int | None) -> set[int]:
    if not petition_ids or member_id is None:
        return set()
    return set(db.session.execute(select(PetitionSignature.petition_id).where(
        PetitionSignature.petition_id.in_(petition_ids), PetitionSignature.member_id == member_id)).scalars())


def petition_rows(account, *, include_closed: bool = False) -> list[PetitionRow]:
    """The petitions the account sees, newest first, with their signature counts and whether the reader signed:
    three queries."""
    from governance.assemblies.permissions import _is_global_staff, staff_branch_ids

    query = select(Petition).options(selectinload(Petition.branch)).order_by(Petition.opened_dt.desc(),
                                                                            Petition.id.desc())
    if not include_closed:
        query = query.where(Petition.state != PetitionState.closed.value)
    if not _is_global_staff(account):
        branch_ids = set(staff_branch_ids(account))
        member = getattr(account, "member", None)
        if member is not None:
            branch_ids.add(member.branch_id)
        query = query.where(or_(Petition.branch_id.is_(None), Petition.branch_id.in_(sorted(branch_ids))))
    petitions = list(db.session.execute(query.limit(200)).scalars())
    ids = [p.id for p in petitions]
    counts = _signature_counts(ids)
    member = getattr(account, "member", None)
    signed = _signed_ids(ids, member.id if member is not None else None)
    return [PetitionRow(petition=p, signatures=counts.get(p.id, 0), signed=p.id in signed) for p in petitions]


def petition_row(petition: Petition, member_id: int | None) -> PetitionRow:
    return PetitionRow(petition=petition, signatures=_signature_counts([petition.id]).get(petition.id, 0),
                       signed=petition.id in _signed_ids([petition.id], member_id))


def petition_assemblies(petition: Petition) -> list[Assembly]:
    return list(db.session.execute(select(Assembly).where(Assembly.petition_id == petition.id)
                                   .order_by(Assembly.starts_at)).scalars())
