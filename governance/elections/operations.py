"""Everything that changes boards, mandates, elections and candidacies.

Each operation takes the acting account explicitly (``actor=None`` is the system: the scheduler, the demo
loader), checks the rules, flushes, writes an audit entry for administrative events and queues emails; none
commits. The ballot of an election is made, opened and closed by :mod:`governance.votes.operations`.

Boards and mandates
-------------------
A board has at most one row per branch (and one for the group); an election never fills more seats than the
board has. Mandates are added by hand (co-option, appointment) or by :func:`confirm_result` (election); a
mandate ends at its term or earlier (:func:`end_mandate`, with a reason). :func:`warn_expiring_mandates` tells
the board's secretaries, once per mandate, of mandates ending within :data:`EXPIRY_WARNING_MONTHS`.

Timeline of an election
-----------------------
``draft`` → :func:`open_call` (``call_open``: the electorate is told by email) → candidacies until the
deadline → :func:`freeze_list` (``list_frozen``: the ballot is created) → voting (``voting``: the ballot opens at
``voting_opens_at``, by the votes scheduler or :func:`open_voting`; :func:`tick` keeps the election in step) →
the ballot closes and is counted (``counted``: an after-close hook) → :func:`confirm_result` (``confirmed``: one
mandate per elected candidate). Any state before ``counted`` can be cancelled (an open ballot is annulled, a draft
ballot deleted); a counted election whose ballot was annulled can be cancelled too.

Times are compared in UTC: a candidacy is accepted from ``candidacy_opens_at`` (inclusive) until
``candidacy_deadline`` (exclusive: a candidacy at the deadline is late). The membership length is counted in whole
days from ``joined_on`` to the deadline's date in the board's time zone.

Candidacies
-----------
A member submits one candidacy per election (a unique constraint; two concurrent submissions leave one row and a
:class:`Conflict` for the other). A withdrawn candidacy may be submitted again (the same row is reused); a refused
one may not. The statement must exist in its original language. The self-declared gender is kept only when the
election has a gender constraint (otherwise it is dropped). The candidate edits their candidacy until the
deadline; **editing an accepted candidacy sends it back to "submitted"** for a new check, since what was checked
changed. Withdrawal: by the candidate, before the deadline. Review: by the board's managers until the list is
frozen; a refusal needs a reason, which the candidate receives by email (acceptance is emailed too).

The order of the candidates on the ballot
-----------------------------------------
* ``alphabetical_from_letter``: a letter A–Z is drawn at random (``secrets``; tests pass ``rng``) when the list is
  frozen, stored in ``order_letter`` and written to the audit log. Candidates are sorted by last name, then first
  name, compared without case and accents ("Élodie" sorts as "elodie", "Øster" as "oster"; ``ß`` as ``ss``),
  then by member number; the list starts at the first name whose last name begins with the drawn letter (or the
  next letter that has one) and wraps around from Z to A. Last names that do not begin with a letter A–Z once
  accents are stripped come last, in the same order.
* ``random_per_voter``: the options are stored in plain alphabetical order (from A) and the ballot's
  ``shuffle_options`` is set: each voter sees them in a different random order. No letter is drawn.

Freezing the list
-----------------
After the deadline, once every active candidacy was reviewed, with at least one accepted candidate and
constraints that the accepted candidates can meet (:func:`governance.votes.methods.constraints.check_feasible`;
branch groups use the candidate's branch code, gender groups the declared gender: a candidate who declared none is
in no gender group). With no more accepted candidates than seats the election is **uncontested**: the list is
frozen (the ballot is created as the record of the list, but never opened), and when voting is due the election
goes straight to ``counted`` with every candidate elected; the secretary confirms as usual.

The ballot: a register electorate (the board's branch, every branch for the group's board; the election's
statuses and cut-off), the election's method (STV: its seats; IRV: one seat; approval: its ``max_choices``), its
secrecy and voting window; the question is the election's title in each of its languages, which must include
every language the branches require; each option is a candidate's name, the same in each of those languages.
"""
from __future__ import annotations

import calendar
import datetime as dt
import logging
import secrets
import string
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import format_date, format_datetime, gettext as _, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError

from governance.accounts.models import Account, Role, RoleAssignment
from governance.core import audit
from governance.core.db_types import utcnow
from governance.core.errors import Conflict, DomainError, InvalidInput, NotAllowed
from governance.core.i18n import language_in_text, pick_text
from governance.core.outbox import EmailSpec, queue_emails
from governance.elections import permissions
from governance.elections.models import (
    EXPIRY_WARNING_MONTHS,
    Board,
    Candidacy,
    CandidacyState,
    ConstraintCategory,
    Election,
    ElectionConstraint,
    ElectionMethod,
    ElectionState,
    Gender,
    Mandate,
    MandateEnd,
    MandateOrigin,
    OrderRule,
)
from governance.extensions import db
from governance.members.models import Branch, Member, MemberStatus
from governance.notifications.registry import register_kind
from governance.votes import operations as ballots
from governance.votes.methods import count_approval
from governance.votes.models import Ballot, BallotMethod, BallotState, ElectorateKind

log = logging.getLogger(__name__)

TITLE_MAX = 300
DESCRIPTION_MAX = 20_000
STATEMENT_MAX = 10_000
PROFILE_MAX = 2_000
NOTE_MAX = 2_000
REASON_MAX = 5_000
MAX_SEATS = 100
ALPHABET = string.ascii_uppercase
#: notification kind of the expiry warning
KIND_MANDATE_EXPIRING = "election.mandate_expiring"
#: the fields :func:`update_election` changes
ELECTION_FIELDS = frozenset({
    "titles", "original_language", "descriptions", "seats", "method", "max_choices", "is_secret",
    "eligible_statuses", "register_cutoff", "min_membership_days", "exclude_staff", "candidacy_opens_at",
    "candidacy_deadline", "voting_opens_at", "voting_closes_at", "term_starts_on", "term_ends_on", "order_rule",
    "assembly",
})


# --- errors ----------------------------------------------------------------------------------------
class AlreadyCandidate(Conflict):
    default_message = _l("This member has already submitted a candidacy in this election.")


class CallClosed(Conflict):
    default_message = _l("The call for candidates is not open: candidacies are accepted from %(opens)s until "
                         "%(deadline)s.")


class NotEligible(NotAllowed):
    """The member cannot stand; ``problems`` lists every reason."""

    default_message = _l("This member cannot stand in this election: %(problems)s")

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(problems=" ".join(problems))


class ConstraintsInfeasible(Conflict):
    """The accepted candidates cannot meet the balance rules; ``problems`` lists every reason."""

    default_message = _l("The accepted candidates cannot meet the balance rules: %(problems)s")

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(problems=" ".join(problems))


class TitlesMissing(Conflict):
    default_message = _l("The election's title must exist in every language its branches require. Missing: "
                         "%(missing)s.")


