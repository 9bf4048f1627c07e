"""Everything that changes an assembly before its session: define it, its agenda, documents and roles; send the
convocation (emails and letters) and keep its delivery log; convene a second assembly; members' petitions.

The session (registration, proxies, check-in, votes, minutes) has its own operations module. Each operation
takes the acting account explicitly (``actor=None`` is the system: the demo loader, a command), checks the
rules, flushes, writes an audit entry and queues emails; none commits.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from governance.accounts.models import Account, Role, RoleAssignment
from governance.assemblies import permissions, queries
from governance.assemblies.models import (
    DEFAULT_NOTICE_DAYS,
    AgendaItem,
    AgendaItemKind,
    Assembly,
    AssemblyDocument,
    AssemblyDocumentBlob,
    AssemblyKind,
    AssemblyRole,
    AssemblyRoleKind,
    AssemblyState,
    ConvocationDelivery,
    DeliveryChannel,
    DeliveryStatus,
    IllegalTransition,
    Petition,
    PetitionSignature,
    PetitionState,
    ResolutionKind,
    petition_threshold,
)
from governance.core import audit
from governance.core.db_types import utcnow
from governance.core.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from governance.core.i18n import language_in_text
from governance.core.outbox import EmailSpec, OutboxMessage, queue_email, queue_emails
from governance.extensions import db
from governance.members.models import Branch, Member, MemberStatus
from governance.proposals.models import Proposal
from governance.votes.methods import decision as decision_rules

TITLE_MAX = 300
TEXT_MAX = 50_000
PLACE_MAX = 2000
URL_MAX = 500
DOCUMENT_TITLE_MAX = 200
MAX_NOTICE_DAYS = 365
MAX_PROXIES = 100
MAX_AGENDA_ITEMS = 200
#: specs queued per call of the outbox (rendered rows stay in memory until inserted)
EMAIL_CHUNK = 1000
_INSERT_CHUNK = 1000


# --- errors ----------------------------------------------------------------------------------------
class NoticeTooShort(Conflict):
    default_message = _l("The convocation can no longer be sent: the assembly on %(date)s needs %(days)s full "
                         "days' notice, so it had to be sent on %(last)s at the latest.")


class TextsMissing(Conflict):
    """Texts are missing in a required language; ``missing`` lists ``(language, [what, …])``."""

    default_message = _l("The convocation cannot be sent before its texts exist in every required language. "
                         "Missing: %(missing)s.")

    def __init__(self, missing: list[tuple[str, list[str]]]):
        self.missing = missing
        parts = [f"{language_in_text(code)} ({', '.join(items)})" for code, items in missing]
        super().__init__(missing="; ".join(parts))


class AgendaFrozen(Conflict):
    default_message = _l("The assembly has been convened: its agenda can no longer be changed.")


class AssemblyFrozen(Conflict):
    default_message = _l("The assembly has been convened: its date, place and rules can no longer be changed.")


class DocumentTooLarge(DomainError):
    status_code = 413
    default_message = _l("The file is too large (at most %(max)s MB).")


class DocumentTypeRefused(InvalidInput):
    default_message = _l("This type of file is not accepted. Send a PDF, ODT, DOCX, XLSX, PNG, JPEG, TXT or MD "
                         "file whose content matches its name.")


class AlreadySigned(Conflict):
    default_message = _l("You have already signed this petition.")


# --- helpers ---------------------------------------------------------------------------------------
def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else utcnow()


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _lock(obj) -> None:
    """Lock the row (PostgreSQL; SQLite serialises writers) and read its state again."""
    if obj.id is None:
        return
    model = type(obj)
    if _is_postgresql():
        db.session.execute(select(model.id).where(model.id == obj.id).with_for_update())
    db.session.refresh(obj, ["state"])


def _require_manager(actor, assembly: Assembly) -> None:
    if actor is not None and not permissions.can_manage_assembly(actor, assembly):
        raise NotAllowed()


def _record(event: str, obj, actor, **data) -> None:
    audit.record(event, actor=actor, obj=obj, **data)


def clean_texts(texts: Mapping[str, str] | None, limit: int = TEXT_MAX) -> dict[str, str]:
    cleaned = {}
    for code, value in (texts or {}).items():
        value = (value or "").strip()
        if len(value) > limit:
            raise InvalidInput(_l("A text is too long (at most %(max)s characters).", max=limit))
        if value:
            cleaned[str(code)] = value
    return cleaned


def _check_url(url: str | None) -> str | None:
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > URL_MAX:
        raise InvalidInput(_l("Give the online meeting's address as a web link (https://…)."))
    return url


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(_l("Unknown time zone.")) from None
    return name


def default_notice_days(branch: Branch | None) -> int:
    """The notice period for a new assembly: ``ASSEMBLY_NOTICE_DAYS_BY_BRANCH[code]``, else
    ``ASSEMBLY_NOTICE_DAYS``, else 15."""
    by_branch = current_app.config.get("ASSEMBLY_NOTICE_DAYS_BY_BRANCH") or {}
    if branch is not None and branch.code in by_branch:
        return int(by_branch[branch.code])
    return int(current_app.config.get("ASSEMBLY_NOTICE_DAYS", DEFAULT_NOTICE_DAYS))


def default_timezone(branch: Branch | None) -> str:
    if branch is not None:
        return branch.timezone
    return current_app.config.get("ASSEMBLY_DEFAULT_TIMEZONE") or current_app.config["BABEL_DEFAULT_TIMEZONE"]


# --- the assembly ----------------------------------------------------------------------------------
#: the fields :func:`update_assembly` changes (in draft only)
EDITABLE_FIELDS = frozenset({
    "kind", "titles", "descriptions", "original_language", "starts_at", "ends_at", "timezone", "place",
    "online_url", "eligible_statuses", "register_cutoff", "notice_days", "proxy_deadline",
    "max_proxies_per_holder", "vote_cap",
})


def _apply_fields(assembly: Assembly, fields: dict[str, Any], now: dt.datetime) -> None:
    """Check and set the fields of an assembly (creation and edits share it)."""
    if "kind" in fields:
        try:
            assembly.kind = AssemblyKind(fields["kind"]).value
        except ValueError:
            raise InvalidInput() from None
    if "titles" in fields:
        assembly.titles = clean_texts(fields["titles"], TITLE_MAX)
    if "descriptions" in fields:
        assembly.descriptions = clean_texts(fields["descriptions"])
    if "original_language" in fields:
        assembly.original_language = fields["original_language"]
    if not assembly.original_language or not assembly.titles.get(assembly.original_language):
        raise InvalidInput(_l("Give the title in the original language."))
    if "timezone" in fields:
        assembly.timezone = _check_timezone(fields["timezone"])
    if "starts_at" in fields:
        starts_at = fields["starts_at"]
        if starts_at is None or starts_at.tzinfo is None:
            raise InvalidInput(_l("Give the date and time of the assembly."))
        if starts_at <= now:
            raise InvalidInput(_l("The assembly must take place in the future."))
        assembly.starts_at = starts_at
    if "ends_at" in fields:
        assembly.ends_at = fields["ends_at"]
    if assembly.ends_at is not None and assembly.ends_at <= assembly.starts_at:
        raise InvalidInput(_l("The assembly must end after it starts."))
    if "place" in fields:
        place = (fields["place"] or "").strip()
        if len(place) > PLACE_MAX:
            raise InvalidInput(_l("The place is too long (at most %(max)s characters).", max=PLACE_MAX))
        assembly.place = place or None
    if "online_url" in fields:
        assembly.online_url = _check_url(fields["online_url"])
    if not assembly.place and not assembly.online_url:
        raise InvalidInput(_l("Give the place of the assembly, its online link, or both."))
    if "eligible_statuses" in fields:
        statuses = sorted(set(fields["eligible_statuses"] or ()))
        valid = {s.value for s in MemberStatus}
        if not statuses or not set(statuses) <= valid:
            raise InvalidInput(_l("Choose at least one status of the members who are convened."))
        assembly.eligible_statuses = statuses
    if "register_cutoff" in fields:
        assembly.register_cutoff = fields["register_cutoff"]
    if "notice_days" in fields and fields["notice_days"] is not None:
        days = int(fields["notice_days"])
        if not 0 <= days <= MAX_NOTICE_DAYS:
            raise InvalidInput(_l("The notice period must be between %(min)s and %(max)s days.", min=0,
                                  max=MAX_NOTICE_DAYS))
        assembly.notice_days = days
    if "proxy_deadline" in fields:
        deadline = fields["proxy_deadline"]
        if deadline is not None and deadline > assembly.starts_at:
            raise InvalidInput(_l("The deadline for proxies must be before the assembly starts."))
        assembly.proxy_deadline = deadline
    if "max_proxies_per_holder" in fields and fields["max_proxies_per_holder"] is not None:
        count = int(fields["max_proxies_per_holder"])
        if not 0 <= count <= MAX_PROXIES:
            raise InvalidInput(_l("A member may carry between %(min)s and %(max)s proxies.", min=0, max=MAX_PROXIES))
        assembly.max_proxies_per_holder = count
    if "vote_cap" in fields and fields["vote_cap"] is not None:
        p, q = fields["vote_cap"]
        if not (isinstance(p, int) and isinstance(q, int) and 0 < p <= q <= 100):
            raise InvalidInput(_l("The share of the votes one person may cast must be a fraction between 1/100 "
                                  "and 1."))
        assembly.vote_cap_numerator, assembly.vote_cap_denominator = p, q


def create_assembly(*, actor, branch: Branch | None, titles: Mapping[str, str], original_language: str,
                    starts_at: dt.datetime, kind: str = AssemblyKind.ordinary.value,
                    descriptions: Mapping[str, str] | None = None, ends_at: dt.datetime | None = None,
                    timezone: str | None = None, place: str | None = None, online_url: str | None = None,
                    eligible_statuses: Iterable[str] = (MemberStatus.active.value,),
                    register_cutoff: dt.date | None = None, notice_days: int | None = None,
                    proxy_deadline: dt.datetime | None = None, max_proxies_per_holder: int | None = None,
                    vote_cap: tuple[int, int] | None = None, first_assembly: Assembly | None = None,
                    petition: Petition | None = None, now: dt.datetime | None = None) -> Assembly:
    """A draft assembly convened by ``branch``'s board (None: the cooperative's), its roll that branch's members
    (or every branch's)."""
    now = _now(now)
    if actor is not None and not permissions.can_create_assembly(actor, None if branch is None else branch.id):
        raise NotAllowed()
    assembly = Assembly(branch_id=None if branch is None else branch.id, original_language=original_language,
                        timezone=default_timezone(branch), notice_days=default_notice_days(branch),
                        created_by_id=getattr(actor, "id", None),
                        first_assembly_id=None if first_assembly is None else first_assembly.id,
                        petition_id=None if petition is None else petition.id)
    assembly.titles = {}
    _apply_fields(assembly, {
        "kind": kind, "titles": titles, "descriptions": descriptions or {}, "original_language": original_language,
        **({"timezone": timezone} if timezone else {}), "starts_at": starts_at, "ends_at": ends_at,
        "place": place, "online_url": online_url, "eligible_statuses": list(eligible_statuses),
        "register_cutoff": register_cutoff, "notice_days": notice_days, "proxy_deadline": proxy_deadline,
        "max_proxies_per_holder": max_proxies_per_holder, "vote_cap": vote_cap}, now)
    branches = [branch] if branch is not None else queries.all_branches()
    assembly.branches = branches
    db.session.add(assembly)
    db.session.flush()
    _record("assembly.created", assembly, actor, branch=None if branch is None else branch.code,
            kind=assembly.kind, starts_at=assembly.starts_at.isoformat(), notice_days=assembly.notice_days,
            first_assembly=assembly.first_assembly_id)
    return assembly


def update_assembly(assembly: Assembly, *, actor, now: dt.datetime | None = None, **fields) -> Assembly:
    """Change a draft's definition (the fields of :data:`EDITABLE_FIELDS`)."""
    now = _now(now)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    _require_manager(actor, assembly)
    _lock(assembly)
    if not assembly.is_draft:
        raise AssemblyFrozen()
    before = {"starts_at": assembly.starts_at.isoformat(), "kind": assembly.kind,
              "notice_days": assembly.notice_days}
    _apply_fields(assembly, fields, now)
    db.session.flush()
    _record("assembly.updated", assembly, actor, fields=sorted(fields), before=before)
    return assembly


def delete_assembly(assembly: Assembly, *, actor) -> None:
    """A draft that was never convened may be deleted."""
    _require_manager(actor, assembly)
    _lock(assembly)
    if not assembly.is_draft:
        raise AssemblyFrozen()
    _record("assembly.deleted", assembly, actor, titles=dict(assembly.titles))
    db.session.execute(delete(AgendaItem).where(AgendaItem.assembly_id == assembly.id))
    db.session.delete(assembly)
    db.session.flush()


# --- agenda ----------------------------------------------------------------------------------------
def _require_agenda_editable(assembly: Assembly, actor) -> None:
    _require_manager(actor, assembly)
    _lock(assembly)
    if not assembly.is_draft:
        raise AgendaFrozen()


def _apply_item(item: AgendaItem, *, kind: str, titles, texts, original_language: str, resolution_kind=None,
                resolution_texts=None, current_texts=None, new_texts=None, majority=None, quorum=None,
                authoritative_language=None, proposal: Proposal | None = None, vote_secret: bool = True) -> None:
    try:
        kind = AgendaItemKind(kind).value
    except ValueError:
        raise InvalidInput() from None
    item.kind = kind
    item.original_language = original_language
    item.titles = clean_texts(titles, TITLE_MAX)
    item.texts = clean_texts(texts)
    if not original_language or not item.titles.get(original_language):
        raise InvalidInput(_l("Give the title in the original language."))
    item.proposal_id = None if proposal is None else proposal.id
    if kind != AgendaItemKind.resolution.value:
        item.resolution_kind = None
        item.resolution_texts = {}
        item.current_texts = {}
        item.new_texts = {}
        item.majority = item.quorum = item.authoritative_language = None
        return
    try:
        item.resolution_kind = ResolutionKind(resolution_kind or ResolutionKind.ordinary.value).value
    except ValueError:
        raise InvalidInput() from None
    item.resolution_texts = clean_texts(resolution_texts)
    if not item.resolution_texts.get(original_language):
        raise InvalidInput(_l("Give the text of the resolution in the original language."))
    if item.resolution_kind == ResolutionKind.statute_change.value:
        item.current_texts = clean_texts(current_texts)
        item.new_texts = clean_texts(new_texts)
        if not item.new_texts.get(original_language):
            raise InvalidInput(_l("Give the new text of the statutes in the original language."))
    else:
        item.current_texts = {}
        item.new_texts = {}
    if not decision_rules.is_valid_rule(majority or ""):
        raise InvalidInput(_l("Choose the majority the resolution needs."))
    if not decision_rules.is_valid_quorum(quorum or ""):
        raise InvalidInput(_l("The quorum is not valid."))
    item.majority = majority
    item.quorum = quorum
    item.vote_secret = bool(vote_secret)
    if authoritative_language and not item.resolution_texts.get(authoritative_language):
        raise InvalidInput(_l("The authoritative version must be one of the languages the resolution is "
                              "written in."))
    item.authoritative_language = authoritative_language or None


def add_agenda_item(assembly: Assembly, *, actor, kind: str, titles: Mapping[str, str], original_language: str,
                    texts: Mapping[str, str] | None = None, **resolution) -> AgendaItem:
    """Append an item to a draft's agenda. ``resolution``: ``resolution_kind``, ``resolution_texts``,
    ``current_texts``, ``new_texts``, ``majority``, ``quorum``, ``authoritative_language``, ``proposal``,
    ``vote_secret`` (False: a roll-call vote)."""
    _require_agenda_editable(assembly, actor)
    count, last = db.session.execute(select(func.count(), func.max(AgendaItem.position))
                                     .where(AgendaItem.assembly_id == assembly.id)).one()
    if count >= MAX_AGENDA_ITEMS:
        raise InvalidInput(_l("An agenda has at most %(max)s items.", max=MAX_AGENDA_ITEMS))
    item = AgendaItem(assembly_id=assembly.id, position=(last or 0) + 1)
    _apply_item(item, kind=kind, titles=titles, texts=texts, original_language=original_language, **resolution)
    db.session.add(item)
    db.session.flush()
    _record("assembly.agenda_item_added", assembly, actor, item=item.id, position=item.position, kind=item.kind,
            majority=item.majority, quorum=item.quorum, secret=item.vote_secret if item.is_resolution else None)
    return item


def update_agenda_item(item: AgendaItem, *, actor, kind: str, titles: Mapping[str, str], original_language: str,
                       texts: Mapping[str, str] | None = None, **resolution) -> AgendaItem:
    assembly = db.session.get(Assembly, item.assembly_id)
    _require_agenda_editable(assembly, actor)
    _apply_item(item, kind=kind, titles=titles, texts=texts, original_language=original_language, **resolution)
    db.session.flush()
    _record("assembly.agenda_item_updated", assembly, actor, item=item.id, kind=item.kind, majority=item.majority,
            quorum=item.quorum)
    return item


def delete_agenda_item(item: AgendaItem, *, actor) -> None:
    """Remove an item; the ones after it move up."""
    assembly = db.session.get(Assembly, item.assembly_id)
    _require_agenda_editable(assembly, actor)
    position = item.position
    _record("assembly.agenda_item_deleted", assembly, actor, item=item.id, position=position,
            titles=dict(item.titles))
    db.session.delete(item)
    db.session.flush()
    later = db.session.execute(select(AgendaItem).where(AgendaItem.assembly_id == assembly.id,
                                                        AgendaItem.position > position)
                               .order_by(AgendaItem.position)).scalars().all()
    for other in later:  # one by one, in order: each position is free when it is taken
        other.position -= 1
        db.session.flush()


def move_agenda_item(item: AgendaItem, direction: str, *, actor) -> AgendaItem:
    """Swap the item with the one above (``"up"``) or below (``"down"``); at either end nothing moves."""
    assembly = db.session.get(Assembly, item.assembly_id)
    _require_agenda_editable(assembly, actor)
    if direction not in ("up", "down"):
        raise InvalidInput()
    query = select(AgendaItem).where(AgendaItem.assembly_id == assembly.id)
    if direction == "up":
        query = query.where(AgendaItem.position < item.position).order_by(AgendaItem.position.desc())
    else:
        query = query.where(AgendaItem.position > item.position).order_by(AgendaItem.position)
    other = db.session.execute(query.limit(1)).scalar_one_or_none()
    if other is None:
        return item
    mine, theirs = item.position, other.position
    # position 0 is the free slot that lets the unique (assembly, position) hold at every step
    item.position = 0
    db.session.flush()
    other.position = mine
    db.session.flush()
    item.position = theirs
    db.session.flush()
    _record("assembly.agenda_item_moved", assembly, actor, item=item.id, position=theirs)
    return item


# --- documents -------------------------------------------------------------------------------------
#: the kinds of file accepted: kind → (file extensions, content type served)
DOCUMENT_KINDS: dict[str, tuple[tuple[str, ...], str]] = {
    "pdf": ((".pdf",), "application/pdf"),
    "odt": ((".odt",), "application/vnd.oasis.opendocument.text"),
    "docx": ((".docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ((".xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "png": ((".png",), "image/png"),
    "jpeg": ((".jpg", ".jpeg"), "image/jpeg"),
    "txt": ((".txt",), "text/plain; charset=utf-8"),
    "md": ((".md",), "text/markdown; charset=utf-8"),
}
ACCEPTED_EXTENSIONS = tuple(ext for exts, _type in DOCUMENT_KINDS.values() for ext in exts)


def document_max_bytes() -> int:
    return int(current_app.config.get("ASSEMBLY_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024))


def _zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 100 and archive.read("mimetype").strip() == \
                        b"application/vnd.oasis.opendocument.text":
                    return "odt"
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return "docx"
                if "xl/workbook.xml" in names:
                    return "xlsx"
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, NotImplementedError):
        return None
    return None


def _is_plain_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f" for ch in text)


def sniff_kind(data: bytes) -> str | None:
    """The kind of file its content shows (``"pdf"``, ``"docx"`` …), or None. Text is text in UTF-8 without
    control characters; ``"txt"`` stands for both TXT and MD."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if _is_plain_text(data):
        return "txt"
    return None


def clean_filename(filename: str) -> str:
    """A file name safe to offer on download: no folders, no control characters, at most 200 characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in '"<>:|?*;')
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot else name[:200]
    return name


def document_kind(filename: str, data: bytes) -> str:
    """The accepted kind of an upload, by its extension and its content, which must agree; else
    :class:`DocumentTypeRefused`."""
    lower = filename.lower()
    by_name = next((kind for kind, (exts, _type) in DOCUMENT_KINDS.items() if lower.endswith(exts)), None)
    found = sniff_kind(data)
    if by_name is None or found is None:
        raise DocumentTypeRefused()
    if by_name in ("txt", "md"):
        if found != "txt":
            raise DocumentTypeRefused()
        return by_name
    if by_name != found:
        raise DocumentTypeRefused()
    return by_name


def add_document(assembly: Assembly, *, actor, filename: str, data: bytes, agenda_item: AgendaItem | None = None,
                 title: str | None = None, language: str | None = None) -> AssemblyDocument:
    """Attach a file to the assembly or one of its agenda items; refused once the assembly closed. Added after
    the convocation, it is recorded as such."""
    _require_manager(actor, assembly)
    if assembly.is_closed:
        raise Conflict(_l("The assembly is closed: its documents can no longer be changed."))
    if agenda_item is not None and agenda_item.assembly_id != assembly.id:
        raise NotFound()
    limit = document_max_bytes()
    if len(data) > limit:
        raise DocumentTooLarge(max=limit // (1024 * 1024) or 1)
    if not data:
        raise InvalidInput(_l("The file is empty."))
    name = clean_filename(filename)
    if not name:
        raise DocumentTypeRefused()
    kind = document_kind(name, data)
    title = (title or "").strip() or None
    if title is not None and len(title) > DOCUMENT_TITLE_MAX:
        raise InvalidInput(_l("The title is too long (at most %(max)s characters).", max=DOCUMENT_TITLE_MAX))
    document = AssemblyDocument(
        assembly_id=assembly.id, agenda_item_id=None if agenda_item is None else agenda_item.id, filename=name,
        title=title, language=language or None, content_type=DOCUMENT_KINDS[kind][1], size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=getattr(actor, "id", None))
    document.blob = AssemblyDocumentBlob(data=data)
    db.session.add(document)
    db.session.flush()
    _record("assembly.document_added", assembly, actor, document=document.id, filename=name, size=len(data),
            sha256=document.sha256, item=document.agenda_item_id, after_convocation=not assembly.is_draft)
    return document


def delete_document(document: AssemblyDocument, *, actor) -> None:
    assembly = db.session.get(Assembly, document.assembly_id)
    _require_manager(actor, assembly)
    if assembly.is_closed:
        raise Conflict(_l("The assembly is closed: its documents can no longer be changed."))
    _record("assembly.document_deleted", assembly, actor, document=document.id, filename=document.filename,
            sha256=document.sha256, after_convocation=not assembly.is_draft)
    db.session.delete(document)
    db.session.flush()


# --- roles -----------------------------------------------------------------------------------------
def add_role(assembly: Assembly, *, actor, role: str, member: Member | None = None,
             account: Account | None = None) -> AssemblyRole:
    """Give a member of the register, or an account without one (staff), a role at the assembly."""
    _require_manager(actor, assembly)
    if assembly.is_closed:
        raise Conflict(_l("The assembly is closed: its roles can no longer be changed."))
    try:
        role = AssemblyRoleKind(role).value
    except ValueError:
        raise InvalidInput() from None
    if (member is None) == (account is None):
        raise InvalidInput(_l("Name a member or an account."))
    if account is not None and account.member_id is not None:
        member, account = db.session.get(Member, account.member_id), None
    query = select(AssemblyRole.id).where(AssemblyRole.assembly_id == assembly.id, AssemblyRole.role == role)
    query = query.where(AssemblyRole.member_id == member.id) if member is not None else \
        query.where(AssemblyRole.account_id == account.id)
    if db.session.execute(query).first() is not None:
        raise Conflict(_l("This person already has this role."))
    row = AssemblyRole(assembly_id=assembly.id, role=role, member_id=None if member is None else member.id,
                       account_id=None if account is None else account.id, created_by_id=getattr(actor, "id", None))
    db.session.add(row)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("This person already has this role.")) from None
    _record("assembly.role_added", assembly, actor, role=role, member=row.member_id, account=row.account_id)
    return row


def remove_role(row: AssemblyRole, *, actor) -> None:
    assembly = db.session.get(Assembly, row.assembly_id)
    _require_manager(actor, assembly)
    if assembly.is_closed:
        raise Conflict(_l("The assembly is closed: its roles can no longer be changed."))
    _record("assembly.role_removed", assembly, actor, role=row.role, member=row.member_id, account=row.account_id)
    db.session.delete(row)
    db.session.flush()


# --- convocation -----------------------------------------------------------------------------------
def missing_languages(assembly: Assembly, items: Sequence[AgendaItem] | None = None) -> list[tuple[str, list[str]]]:
    """The required languages of the branches addressed that some text lacks: ``[(language, [what, …])]``.

    A text is required in every such language when it exists in the original language: the title always, the
    description, each item's title and text, a resolution's text, a statute change's current and new text."""
    if items is None:
        items = queries.agenda_items(assembly)
    missing = []
    for code in assembly.required_languages:
        what: list[str] = []
        if not assembly.titles.get(code):
            what.append(_("title"))
        if assembly.descriptions.get(assembly.original_language) and not assembly.descriptions.get(code):
            what.append(_("description"))
        for item in items:
            fields = [(item.titles, _("title")), (item.texts, _("text"))]
            if item.is_resolution:
                fields.append((item.resolution_texts, _("resolution")))
            if item.is_statute_change:
                fields += [(item.current_texts, _("current text")), (item.new_texts, _("new text"))]
            lacking = [label for texts, label in fields
                       if (texts.get(item.original_language) or any(texts.values())) and not texts.get(code)]
            if lacking:
                what.append(_("item %(number)s: %(what)s", number=item.position, what=", ".join(lacking)))
        if what:
            missing.append((code, what))
    return missing


def convocation_problems(assembly: Assembly, now: dt.datetime | None = None,
                         items: Sequence[AgendaItem] | None = None) -> list[DomainError]:
    """Every reason the convocation cannot be sent now (empty: it can)."""
    now = _now(now)
    if items is None:
        items = queries.agenda_items(assembly)
    problems: list[DomainError] = []
    if not assembly.is_draft:
        problems.append(IllegalTransition(old=assembly.state_label, new=AssemblyState.convened.label))
    if not assembly.notice_met(now):
        from flask_babel import format_date

        problems.append(NoticeTooShort(date=format_date(assembly.local_date, "long"), days=assembly.notice_days,
                                       last=format_date(assembly.last_sending_date, "long")))
    if not items:
        problems.append(Conflict(_l("The agenda is empty: add at least one item before convening the assembly.")))
    missing = missing_languages(assembly, items)
    if missing:
        problems.append(TextsMissing(missing))
    return problems


@dataclass
class Recipient:
    """A member on the roll, as the convocation needs them (from one query, no ORM objects)."""

    member_id: int
    number: str
    first_name: str
    last_name: str
    email: str | None
    branch_id: int
    #: the member's own language (their account's, else the register's), for content
    preferred: str
    #: the interface language the convocation is written in for them (one with a catalog)
    language: str
    by_email: bool

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def recipients(assembly: Assembly, member_ids: Iterable[int] | None = None) -> list[Recipient]:
    """The roll (or the given members of it), each with their language and channel: email for members who
    agreed to be convened by email (a dated consent and an address) and did not turn convocation emails off on
    their account, a letter for the others."""
    from governance.core.i18n import fallback_language

    branches = {branch.id: branch for branch in assembly.branches}
    query = (select(Member.id, Member.number, Member.first_name, Member.last_name, Member.email, Member.branch_id,
                    Member.language, Member.email_consent_dt, Account.language, Account.notify_convocation_email)
             .outerjoin(Account, Account.member_id == Member.id)
             .where(assembly.roll_condition()).order_by(Member.id))
    if member_ids is not None:
        query = query.where(Member.id.in_(sorted(set(member_ids))))
    result = []
    for row in db.session.execute(query):
        (member_id, number, first, last, email, branch_id, member_language, consent, account_language,
         notify) = row
        preferred = account_language or member_language
        branch = branches.get(branch_id)
        language = fallback_language(preferred, branch.official_languages if branch is not None else ())
        by_email = bool(consent is not None and email and (notify is None or notify))
        result.append(Recipient(member_id=member_id, number=number, first_name=first, last_name=last, email=email,
                                branch_id=branch_id, preferred=preferred, language=language,
                                by_email=by_email))
    return result


def convocation_topic(assembly: Assembly) -> str:
    return f"assembly:{assembly.id}:convocation"


def _email_key(assembly: Assembly, member_id: int, resend: int = 0) -> str:
    key = f"assembly:{assembly.id}:convocation:member:{member_id}"
    return f"{key}:resend:{resend}" if resend else key


@dataclass
class ConvocationCounts:
    emails: int
    letters: int

    @property
    def total(self) -> int:
        return self.emails + self.letters


def _email_specs(assembly: Assembly, people: Sequence[Recipient], *, resend: dict[int, int] | None = None,
                 contexts: dict | None = None) -> list[EmailSpec]:
    from governance.assemblies import convocation

    if contexts is None:
        contexts = convocation.email_contexts(assembly, {(p.language, p.preferred) for p in people})
    topic = convocation_topic(assembly)
    return [EmailSpec(key=_email_key(assembly, p.member_id, (resend or {}).get(p.member_id, 0)),
                      to_address=p.email, language=p.language, template="assembly_convocation",
                      context=contexts[p.language, p.preferred], to_name=p.full_name, topic=topic)
            for p in people]


def send_convocation(assembly: Assembly, *, actor, now: dt.datetime | None = None) -> ConvocationCounts:
    """Convene the assembly: check the notice period and the languages, queue one email per member who agreed to
    email, log a letter to print for every other member, and move the assembly to "convened".

    Bulk work for a large roll: one query reads the roll, the outbox renders and inserts in chunks, one query
    maps the queued messages back, the delivery log is inserted in chunks."""
    now = _now(now)
    _require_manager(actor, assembly)
    _lock(assembly)
    items = queries.agenda_items(assembly)
    problems = convocation_problems(assembly, now, items)
    if problems:
        raise problems[0]
    people = recipients(assembly)
    if not people:
        raise Conflict(_l("Nobody is on the assembly's roll: there is no one to convene."))
    emails = [p for p in people if p.by_email]
    letters = [p for p in people if not p.by_email]
    from governance.assemblies import convocation

    contexts = convocation.email_contexts(assembly, {(p.language, p.preferred) for p in emails})
    for start in range(0, len(emails), EMAIL_CHUNK):
        queue_emails(_email_specs(assembly, emails[start:start + EMAIL_CHUNK], contexts=contexts))
    outbox_ids = dict(db.session.execute(select(OutboxMessage.key, OutboxMessage.id)
                                         .where(OutboxMessage.topic == convocation_topic(assembly))).all())
    rows = []
    for p in emails:
        key = _email_key(assembly, p.member_id)
        rows.append({"assembly_id": assembly.id, "member_id": p.member_id, "channel": DeliveryChannel.email.value,
                     "status": DeliveryStatus.queued.value, "language": p.language,
                     "outbox_message_id": outbox_ids.get(key), "outbox_key": key, "letter_printed_dt": None,
                     "resend_count": 0, "created_dt": now, "modified_dt": now})
    for p in letters:
        rows.append({"assembly_id": assembly.id, "member_id": p.member_id, "channel": DeliveryChannel.letter.value,
                     "status": DeliveryStatus.to_print.value, "language": p.language, "outbox_message_id": None,
                     "outbox_key": None, "letter_printed_dt": None, "resend_count": 0, "created_dt": now,
                     "modified_dt": now})
    table = ConvocationDelivery.__table__
    for start in range(0, len(rows), _INSERT_CHUNK):
        # one executemany per chunk: the statement is compiled once (a multi-row VALUES is compiled anew for
        # every chunk, which took 40 % of a 35,000-member convocation)
        db.session.execute(insert(table), rows[start:start + _INSERT_CHUNK])
    assembly.mark_convened(now, getattr(actor, "id", None))
    db.session.flush()
    counts = ConvocationCounts(emails=len(emails), letters=len(letters))
    _record("assembly.convened", assembly, actor, roll=counts.total, emails=counts.emails, letters=counts.letters,
            notice_days=assembly.notice_days, full_days=assembly.full_days_before(now),
            starts_at=assembly.starts_at.isoformat(), items=len(items))
    return counts


def resend_convocation(assembly: Assembly, member: Member, *, actor, as_letter: bool = False,
                       now: dt.datetime | None = None) -> ConvocationDelivery:
    """Send the convocation to one member again: a new email (if they still agreed to email and have an
    address), else a new letter to print."""
    now = _now(now)
    _require_manager(actor, assembly)
    if assembly.is_draft or assembly.is_closed:
        raise Conflict(_l("The convocation can only be sent again between the convocation and the assembly's "
                          "close."))
    delivery = db.session.execute(select(ConvocationDelivery).where(
        ConvocationDelivery.assembly_id == assembly.id, ConvocationDelivery.member_id == member.id)
    ).scalar_one_or_none()
    if delivery is None:
        raise NotFound(_l("This member was not convened to this assembly."))
    [person] = recipients(assembly, [member.id]) or [None]
    if person is None:
        raise Conflict(_l("This member is no longer on the assembly's roll."))
    delivery.resend_count += 1
    delivery.language = person.language
    if person.by_email and not as_letter:
        key = _email_key(assembly, member.id, delivery.resend_count)
        [spec] = _email_specs(assembly, [person], resend={member.id: delivery.resend_count})
        message = queue_email(key=spec.key, to_address=spec.to_address, language=spec.language,
                              template=spec.template, context=spec.context, to_name=spec.to_name, topic=spec.topic)
        delivery.channel = DeliveryChannel.email.value
        delivery.status = DeliveryStatus.queued.value
        delivery.outbox_message_id = message.id
        delivery.outbox_key = key
        delivery.letter_printed_dt = None
    else:
        delivery.channel = DeliveryChannel.letter.value
        delivery.status = DeliveryStatus.to_print.value
        delivery.letter_printed_dt = None
        delivery.outbox_message_id = None
        delivery.outbox_key = None
    delivery.modified_dt = now
    db.session.flush()
    _record("assembly.convocation_resent", assembly, actor, member=member.id, channel=delivery.channel,
            resend=delivery.resend_count)
    return delivery


def letters_per_pdf() -> int:
    """Letters in one PDF downloaded from the page (a batch: a few hundred letters take seconds to set)."""
    return int(current_app.config.get("ASSEMBLY_LETTERS_PER_PDF", 1000))


_DEFAULT_LIMIT = object()


def print_letters(assembly: Assembly, *, actor, now: dt.datetime | None = None,
                  limit: int | None | object = _DEFAULT_LIMIT) -> tuple[bytes, int]:
    """The PDF of the letters still to print (one after the other, each starting on a new page; at most
    ``limit``, by default :func:`letters_per_pdf`, None: all), those letters marked printed. Returns ``(pdf,
    number of letters)``; raises when there is none to print."""
    from governance.assemblies import convocation

    now = _now(now)
    _require_manager(actor, assembly)
    if assembly.is_draft:
        raise Conflict(_l("The assembly has not been convened yet."))
    if limit is _DEFAULT_LIMIT:
        limit = letters_per_pdf()
    pending = queries.letters(assembly, pending_only=True, limit=limit)
    if not pending:
        raise Conflict(_l("There is no letter left to print."))
    pdf = convocation.letters_pdf(assembly, pending, now=now)
    ids = [delivery.id for delivery in pending]
    table = ConvocationDelivery.__table__
    for start in range(0, len(ids), _INSERT_CHUNK):
        db.session.execute(update(table).where(table.c.id.in_(ids[start:start + _INSERT_CHUNK]))
                           .values(status=DeliveryStatus.printed.value, letter_printed_dt=now, modified_dt=now))
    db.session.expire_all()
    _record("assembly.letters_printed", assembly, actor, letters=len(ids))
    return pdf, len(ids)


# --- second convocation ----------------------------------------------------------------------------
def convene_second_assembly(first: Assembly, *, actor, starts_at: dt.datetime, place: str | None = None,
                            online_url: str | None = None, notice_days: int | None = None,
                            proxy_deadline: dt.datetime | None = None, now: dt.datetime | None = None) -> Assembly:
    """A new draft assembly, for a new date, with the same texts, rules and agenda as ``first``, which closed
    without its quorum; its resolutions' quorums no longer apply."""
    now = _now(now)
    _require_manager(actor, first)
    if not first.can_have_second_convocation:
        raise Conflict(_l("Only an assembly that closed without its quorum can be convened a second time."))
    if first.first_assembly_id is not None:
        raise Conflict(_l("A second convocation cannot be convened again."))
    existing = db.session.execute(select(Assembly.id).where(Assembly.first_assembly_id == first.id)).first()
    if existing is not None:
        raise Conflict(_l("A second convocation already exists for this assembly."))
    branch = db.session.get(Branch, first.branch_id) if first.branch_id is not None else None
    second = create_assembly(
        actor=actor, branch=branch, titles=dict(first.titles), descriptions=dict(first.descriptions),
        original_language=first.original_language, starts_at=starts_at, kind=first.kind,
        timezone=first.timezone, place=place if place is not None else first.place,
        online_url=online_url if online_url is not None else first.online_url,
        eligible_statuses=list(first.eligible_statuses), register_cutoff=first.register_cutoff,
        notice_days=notice_days if notice_days is not None else first.notice_days, proxy_deadline=proxy_deadline,
        max_proxies_per_holder=first.max_proxies_per_holder,
        vote_cap=(first.vote_cap_numerator, first.vote_cap_denominator), first_assembly=first,
        petition=None, now=now)
    second.branches = list(first.branches)
    second.petition_id = first.petition_id
    for item in queries.agenda_items(first):
        db.session.add(AgendaItem(
            assembly_id=second.id, position=item.position, kind=item.kind, titles=dict(item.titles),
            texts=dict(item.texts), original_language=item.original_language, resolution_kind=item.resolution_kind,
            resolution_texts=dict(item.resolution_texts), current_texts=dict(item.current_texts),
            new_texts=dict(item.new_texts), majority=item.majority, quorum=item.quorum,
            authoritative_language=item.authoritative_language, proposal_id=item.proposal_id,
            vote_secret=item.vote_secret))
    db.session.flush()
    _record("assembly.second_convocation_created", second, actor, first_assembly=first.id)
    return second


# --- petitions -------------------------------------------------------------------------------------
def active_members_in_scope(branch_id: int | None) -> int:
    query = select(func.count()).select_from(Member).where(Member.status == MemberStatus.active.value)
    if branch_id is not None:
        query = query.where(Member.branch_id == branch_id)
    return db.session.execute(query).scalar_one()


def open_petition(*, actor, member: Member, branch: Branch | None, titles: Mapping[str, str],
                  texts: Mapping[str, str], original_language: str, now: dt.datetime | None = None) -> Petition:
    """A member asks for an assembly of their branch (or of the cooperative, ``branch=None``); they sign it
    first. The active members in scope are counted now and the count is frozen."""
    now = _now(now)
    if not permissions.can_open_petition(actor, None if branch is None else branch.id, member=member):
        raise NotAllowed()
    petition = Petition(branch_id=None if branch is None else branch.id, original_language=original_language,
                        opened_by_id=member.id, opened_dt=now, state=PetitionState.open.value)
    petition.titles = clean_texts(titles, TITLE_MAX)
    petition.texts = clean_texts(texts)
    if not petition.titles.get(original_language) or not petition.texts.get(original_language):
        raise InvalidInput(_l("Give the title and the text in the original language."))
    petition.base = active_members_in_scope(petition.branch_id)
    petition.threshold = petition_threshold(petition.base)
    db.session.add(petition)
    db.session.flush()
    _record("assembly_petition.opened", petition, actor, branch=None if branch is None else branch.code,
            base=petition.base, threshold=petition.threshold)
    db.session.add(PetitionSignature(petition_id=petition.id, member_id=member.id, signed_dt=now))
    db.session.flush()
    _check_threshold(petition, actor, now)
    return petition


def signature_count(petition: Petition) -> int:
    return db.session.execute(select(func.count()).select_from(PetitionSignature)
                              .where(PetitionSignature.petition_id == petition.id)).scalar_one()


def _check_threshold(petition: Petition, actor, now: dt.datetime) -> bool:
    """Reached: move the petition to "threshold reached" (once, under the petition's lock), record it and tell
    the board."""
    count = signature_count(petition)
    if count < petition.threshold:
        return False
    _lock(petition)
    if not petition.is_open:
        return False
    petition.mark_threshold_reached(now)
    db.session.flush()
    _record("assembly_petition.threshold_reached", petition, actor, signatures=count, base=petition.base,
            threshold=petition.threshold)
    _notify_board(petition, count)
    return True


def board_accounts(branch_id: int | None) -> list[Account]:
    """Who is told of a petition: the board members of the branch (the cooperative's: board members without a
    branch) and the secretaries (global, or of the branch)."""
    scope = RoleAssignment.branch_id.is_(None) if branch_id is None else RoleAssignment.branch_id == branch_id
    condition = (((RoleAssignment.role == Role.board_member.value) & scope)
                 | ((RoleAssignment.role == Role.secretary.value)
                    & (RoleAssignment.branch_id.is_(None) | (RoleAssignment.branch_id == branch_id))))
    ids = select(RoleAssignment.account_id).where(condition)
    return list(db.session.execute(select(Account).where(Account.id.in_(ids), Account.is_enabled.is_(True))
                                   .order_by(Account.id)).scalars())


def _notify_board(petition: Petition, count: int) -> None:
    from governance.accounts.operations import account_email_language, email_link
    from governance.core.i18n import pick_text
    from werkzeug.routing import BuildError

    try:
        link = email_link("assemblies.petition", petition_id=petition.id)
    except BuildError:
        link = current_app.config["SERVER_NAME_FOR_EMAIL"].rstrip("/") + f"/assemblies/petitions/{petition.id}"
    specs = []
    for account in board_accounts(petition.branch_id):
        language = account_email_language(account)
        specs.append(EmailSpec(
            key=f"petition:{petition.id}:threshold:account:{account.id}", to_address=account.email,
            language=language, template="assembly_petition_threshold", to_name=account.display_name,
            topic=f"petition:{petition.id}",
            context={"title": pick_text(petition.titles, petition.original_language, [language]).text,
                     "signatures": count, "base": petition.base, "threshold": petition.threshold,
                     "branch_code": petition.branch.code if petition.branch is not None else None,
                     "petition_url": link}))
    queue_emails(specs)


def sign_petition(petition: Petition, member: Member, *, actor, now: dt.datetime | None = None) -> bool:
    """The member signs (once). Returns whether this signature reached the threshold."""
    now = _now(now)
    if not permissions.can_sign_petition(actor, petition, member=member):
        raise NotAllowed()
    if petition.state == PetitionState.closed.value:
        raise Conflict(_l("This petition is closed."))
    exists = db.session.execute(select(PetitionSignature.member_id).where(
        PetitionSignature.petition_id == petition.id, PetitionSignature.member_id == member.id)).first()
    if exists is not None:
        raise AlreadySigned()
    try:
        with db.session.begin_nested():
            db.session.add(PetitionSignature(petition_id=petition.id, member_id=member.id, signed_dt=now))
            db.session.flush()
    except IntegrityError:
        raise AlreadySigned() from None
    return _check_threshold(petition, actor, now)


def withdraw_signature(petition: Petition, member: Member, *, actor) -> None:
    """Take a signature back, while the threshold is not reached."""
    _lock(petition)
    if not petition.is_open:
        raise Conflict(_l("The threshold has been reached: signatures can no longer be withdrawn."))
    if actor is not None and getattr(getattr(actor, "member", None), "id", None) != member.id:
        raise NotAllowed()
    deleted = db.session.execute(delete(PetitionSignature).where(
        PetitionSignature.petition_id == petition.id, PetitionSignature.member_id == member.id)).rowcount
    if not deleted:
        raise Conflict(_l("You have not signed this petition."))
    db.session.flush()


def close_petition(petition: Petition, *, actor, now: dt.datetime | None = None) -> Petition:
    """The board closes a petition (answered by an assembly, or withdrawn)."""
    now = _now(now)
    if actor is not None and not permissions.can_close_petition(actor, petition):
        raise NotAllowed()
    _lock(petition)
    petition.mark_closed(now)
    db.session.flush()
    _record("assembly_petition.closed", petition, actor, signatures=signature_count(petition))
    return petition