# --- helpers ---------------------------------------------------------------------------------------
def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else utcnow()


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _lock(obj, fields: Sequence[str] = ("state",)) -> None:
    """Lock the row (PostgreSQL; SQLite serialises writers) and read its state again."""
    if obj.id is None:
        return
    model = type(obj)
    if _is_postgresql():
        db.session.execute(select(model.id).where(model.id == obj.id).with_for_update())
    db.session.refresh(obj, list(fields))


def _require_manager(actor, board: Board) -> None:
    if actor is not None and not permissions.can_manage_board(actor, board):
        raise NotAllowed()


def _record(event: str, obj, actor, **data) -> None:
    audit.record(event, actor=actor, obj=obj, **data)


def _zone(name: str):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def _format_time(value: dt.datetime | None, language: str, timezone: str) -> str:
    """A moment for an email: in the recipient's time zone and language."""
    from babel.dates import format_datetime as babel_format_datetime

    if value is None:
        return ""
    try:
        return babel_format_datetime(value, "long", tzinfo=_zone(timezone), locale=language)
    except (ValueError, LookupError):  # pragma: no cover - an unknown locale
        return babel_format_datetime(value, "long", tzinfo=dt.timezone.utc, locale="en")


def _local_date(board: Board, moment: dt.datetime) -> dt.date:
    return moment.astimezone(_zone(board.timezone)).date()


def _clean_texts(texts: Mapping[str, str] | None, limit: int) -> dict[str, str]:
    cleaned = {}
    for code, text in (texts or {}).items():
        text = (text or "").strip()
        if len(text) > limit:
            raise InvalidInput(_l("A text is too long (at most %(max)s characters).", max=limit))
        if text:
            cleaned[str(code)] = text
    return cleaned


def _clean_optional(text: str | None, limit: int) -> str | None:
    text = (text or "").strip()
    if len(text) > limit:
        raise InvalidInput(_l("A text is too long (at most %(max)s characters).", max=limit))
    return text or None


def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_l("Give the reason."))
    if len(reason) > REASON_MAX:
        raise InvalidInput(_l("The reason is too long (at most %(max)s characters).", max=REASON_MAX))
    return reason


def _whole(value: Any, message) -> int:
    if isinstance(value, bool):
        raise InvalidInput(message)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput(message) from None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def board_branch_ids(board: Board) -> list[int]:
    """The branches of a board's electorate: its branch, or every branch for the group's board."""
    if board.branch_id is not None:
        return [board.branch_id]
    return list(db.session.execute(select(Branch.id).order_by(Branch.code)).scalars())


def board_branches(board: Board) -> list[Branch]:
    if board.branch is not None:
        return [board.branch]
    return list(db.session.execute(select(Branch).order_by(Branch.code)).scalars())


def required_languages(board: Board) -> list[str]:
    """Every language the texts of the board's elections must exist in."""
    codes: dict[str, None] = {}
    for branch in board_branches(board):
        for code in branch.required_languages or ():
            codes.setdefault(code)
    return sorted(codes)


def _link(endpoints: Sequence[str], fallback: str, **values) -> str:
    from governance.accounts.operations import email_link

    for endpoint in endpoints:
        try:
            return email_link(endpoint, **values)
        except BuildError:
            continue
    return current_app.config["SERVER_NAME_FOR_EMAIL"].rstrip("/") + fallback


def election_link(election: Election) -> str:
    return _link(("elections.election", "elections.view_election", "elections.detail"),
                 f"/elections/{election.id}", election_id=election.id)


def board_path(board: Board) -> str:
    """The board's page, as a path (for notifications)."""
    from governance.notifications.operations import portal_path

    for endpoint in ("elections.board", "elections.view_board"):
        try:
            return portal_path(endpoint, board_id=board.id)
        except BuildError:
            continue
    return f"/boards/{board.id}"


def board_names(board: Board) -> dict[str, str]:
    """The board's name per language ("" for the group's board: the templates say "the cooperative's board")."""
    return dict(board.branch.names) if board.branch is not None else {}


# --- boards and mandates ---------------------------------------------------------------------------
def _check_board_numbers(seats: Any, term_years: Any) -> tuple[int, int]:
    seats = _whole(seats, _l("Give the number of seats (at least 1)."))
    term_years = _whole(term_years, _l("Give the usual term in years (at least 1)."))
    if not 1 <= seats <= MAX_SEATS:
        raise InvalidInput(_l("A board has between 1 and %(max)s seats.", max=MAX_SEATS))
    if not 1 <= term_years <= 20:
        raise InvalidInput(_l("A term lasts between 1 and 20 years."))
    return seats, term_years


def create_board(*, actor, branch: Branch | None, seats: int, term_years: int = 3) -> Board:
    """The board of a branch (``branch=None``: the group's board); one per branch."""
    seats, term_years = _check_board_numbers(seats, term_years)
    branch_id = branch.id if branch is not None else None
    board = Board(branch_id=branch_id, branch=branch, scope_key=Board.scope_for(branch_id), seats=seats,
                  term_years=term_years)
    _require_manager(actor, board)
    try:
        with db.session.begin_nested():
            db.session.add(board)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("This board exists already.")) from None
    _record("board.created", board, actor, branch_id=branch_id, seats=seats, term_years=term_years)
    return board


def update_board(board: Board, *, actor, seats: int, term_years: int) -> Board:
    _require_manager(actor, board)
    seats, term_years = _check_board_numbers(seats, term_years)
    old = {"seats": board.seats, "term_years": board.term_years}
    board.seats, board.term_years = seats, term_years
    db.session.flush()
    _record("board.updated", board, actor, old=old, seats=seats, term_years=term_years)
    return board


def add_mandate(board: Board, member: Member, *, actor, starts_on: dt.date, ends_on: dt.date, origin: str,
                note: str | None = None) -> Mandate:
    """A seat obtained by co-option or appointment (elected mandates come from :func:`confirm_result`)."""
    _require_manager(actor, board)
    try:
        origin = MandateOrigin(origin).value
    except ValueError:
        raise InvalidInput(_l("Choose how the seat was obtained.")) from None
    if origin == MandateOrigin.election.value:
        raise InvalidInput(_l("Elected mandates are created when the election's result is confirmed."))
    if starts_on is None or ends_on is None or ends_on <= starts_on:
        raise InvalidInput(_l("The term must end after it starts."))
    if board.branch_id is not None and member.branch_id != board.branch_id:
        raise InvalidInput(_l("Only a member of the board's branch can sit on it."))
    mandate = Mandate(board_id=board.id, member_id=member.id, starts_on=starts_on, ends_on=ends_on, origin=origin,
                      note=_clean_optional(note, NOTE_MAX), created_by_id=getattr(actor, "id", None))
    db.session.add(mandate)
    db.session.flush()
    _record("mandate.added", mandate, actor, board_id=board.id, member_id=member.id, origin=origin,
            starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat())
    return mandate


def end_mandate(mandate: Mandate, *, actor, ended_on: dt.date, reason: str, note: str | None = None) -> Mandate:
    """Record the end of a mandate (term expiry, resignation, removal)."""
    board = db.session.get(Board, mandate.board_id)
    _require_manager(actor, board)
    _lock(mandate, ("ended_on", "end_reason"))
    if mandate.ended_on is not None:
        raise Conflict(_l("This mandate has ended already."))
    try:
        reason = MandateEnd(reason).value
    except ValueError:
        raise InvalidInput(_l("Choose how the mandate ended.")) from None
    if ended_on is None or ended_on < mandate.starts_on:
        raise InvalidInput(_l("A mandate cannot end before it starts."))
    if ended_on > mandate.ends_on:
        raise InvalidInput(_l("A mandate cannot end after its term."))
    mandate.ended_on, mandate.end_reason = ended_on, reason
    if note:
        mandate.note = _clean_optional(note, NOTE_MAX)
    db.session.flush()
    _record("mandate.ended", mandate, actor, board_id=mandate.board_id, member_id=mandate.member_id,
            ended_on=ended_on.isoformat(), reason=reason)
    return mandate


def board_secretaries(board: Board) -> list[Account]:
    """Who hears of a board's expiring mandates: the secretaries of its branch; if it has none (and for the
    group's board), the global secretaries."""
    def secretaries(condition) -> list[Account]:
        ids = select(RoleAssignment.account_id).where(RoleAssignment.role == Role.secretary.value, condition)
        return list(db.session.execute(select(Account).where(Account.id.in_(ids), Account.is_enabled.is_(True))
                                       .order_by(Account.id)).scalars())

    found = secretaries(RoleAssignment.branch_id == board.branch_id) if board.branch_id is not None else []
    return found or secretaries(RoleAssignment.branch_id.is_(None))


def _render_expiring(data: Mapping[str, Any], languages: list[str]) -> str:
    names = data.get("board") or {}
    board = pick_text(names, next(iter(names), "en"), languages).text if names else ""
    day = format_date(dt.date.fromisoformat(data["ends_on"]), "long")
    if board:
        return _("The mandate of %(name)s on the board of %(board)s ends on %(date)s: plan the election.",
                 name=data["name"], board=board, date=day)
    return _("The mandate of %(name)s on the cooperative's board ends on %(date)s: plan the election.",
             name=data["name"], date=day)


register_kind(KIND_MANDATE_EXPIRING, _render_expiring)


def warn_expiring_mandates(*, now: dt.datetime | None = None, months: int = EXPIRY_WARNING_MONTHS) -> list[int]:
    """Tell the board secretaries (in-app notification and email, in each one's language) of every current mandate
    ending within ``months``; once per mandate (an audit entry ``mandate.expiry_warned`` marks it). Returns the ids
    of the mandates warned now."""
    from governance.accounts.operations import account_email_language
    from governance.core.audit import AuditEntry
    from governance.elections import queries
    from governance.notifications.operations import notify

    now = _now(now)
    warned = []
    mandates = queries.expiring_mandates(now.date(), months=months)
    if not mandates:
        return warned
    done = set(db.session.execute(select(AuditEntry.object_id).where(
        AuditEntry.event == "mandate.expiry_warned", AuditEntry.object_type == Mandate.__tablename__,
        AuditEntry.object_id.in_([str(m.id) for m in mandates]))).scalars())
    for mandate in mandates:
        if str(mandate.id) in done:
            continue
        board = mandate.board
        recipients = board_secretaries(board)
        name = mandate.member.full_name
        notify(recipients, KIND_MANDATE_EXPIRING, {"mandate_id": mandate.id, "name": name,
                                                   "board": board_names(board),
                                                   "ends_on": mandate.ends_on.isoformat()},
               board_path(board), now=now)
        specs = []
        for account in recipients:
            language = account_email_language(account)
            specs.append(EmailSpec(
                key=f"mandate:{mandate.id}:expiring:to:{account.id}", to_address=account.email,
                to_name=account.display_name, language=language, template="election_mandate_expiring",
                topic=f"mandate:{mandate.id}:expiring",
                context={"name": name, "board": pick_text(board_names(board), "en", [language]).text,
                         "ends_on": mandate.ends_on.isoformat(),  # in the recipient's language below
                         "board_url": _link(("elections.board", "elections.view_board"), f"/boards/{board.id}",
                                            board_id=board.id)}))
        _localise_dates(specs, "ends_on", mandate.ends_on)
        queue_emails(specs)
        _record("mandate.expiry_warned", mandate, None, board_id=board.id, ends_on=mandate.ends_on.isoformat(),
                recipients=[a.id for a in recipients])
        warned.append(mandate.id)
    return warned


def _localise_dates(specs: list[EmailSpec], key: str, day: dt.date) -> None:
    from babel.dates import format_date as babel_format_date

    for spec in specs:
        try:
            spec.context[key] = babel_format_date(day, "long", locale=spec.language)
        except (ValueError, LookupError):  # pragma: no cover - an unknown locale
            spec.context[key] = day.isoformat()


# --- elections: definition -------------------------------------------------------------------------
def _aware(value: Any, message) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise InvalidInput(message)
    return value.astimezone(dt.timezone.utc)


def _apply_fields(election: Election, board: Board, f: dict[str, Any]) -> None:
    """Validate the definition ``f`` (every field) and write it into the election."""
    titles = _clean_texts(f["titles"], TITLE_MAX)
    language = (f["original_language"] or "").strip()
    if not language or not titles.get(language):
        raise InvalidInput(_l("Give the title in the original language."))
    descriptions = _clean_texts(f["descriptions"], DESCRIPTION_MAX)
    if set(descriptions) - set(titles):
        raise InvalidInput(_l("An explanation needs the title in the same language."))
    try:
        method = ElectionMethod(f["method"]).value
    except ValueError:
        raise InvalidInput(_l("Choose a voting method.")) from None
    seats = _whole(f["seats"], _l("Give the number of seats to fill (at least 1)."))
    if seats < 1:
        raise InvalidInput(_l("Give the number of seats to fill (at least 1)."))
    if seats > board.seats:
        raise InvalidInput(_l("The board has %(seats)s seats: an election cannot fill more.", seats=board.seats))
    if method == ElectionMethod.irv.value and seats != 1:
        raise InvalidInput(_l("An instant-runoff vote fills one seat: use STV for several seats."))
    max_choices = f["max_choices"]
    if method == ElectionMethod.approval.value:
        max_choices = seats if max_choices in (None, "") else _whole(
            max_choices, _l("Give how many candidates a member may approve (at least 1)."))
        if max_choices < 1:
            raise InvalidInput(_l("Give how many candidates a member may approve (at least 1)."))
    else:
        max_choices = None
    statuses = list(dict.fromkeys(f["eligible_statuses"] or ()))
    if not statuses or set(statuses) - {s.value for s in MemberStatus}:
        raise InvalidInput(_l("Choose the membership statuses that give a vote."))
    min_days = _whole(f["min_membership_days"], _l("Give the minimum membership length in days (0 or more)."))
    if min_days < 0:
        raise InvalidInput(_l("Give the minimum membership length in days (0 or more)."))
    message = _l("Give every date and time of the timeline with its time zone.")
    opens_at = _aware(f["candidacy_opens_at"], message)
    deadline = _aware(f["candidacy_deadline"], message)
    voting_opens_at = _aware(f["voting_opens_at"], message)
    voting_closes_at = _aware(f["voting_closes_at"], message)
    if deadline <= opens_at:
        raise InvalidInput(_l("The candidacy deadline must come after the call opens."))
    if voting_opens_at < deadline:
        raise InvalidInput(_l("Voting cannot open before the candidacy deadline."))
    if voting_closes_at <= voting_opens_at:
        raise InvalidInput(_l("Voting must close after it opens."))
    term_starts_on, term_ends_on = f["term_starts_on"], f["term_ends_on"]
    if not isinstance(term_starts_on, dt.date) or not isinstance(term_ends_on, dt.date) \
            or term_ends_on <= term_starts_on:
        raise InvalidInput(_l("The term must end after it starts."))
    try:
        order_rule = OrderRule(f["order_rule"]).value
    except ValueError:
        raise InvalidInput(_l("Choose how the candidates are ordered on the ballot.")) from None
    assembly = f["assembly"]
    election.titles, election.original_language, election.descriptions = titles, language, descriptions
    election.method, election.seats, election.max_choices = method, seats, max_choices
    election.is_secret = bool(f["is_secret"])
    election.eligible_statuses, election.register_cutoff = statuses, f["register_cutoff"]
    election.min_membership_days, election.exclude_staff = min_days, bool(f["exclude_staff"])
    election.candidacy_opens_at, election.candidacy_deadline = opens_at, deadline
    election.voting_opens_at, election.voting_closes_at = voting_opens_at, voting_closes_at
    election.term_starts_on, election.term_ends_on = term_starts_on, term_ends_on
    election.order_rule = order_rule
    election.assembly_id = assembly.id if assembly is not None else None


def _fields_of(election: Election) -> dict[str, Any]:
    return {
        "titles": dict(election.titles), "original_language": election.original_language,
        "descriptions": dict(election.descriptions or {}), "seats": election.seats, "method": election.method,
        "max_choices": election.max_choices, "is_secret": election.is_secret,
        "eligible_statuses": list(election.eligible_statuses), "register_cutoff": election.register_cutoff,
        "min_membership_days": election.min_membership_days, "exclude_staff": election.exclude_staff,
        "candidacy_opens_at": election.candidacy_opens_at, "candidacy_deadline": election.candidacy_deadline,
        "voting_opens_at": election.voting_opens_at, "voting_closes_at": election.voting_closes_at,
        "term_starts_on": election.term_starts_on, "term_ends_on": election.term_ends_on,
        "order_rule": election.order_rule, "assembly": _assembly_of(election),
    }


def _assembly_of(election: Election):
    if election.assembly_id is None:
        return None
    from governance.assemblies.models import Assembly

    return db.session.get(Assembly, election.assembly_id)


def create_election(board: Board, *, actor, titles: Mapping[str, str], original_language: str,
                    descriptions: Mapping[str, str] | None = None, seats: int, method: str = "stv",
                    max_choices: int | None = None, is_secret: bool = True,
                    eligible_statuses: Iterable[str] = ("active",), register_cutoff: dt.date | None = None,
                    min_membership_days: int = 0, exclude_staff: bool = True, candidacy_opens_at: dt.datetime,
                    candidacy_deadline: dt.datetime, voting_opens_at: dt.datetime, voting_closes_at: dt.datetime,
                    term_starts_on: dt.date, term_ends_on: dt.date,
                    order_rule: str = "alphabetical_from_letter", assembly=None,
                    now: dt.datetime | None = None) -> Election:
    """A draft election for ``seats`` seats of the board (never more than the board has)."""
    _require_manager(actor, board)
    election = Election(board_id=board.id, board=board, state=ElectionState.draft.value,
                        created_by_id=getattr(actor, "id", None))
    _apply_fields(election, board, {
        "titles": titles, "original_language": original_language, "descriptions": descriptions, "seats": seats,
        "method": method, "max_choices": max_choices, "is_secret": is_secret,
        "eligible_statuses": list(eligible_statuses), "register_cutoff": register_cutoff,
        "min_membership_days": min_membership_days, "exclude_staff": exclude_staff,
        "candidacy_opens_at": candidacy_opens_at, "candidacy_deadline": candidacy_deadline,
        "voting_opens_at": voting_opens_at, "voting_closes_at": voting_closes_at, "term_starts_on": term_starts_on,
        "term_ends_on": term_ends_on, "order_rule": order_rule, "assembly": assembly})
    db.session.add(election)
    db.session.flush()
    _record("election.created", election, actor, board_id=board.id, seats=election.seats, method=election.method)
    return election


def update_election(election: Election, *, actor, now: dt.datetime | None = None, **changes: Any) -> Election:
    """Change a draft's definition (any of :data:`ELECTION_FIELDS`)."""
    unknown = set(changes) - ELECTION_FIELDS
    if unknown:
        raise TypeError(f"update_election() cannot change {sorted(unknown)}")
    _require_manager(actor, election.board)
    _lock(election)
    if election.state != ElectionState.draft.value:
        raise Conflict(_l("Only a draft election can be changed."))
    fields = _fields_of(election)
    fields.update(changes)
    _apply_fields(election, election.board, fields)
    db.session.flush()
    _record("election.updated", election, actor, fields=sorted(changes))
    return election


def set_constraints(election: Election, rows: Sequence[tuple[str, str, int | None, int | None]], *,
                    actor) -> None:
    """Replace the balance rules: ``(category, group key, minimum, maximum)`` rows; before the list is frozen."""
    _require_manager(actor, election.board)
    _lock(election)
    if election.state not in (ElectionState.draft.value, ElectionState.call_open.value):
        raise Conflict(_l("The balance rules can no longer change once the candidate list is frozen."))
    cleaned: dict[tuple[str, str], tuple[int | None, int | None]] = {}
    branch_codes = {b.code for b in board_branches(election.board)}
    for category, group, minimum, maximum in rows:
        try:
            category = ConstraintCategory(category).value
        except ValueError:
            raise InvalidInput(_l("Choose what the rule is about (gender or branch).")) from None
        group = (group or "").strip()
        if category == ConstraintCategory.gender.value and group not in {g.value for g in Gender}:
            raise InvalidInput(_l("Choose a gender for the rule."))
        if category == ConstraintCategory.branch.value and group not in branch_codes:
            raise InvalidInput(_l("Choose one of the board's branches for the rule."))
        bounds = []
        for value in (minimum, maximum):
            if value in (None, ""):
                bounds.append(None)
                continue
            number = _whole(value, _l("A minimum or maximum is a whole number (0 or more)."))
            if number < 0:
                raise InvalidInput(_l("A minimum or maximum is a whole number (0 or more)."))
            bounds.append(number)
        low, high = bounds
        if low is None and high is None:
            raise InvalidInput(_l("Give a minimum, a maximum or both."))
        if low is not None and high is not None and low > high:
            raise InvalidInput(_l("A minimum cannot be above the maximum."))
        if low is not None and low > election.seats:
            raise InvalidInput(_l("A minimum cannot be above the number of seats."))
        if (category, group) in cleaned:
            raise InvalidInput(_l("Each group has one rule."))
        cleaned[(category, group)] = (low, high)
    for row in list(election.constraints):
        election.constraints.remove(row)
    db.session.flush()
    for (category, group), (low, high) in cleaned.items():
        election.constraints.append(ElectionConstraint(category=category, group_key=group, minimum=low,
                                                       maximum=high))
    db.session.flush()
    db.session.expire(election, ["constraints"])  # read back in the relationship's order
    _record("election.constraints_set", election, actor,
            rules=[[c, g, low, high] for (c, g), (low, high) in cleaned.items()])


def _check_title_languages(election: Election) -> None:
    missing = [code for code in required_languages(election.board) if not election.titles.get(code)]
    if missing:
        raise TitlesMissing(missing=", ".join(language_in_text(code) for code in missing))


# --- elections: call -------------------------------------------------------------------------------
def electorate_condition(election: Election):
    """The SQL condition on :class:`Member` of the election's electorate as the register stands now."""
    condition = Member.status.in_(list(election.eligible_statuses or ["active"]))
    if election.board.branch_id is not None:
        condition = condition & (Member.branch_id == election.board.branch_id)
    if election.register_cutoff is not None:
        condition = condition & (Member.joined_on <= election.register_cutoff)
    return condition


def open_call(election: Election, *, actor, now: dt.datetime | None = None) -> Election:
    """Open the call for candidates (draft → call_open) and tell the electorate by email, in each member's
    language (accounts linked to a member of the electorate who want ballot emails)."""
    now = _now(now)
    _require_manager(actor, election.board)
    _lock(election)
    if now >= election.candidacy_deadline:
        raise Conflict(_l("The candidacy deadline has passed: move it later before opening the call."))
    _check_title_languages(election)
    election.move_to(ElectionState.call_open)
    db.session.flush()
    queued = _notify_electorate(election)
    _record("election.call_opened", election, actor, recipients=queued,
            deadline=election.candidacy_deadline.isoformat())
    return election


def _notify_electorate(election: Election) -> int:
    from governance.accounts.operations import account_email_language

    query = (select(Account).join(Member, Member.id == Account.member_id)
             .options(joinedload(Account.member).joinedload(Member.branch))
             .where(electorate_condition(election), Account.is_enabled.is_(True),
                    Account.notify_ballot_email.is_(True))
             .order_by(Account.id))
    link = election_link(election)
    specs = []
    for account in db.session.execute(query).unique().scalars():
        language = account_email_language(account)
        specs.append(EmailSpec(
            key=f"election:{election.id}:call:to:{account.id}", to_address=account.email,
            to_name=account.display_name, language=language, template="election_call_open",
            topic=f"election:{election.id}:call",
            context={"title": pick_text(election.titles, election.original_language, [language]).text,
                     "seats": election.seats,
                     "opens_at": _format_time(election.candidacy_opens_at, language, account.timezone),
                     "deadline": _format_time(election.candidacy_deadline, language, account.timezone),
                     "election_url": link}))
    total = 0
    for start in range(0, len(specs), 1000):
        total += queue_emails(specs[start:start + 1000])
    return total


def cancel_election(election: Election, reason: str, *, actor, now: dt.datetime | None = None) -> Election:
    """Cancel an election before its result is counted (an open ballot is annulled, a draft ballot deleted), or a
    counted one whose ballot was annulled."""
    now = _now(now)
    reason = _clean_reason(reason)
    _require_manager(actor, election.board)
    _lock(election, ("state", "ballot_id"))
    ballot = db.session.get(Ballot, election.ballot_id) if election.ballot_id is not None else None
    if election.state == ElectionState.counted.value and not (ballot is not None and ballot.is_annulled):
        raise Conflict(_l("A counted election is confirmed, unless its ballot was annulled: annul the ballot first."))
    election.move_to(ElectionState.cancelled)
    election.cancelled_dt, election.cancel_reason = now, reason
    if ballot is not None:
        if ballot.is_open:
            ballots.annul_ballot(ballot, reason, actor=actor, now=now)
        elif ballot.is_draft:
            for candidacy in _candidacies(election):
                candidacy.option_id = None
            election.ballot_id = None
            db.session.flush()
            ballots.delete_ballot(ballot, actor=actor)
    db.session.flush()
    _record("election.cancelled", election, actor, reason=reason, ballot_id=ballot.id if ballot else None)
    return election


# --- candidacies -----------------------------------------------------------------------------------
def _candidacies(election: Election, states: Iterable[str] | None = None) -> list[Candidacy]:
    query = (select(Candidacy).options(joinedload(Candidacy.member).joinedload(Member.branch))
             .where(Candidacy.election_id == election.id).order_by(Candidacy.id))
    if states is not None:
        query = query.where(Candidacy.state.in_(list(states)))
    return list(db.session.execute(query).unique().scalars())


def membership_days(election: Election, member: Member) -> int:
    """Whole days from the member's joining to the deadline's date (in the board's time zone)."""
    return (_local_date(election.board, election.candidacy_deadline) - member.joined_on).days


def eligibility_problems(election: Election, member: Member, *, now: dt.datetime | None = None,
                         declares_employee: bool = False) -> list[str]:
    """Why the member cannot stand (translated sentences; empty: eligible). ``declares_employee`` is the
    candidate's declaration (checked when the election excludes staff). ``now`` is accepted for symmetry: the
    rules depend on the register and the deadline, not on the moment."""
    problems = []
    board = election.board
    if board.branch_id is not None and member.branch_id != board.branch_id:
        problems.append(_("Only members of the board's branch can stand."))
    if member.status not in (election.eligible_statuses or ["active"]):
        problems.append(_("Members with the status “%(status)s” cannot stand in this election.",
                          status=member.status_label))
    if election.register_cutoff is not None and member.joined_on > election.register_cutoff:
        problems.append(_("Only members who joined on or before %(date)s are in this election's electorate.",
                          date=format_date(election.register_cutoff, "long")))
    if election.min_membership_days and membership_days(election, member) < election.min_membership_days:
        problems.append(_("Candidates must have been members for at least %(days)s days on the candidacy "
                          "deadline.", days=election.min_membership_days))
    if election.exclude_staff and declares_employee:
        problems.append(_("Employees of the cooperative cannot stand in this election."))
    return problems


def _check_window(election: Election, now: dt.datetime) -> None:
    if not permissions.call_is_open(election, now):
        raise CallClosed(opens=format_datetime(election.candidacy_opens_at, "long"),
                         deadline=format_datetime(election.candidacy_deadline, "long"))


def _clean_candidacy(election: Election, statements, profiles, original_language: str, gender):
    statements = _clean_texts(statements, STATEMENT_MAX)
    profiles = _clean_texts(profiles, PROFILE_MAX)
    language = (original_language or "").strip()
    if not language or not statements.get(language):
        raise InvalidInput(_l("Write your statement in its original language."))
    if election.has_gender_constraint() and gender not in (None, ""):
        try:
            gender = Gender(gender).value
        except ValueError:
            raise InvalidInput(_l("Choose a gender from the list, or none.")) from None
    else:
        gender = None
    return statements, profiles, language, gender


def _is_member(actor, member_id: int) -> bool:
    return getattr(getattr(actor, "member", None), "id", None) == member_id


def submit_candidacy(election: Election, member: Member, *, actor, statements: Mapping[str, str],
                     profiles: Mapping[str, str], original_language: str, gender: str | None = None,
                     declares_employee: bool = False, now: dt.datetime | None = None) -> Candidacy:
    """The member stands (the member's own account, or a manager entering a paper candidacy)."""
    now = _now(now)
    if actor is not None and not _is_member(actor, member.id) \
            and not permissions.can_manage_board(actor, election.board):
        raise NotAllowed()
    _check_window(election, now)
    problems = eligibility_problems(election, member, now=now, declares_employee=declares_employee)
    if problems:
        raise NotEligible(problems)
    statements, profiles, language, gender = _clean_candidacy(election, statements, profiles, original_language,
                                                              gender)
    existing = db.session.execute(select(Candidacy).where(
        Candidacy.election_id == election.id, Candidacy.member_id == member.id)).scalar_one_or_none()
    if existing is not None:
        _lock(existing, ("state", "withdrawn_dt"))
        if existing.state != CandidacyState.withdrawn.value:
            raise AlreadyCandidate()
        candidacy = existing
        candidacy.state, candidacy.withdrawn_dt = CandidacyState.submitted.value, None
        candidacy.review_reason = candidacy.reviewed_by_id = candidacy.reviewed_dt = None
        candidacy.statements, candidacy.profiles, candidacy.original_language = statements, profiles, language
        candidacy.gender, candidacy.declares_employee = gender, bool(declares_employee)
        candidacy.submitted_dt = now
        db.session.flush()
    else:
        candidacy = Candidacy(election_id=election.id, member_id=member.id, statements=statements,
                              profiles=profiles, original_language=language, gender=gender,
                              declares_employee=bool(declares_employee), state=CandidacyState.submitted.value,
                              submitted_dt=now)
        try:
            with db.session.begin_nested():
                db.session.add(candidacy)
                db.session.flush()
        except IntegrityError:  # submitted at the same moment: the unique constraint keeps one
            raise AlreadyCandidate() from None
    _record("candidacy.submitted", candidacy, actor, election_id=election.id, member_id=member.id,
            resubmitted=existing is not None)
    return candidacy


def _election_of(candidacy: Candidacy) -> Election:
    return db.session.get(Election, candidacy.election_id)


def update_candidacy(candidacy: Candidacy, *, actor, statements: Mapping[str, str], profiles: Mapping[str, str],
                     original_language: str, gender: str | None = None, declares_employee: bool = False,
                     now: dt.datetime | None = None) -> Candidacy:
    """The candidate edits their candidacy before the deadline; an accepted one goes back to "submitted"."""
    now = _now(now)
    election = _election_of(candidacy)
    if actor is None or not _is_member(actor, candidacy.member_id):
        raise NotAllowed(_l("Only the candidate can change their candidacy."))
    _lock(candidacy, ("state", "withdrawn_dt"))
    if not candidacy.is_active:
        raise Conflict(_l("Only a submitted or accepted candidacy can be changed."))
    _check_window(election, now)
    member = db.session.get(Member, candidacy.member_id)
    problems = eligibility_problems(election, member, now=now, declares_employee=declares_employee)
    if problems:
        raise NotEligible(problems)
    statements, profiles, language, gender = _clean_candidacy(election, statements, profiles, original_language,
                                                              gender)
    was = candidacy.state
    candidacy.statements, candidacy.profiles, candidacy.original_language = statements, profiles, language
    candidacy.gender, candidacy.declares_employee = gender, bool(declares_employee)
    if was == CandidacyState.accepted.value:
        candidacy.state = CandidacyState.submitted.value
        candidacy.review_reason = candidacy.reviewed_by_id = candidacy.reviewed_dt = None
    db.session.flush()
    _record("candidacy.updated", candidacy, actor, election_id=election.id, review_reset=was != candidacy.state)
    return candidacy


def withdraw_candidacy(candidacy: Candidacy, *, actor, now: dt.datetime | None = None) -> Candidacy:
    """The candidate withdraws, before the deadline."""
    now = _now(now)
    election = _election_of(candidacy)
    if actor is None or not _is_member(actor, candidacy.member_id):
        raise NotAllowed(_l("Only the candidate can withdraw their candidacy."))
    _lock(candidacy, ("state", "withdrawn_dt"))
    if not candidacy.is_active:
        raise Conflict(_l("Only a submitted or accepted candidacy can be withdrawn."))
    if election.state != ElectionState.call_open.value or now >= election.candidacy_deadline:
        raise Conflict(_l("The candidacy deadline has passed: the candidacy can no longer be withdrawn."))
    candidacy.state, candidacy.withdrawn_dt = CandidacyState.withdrawn.value, now
    db.session.flush()
    _record("candidacy.withdrawn", candidacy, actor, election_id=election.id)
    return candidacy


def review_candidacy(candidacy: Candidacy, *, actor, accept: bool, reason: str | None = None,
                     now: dt.datetime | None = None) -> Candidacy:
    """Accept or refuse (with a reason) a candidacy, until the list is frozen; the candidate is emailed."""
    now = _now(now)
    election = _election_of(candidacy)
    _require_manager(actor, election.board)
    _lock(election)
    _lock(candidacy, ("state", "withdrawn_dt"))
    if election.state != ElectionState.call_open.value:
        raise Conflict(_l("Candidacies are reviewed while the call is open, until the list is frozen."))
    if candidacy.state == CandidacyState.withdrawn.value:
        raise Conflict(_l("This candidacy was withdrawn."))
    if accept:
        candidacy.state, candidacy.review_reason = CandidacyState.accepted.value, _clean_optional(reason, REASON_MAX)
    else:
        candidacy.state, candidacy.review_reason = CandidacyState.refused.value, _clean_reason(reason)
    candidacy.reviewed_by_id, candidacy.reviewed_dt = getattr(actor, "id", None), now
    db.session.flush()
    _record("candidacy.reviewed", candidacy, actor, election_id=election.id, state=candidacy.state,
            reason=candidacy.review_reason)
    _notify_candidate(election, candidacy, now)
    return candidacy


def _notify_candidate(election: Election, candidacy: Candidacy, now: dt.datetime) -> int:
    from governance.accounts.operations import account_email_language

    account = db.session.execute(select(Account).where(
        Account.member_id == candidacy.member_id, Account.is_enabled.is_(True))).scalar_one_or_none()
    if account is None:
        return 0
    language = account_email_language(account)
    accepted = candidacy.state == CandidacyState.accepted.value
    stamp = now.strftime("%Y%m%dT%H%M%S%f")
    return queue_emails([EmailSpec(
        key=f"candidacy:{candidacy.id}:{candidacy.state}:{stamp}:to:{account.id}", to_address=account.email,
        to_name=account.display_name, language=language,
        template="election_candidacy_accepted" if accepted else "election_candidacy_refused",
        topic=f"election:{election.id}:candidacy",
        context={"title": pick_text(election.titles, election.original_language, [language]).text,
                 "reason": candidacy.review_reason or "", "election_url": election_link(election),
                 "voting_opens_at": _format_time(election.voting_opens_at, language, account.timezone)})])


# --- freezing the list -----------------------------------------------------------------------------
_FOLD = str.maketrans({"ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"})


def sort_text(text: str) -> str:
    """A name folded for sorting: no case, no accents ("Élodie" → "elodie", "Øster" → "oster")."""
    folded = unicodedata.normalize("NFKD", (text or "").casefold().translate(_FOLD))
    return "".join(c for c in folded if not unicodedata.combining(c)).translate(_FOLD).strip()


def _name_key(member: Member) -> tuple[str, str, str]:
    return sort_text(member.last_name), sort_text(member.first_name), member.number


def order_candidates(candidacies: Sequence[Candidacy], letter: str | None) -> list[Candidacy]:
    """The documented ballot order (module docstring): alphabetical, starting at ``letter`` (None: at A), wrapping
    around; names that do not begin with a letter A–Z last."""
    start = ALPHABET.index(letter.upper()) if letter else 0

    def key(candidacy: Candidacy):
        name = _name_key(candidacy.member)
        first = name[0][:1].upper()
        rank = (ALPHABET.index(first) - start) % 26 if first and first in ALPHABET else 26
        return (rank, *name)

    return sorted(candidacies, key=key)


def _draw_letter(rng: Any = None) -> str:
    """A letter drawn with ``secrets`` (``rng``, anything with ``choice()``: a seeded generator in tests)."""
    return rng.choice(ALPHABET) if rng is not None else secrets.choice(ALPHABET)


def _constraints_for(election: Election, accepted: Sequence[Candidacy], key) -> dict[str, Any] | None:
    """``ballot.count_constraints`` for these candidates (``key(candidacy)``: their name in the count)."""
    rules = list(election.constraints)
    if not rules:
        return None
    categories = list(dict.fromkeys(rule.category for rule in rules))
    groups: dict[str, dict[str, str]] = {}
    for category in categories:
        members: dict[str, str] = {}
        for candidacy in accepted:
            if category == ConstraintCategory.gender.value:
                if candidacy.gender:
                    members[key(candidacy)] = candidacy.gender
            else:
                members[key(candidacy)] = candidacy.member.branch.code
        groups[category] = members
    return {"groups": groups,
            "minimum": [[r.category, r.group_key, r.minimum] for r in rules if r.minimum is not None],
            "maximum": [[r.category, r.group_key, r.maximum] for r in rules if r.maximum is not None]}


def _problem_text(problem) -> str:
    code, category, group, needed, available = problem
    what = _group_label(category, group)
    if code == "minimum_above_maximum":
        return _("The minimum for %(group)s (%(minimum)s) is above its maximum (%(maximum)s).", group=what,
                 minimum=needed, maximum=available)
    if code == "not_enough_candidates":
        return _("At least %(needed)s seats are reserved for %(group)s, but only %(available)s accepted "
                 "candidates belong to it.", needed=needed, group=what, available=available)
    if code == "minimums_exceed_seats":
        return _("The minimums by “%(category)s” add up to %(needed)s, more than the %(available)s seats to fill.",
                 category=_category_label(category), needed=needed, available=available)
    if code == "maximums_below_seats":
        return _("The maximums by “%(category)s” allow only %(available)s of the %(needed)s seats to be filled.",
                 category=_category_label(category), needed=needed, available=available)
    return _("No set of %(needed)s accepted candidates meets all the balance rules together.", needed=needed)


def _category_label(category: str | None) -> str:
    try:
        return str(ConstraintCategory(category).label)
    except ValueError:
        return category or ""


def _group_label(category: str | None, group: str | None) -> str:
    if category == ConstraintCategory.gender.value:
        try:
            return str(Gender(group).label)
        except ValueError:
            return group or ""
    return _("branch %(code)s", code=group)


def check_constraints(election: Election, accepted: Sequence[Candidacy]) -> list[str]:
    """Why the accepted candidates cannot meet the election's balance rules (translated; empty: they can)."""
    data = _constraints_for(election, accepted, lambda c: str(c.id))
    if data is None:
        return []
    from governance.votes.methods.constraints import Constraints, check_feasible

    problems = check_feasible(Constraints.from_dict(data), [str(c.id) for c in accepted], election.seats)
    return [_problem_text(problem) for problem in problems]


def is_uncontested(election: Election, accepted_count: int) -> bool:
    return accepted_count <= election.seats


def freeze_list(election: Election, *, actor, now: dt.datetime | None = None,
                rng: Any = None) -> Ballot:
    """Freeze the candidate list after the deadline: the ballot is created with the accepted candidates as its
    options, in the documented order (module docstring); election → list_frozen."""
    now = _now(now)
    _require_manager(actor, election.board)
    _lock(election, ("state", "ballot_id", "order_letter"))
    if election.state != ElectionState.call_open.value:
        raise Conflict(_l("Only the list of an election whose call is open can be frozen."))
    if now < election.candidacy_deadline:
        raise Conflict(_l("The candidate list can only be frozen after the candidacy deadline."))
    candidacies = _candidacies(election)
    if any(c.state == CandidacyState.submitted.value for c in candidacies):
        raise Conflict(_l("Some candidacies have not been reviewed yet: accept or refuse each of them first."))
    accepted = [c for c in candidacies if c.state == CandidacyState.accepted.value]
    if not accepted:
        raise Conflict(_l("No candidacy was accepted: there is nobody to elect."))
    problems = check_constraints(election, accepted)
    if problems:
        raise ConstraintsInfeasible(problems)
    _check_title_languages(election)
    per_voter = election.order_rule == OrderRule.random_per_voter.value
    letter = None if per_voter else _draw_letter(rng)
    ordered = order_candidates(accepted, letter)
    uncontested = is_uncontested(election, len(accepted))
    languages = sorted(set(required_languages(election.board)) | {election.original_language})
    options = [{code: c.member.full_name for code in languages} for c in ordered]
    method = election.method
    questions = {code: text for code, text in election.titles.items() if text}
    ballot = ballots._create(
        actor=actor, check_scope=False, questions=questions, descriptions=dict(election.descriptions or {}),
        original_language=election.original_language, method=method, options=options,
        seats=election.seats if method == BallotMethod.stv.value else None,
        max_choices=election.max_choices if method == BallotMethod.approval.value else None,
        is_secret=election.is_secret, electorate_kind=ElectorateKind.register.value,
        branch_ids=board_branch_ids(election.board), eligible_statuses=list(election.eligible_statuses),
        register_cutoff=election.register_cutoff, workgroup=None, member_ids=(),
        # an uncontested list is never put to the vote: its ballot is the record of the list
        opens_at=None if uncontested else election.voting_opens_at,
        closes_at=None if uncontested else election.voting_closes_at,
        quorum="none", majority="simple", result_visibility="everyone", proposal=None, membership=None, now=now)
    ballot.shuffle_options = per_voter
    by_position = {o.position: o for o in ballot.options}
    for position, candidacy in enumerate(ordered, start=1):
        candidacy.option_id = by_position[position].id
    db.session.flush()
    ballot.count_constraints = _constraints_for(election, accepted, lambda c: str(c.option_id))
    election.ballot_id = ballot.id
    election.order_letter = letter
    election.frozen_dt = now
    election.move_to(ElectionState.list_frozen)
    db.session.flush()
    _record("election.list_frozen", election, actor, ballot_id=ballot.id, order_rule=election.order_rule,
            order_letter=letter, candidates=[c.id for c in ordered], uncontested=uncontested)
    return ballot


# --- voting, counting, confirming ------------------------------------------------------------------
def _ballot(election: Election) -> Ballot:
    ballot = db.session.get(Ballot, election.ballot_id)
    if ballot is None:  # pragma: no cover - a CHECK constraint keeps it
        raise Conflict()
    return ballot


def _accepted_count(election: Election) -> int:
    return len(_candidacies(election, [CandidacyState.accepted.value]))


def open_voting(election: Election, *, actor, now: dt.datetime | None = None) -> Election:
    """list_frozen → voting: open the ballot (or, when the ballot was opened by the votes scheduler, follow it).
    An uncontested list goes on to "counted" at once."""
    now = _now(now)
    _require_manager(actor, election.board)
    _lock(election, ("state", "ballot_id"))
    if election.state != ElectionState.list_frozen.value:
        raise Conflict(_l("Voting opens once the candidate list is frozen."))
    ballot = _ballot(election)
    if is_uncontested(election, _accepted_count(election)):
        election.move_to(ElectionState.voting)
        election.move_to(ElectionState.counted)
        db.session.flush()
        _record("election.uncontested", election, actor, ballot_id=ballot.id)
        return election
    if ballot.is_draft:
        ballots.open_ballot(ballot, actor=actor, now=now)
    elif not ballot.is_open:
        raise Conflict(_l("The election's ballot is not open."))
    election.move_to(ElectionState.voting)
    db.session.flush()
    _record("election.voting_opened", election, actor, ballot_id=ballot.id)
    if ballot.is_closed:  # pragma: no cover - the after-close hook moves it on
        _after_close(ballot, actor)
    return election


def _after_close(ballot: Ballot, actor) -> None:
    """Registered with the votes operations: the ballot of an election was closed and counted."""
    election = db.session.execute(select(Election).where(Election.ballot_id == ballot.id)).scalar_one_or_none()
    if election is None:
        return
    if election.state == ElectionState.list_frozen.value:  # opened by the scheduler before our tick followed
        election.move_to(ElectionState.voting)
    if election.state != ElectionState.voting.value:
        return
    election.move_to(ElectionState.counted)
    db.session.flush()
    _record("election.counted", election, actor, ballot_id=ballot.id)


ballots.register_after_close(_after_close)


def elected_candidacies(election: Election) -> list[Candidacy]:
    """The elected candidacies, in the order of election (every accepted one when uncontested)."""
    ballot = _ballot(election)
    candidacies = _candidacies(election, [CandidacyState.accepted.value])
    by_option = {str(c.option_id): c for c in candidacies}
    if ballot.is_draft and is_uncontested(election, len(candidacies)):
        return sorted(candidacies, key=lambda c: ballot.option_by_id(c.option_id).position)
    if not ballot.has_result:
        return []
    count = ballot.result.get("count") or {}
    elected = list(count.get("elected") or [])
    if election.method == ElectionMethod.approval.value and count.get("seats") != election.seats:
        # a ballot's approval count is made for one seat (ballots carry seats for STV only): the election counts
        # the ballot's published approvals again for its seats, with the ballot's recorded lot seed for ties
        totals = {str(option): int(votes) for option, votes in (count.get("totals") or {}).items()}
        outcome = count_approval(totals, options=[str(o.id) for o in ballot.options], seats=election.seats,
                                 seed=ballot.lot_seed)
        elected = list(outcome.elected)
    return [by_option[key] for key in elected if key in by_option]


def confirm_result(election: Election, *, actor, now: dt.datetime | None = None) -> list[Mandate]:
    """counted → confirmed: one mandate per elected candidate, for the election's term."""
    now = _now(now)
    _require_manager(actor, election.board)
    _lock(election, ("state", "ballot_id"))
    if election.state != ElectionState.counted.value:
        raise Conflict(_l("Only a counted election can be confirmed."))
    ballot = _ballot(election)
    uncontested = ballot.is_draft and is_uncontested(election, _accepted_count(election))
    if not uncontested and not ballot.is_closed:
        raise Conflict(_l("The election's ballot was annulled: its result cannot be confirmed. Cancel the "
                          "election instead."))
    mandates = []
    for candidacy in elected_candidacies(election):
        mandate = Mandate(board_id=election.board_id, member_id=candidacy.member_id,
                          starts_on=election.term_starts_on, ends_on=election.term_ends_on,
                          origin=MandateOrigin.election.value, election_id=election.id,
                          created_by_id=getattr(actor, "id", None))
        db.session.add(mandate)
        mandates.append(mandate)
    election.move_to(ElectionState.confirmed)
    election.confirmed_dt, election.confirmed_by_id = now, getattr(actor, "id", None)
    db.session.flush()
    _record("election.confirmed", election, actor, ballot_id=ballot.id, mandates=[m.id for m in mandates],
            members=[m.member_id for m in mandates])
    return mandates


# --- the scheduler ---------------------------------------------------------------------------------
@dataclass
class TickReport:
    """What one run did: election ids whose voting opened, that followed their ballot, and failures."""

    opened: list[int] = field(default_factory=list)
    counted: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)

    @property
    def did_something(self) -> bool:
        return bool(self.opened or self.counted or self.failed)


def tick(now: dt.datetime | None = None) -> TickReport:
    """Open voting in the frozen elections that are due (or follow a ballot the votes scheduler opened), and move
    on those whose ballot closed without us (each in its own savepoint). The ballot's own tick closes it."""
    now = _now(now)
    report = TickReport()
    due = db.session.execute(select(Election).where(
        Election.state == ElectionState.list_frozen.value, Election.voting_opens_at <= now)
        .order_by(Election.voting_opens_at, Election.id)).scalars().all()
    for election in due:
        election_id = election.id
        try:
            with db.session.begin_nested():
                open_voting(election, actor=None, now=now)
            report.opened.append(election_id)
        except DomainError as exc:
            report.failed.append((election_id, str(exc)))
            log.warning("election %s: voting did not open: %s", election_id, exc)
    # a ballot closed while the election still waited (both schedulers ran in the other order)
    behind = db.session.execute(select(Election).join(Ballot, Ballot.id == Election.ballot_id).where(
        Election.state.in_([ElectionState.list_frozen.value, ElectionState.voting.value]),
        Ballot.state == BallotState.closed.value).order_by(Election.id)).scalars().all()
    for election in behind:
        with db.session.begin_nested():
            _after_close(_ballot(election), None)
        report.counted.append(election.id)
    return report
