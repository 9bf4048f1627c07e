"""Keeping the search index up to date, from SQLAlchemy session events.

``before_flush`` notes the proposals, comments and comment translations the flush adds, changes or deletes;
``after_flush_postexec`` (once the rows are written, so new objects have their ids) reads them back with two
or three queries and brings their ``search_entries`` rows in line: new languages are inserted, changed texts
updated, vanished ones deleted. Proposals' operations therefore never call into search, and an operation
rolled back takes its index changes with it.

What is indexed:

- a proposal, once per language its title or text exists in (drafts too: queries show them to their authors
  only, as the proposal pages do);
- a visible comment, in the language it is written in (the ``source_language`` its translators gave, else its
  author's language), and each of its translations in theirs. Deleted and hidden comments have no entries:
  hiding or deleting removes them, unhiding brings them back.

Changes made with bulk ``UPDATE``/``DELETE`` statements bypass the session events: run :func:`reindex_all`
(``flask governance search reindex``) after such maintenance.
"""
from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import delete, event, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from governance.core.db_types import utcnow
from governance.members.models import Member
from governance.proposals.models import Comment, CommentTranslation, Proposal
from governance.search.models import EntryKind, SearchEntry

_PENDING = "search_index_pending"
#: ids per IN list and per batch of a full reindex
CHUNK = 500

entries_table = SearchEntry.__table__


# --- plain text ------------------------------------------------------------------------------------
def _inline_mark(match: re.Match) -> str:
    """Emphasis, strike-through, code and table-cell marks go (a space between two words); an escaped mark, a
    lone tilde and underscores inside a word stay."""
    mark, text, start, end = match.group(), match.string, match.start(), match.end()
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if "\\" in mark or mark == "~" or (set(mark) == {"_"} and before.isalnum() and after.isalnum()):
        return mark
    return " " if before.isalnum() and after.isalnum() else ""


#: Markdown's syntax, removed with its punctuation while the words stay (a regular-expression pass: rendering
#: Markdown takes milliseconds per text, which a reindex of tens of thousands of texts cannot afford)
_MARKDOWN = [
    (re.compile(r"^ {0,3}(`{3,}|~{3,}).*$", re.M), ""),                      # code fences (the code stays)
    (re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\S+.*$", re.M), ""),               # link reference definitions
    (re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)"), r"\1"),                        # images: their text
    (re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)"), r"\1"),                         # links: their text
    (re.compile(r"\[([^\]\n]*)\]\[[^\]\n]*\]"), r"\1"),                        # reference links
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),                     # autolinks
    (re.compile(r"^ {0,3}([-*_])([ \t]*\1){2,}[ \t]*$", re.M), ""),            # horizontal rules
    (re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$", re.M), ""),  # table rules
    (re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.M), r"\1"),     # ATX headings
    (re.compile(r"^ {0,3}(=+|-+)[ \t]*$", re.M), ""),                           # setext heading underlines
    (re.compile(r"^[ \t]*(>[ \t]?)+", re.M), ""),                                # block quotes
    (re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+", re.M), ""),               # list items
    (re.compile(r"[\\*`|_~]+"), _inline_mark),                                # emphasis, code, table cells
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])"), r"\1"),                        # backslash escapes
]


#: control characters (line breaks excepted): never indexed, so they can mark matches in snippets
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def clean_line(value: str | None) -> str:
    """A one-line text (a title) without control characters or runs of spaces."""
    return " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", value or "")).split())


def plain_text(source: str | None) -> str:
    """The words of a Markdown text (NFC-normalised): no markup, link targets or control characters.

    Raw HTML in the source stays as text, as the portal's renderer shows it; character references are decoded
    as the renderer decodes them. The result is plain text, to be escaped wherever it is shown."""
    if not source or not source.strip():
        return ""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", source).replace("\r\n", "\n").replace("\r", "\n"))
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    lines = (" ".join(line.split()) for line in _CONTROL.sub(" ", html.unescape(text)).split("\n"))
    return "\n".join(line for line in lines if line)


# --- entries ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EntryData:
    kind: str
    object_id: int
    proposal_id: int
    workgroup_id: int
    language: str
    title: str
    text: str

    @property
    def key(self) -> tuple[str, int, str]:
        return self.kind, self.object_id, self.language


def proposal_entries(proposal_id: int, workgroup_id: int, titles: dict | None,
                     bodies: dict | None) -> list[EntryData]:
    """One entry per language the proposal's title or text exists in."""
    titles, bodies = titles or {}, bodies or {}
    entries = []
    for code in sorted({*titles, *bodies}):
        title, text = clean_line(titles.get(code)), plain_text(bodies.get(code))
        if code and (title or text):
            entries.append(EntryData(EntryKind.proposal.value, proposal_id, proposal_id, workgroup_id, code,
                                     title, text))
    return entries


def comment_language(author_language: str | None, latest_source_language: str | None, fallback: str) -> str:
    """The language a comment is written in, as the proposal pages take it: what its latest translation said,
    else its author's language, else ``fallback`` (the proposal's original language)."""
    return latest_source_language or author_language or fallback


def comment_entries(comment_id: int, proposal_id: int, workgroup_id: int, body: str, language: str,
                    translations: Iterable[tuple[str, str]]) -> list[EntryData]:
    """The comment in its language, and each translation ``(language, body)`` in its own (a translation into the
    comment's own language, which translators disagreeing about it could leave, is not indexed)."""
    kind = EntryKind.comment.value
    entries = {}
    text = plain_text(body)
    if text:
        entries[language] = EntryData(kind, comment_id, proposal_id, workgroup_id, language, "", text)
    for code, translated in translations:
        text = plain_text(translated)
        if code and code not in entries and code != language and text:
            entries[code] = EntryData(kind, comment_id, proposal_id, workgroup_id, code, "", text)
    return list(entries.values())


def _chunks(ids: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


def _proposal_entries(connection: Connection, ids: list[int]) -> list[EntryData]:
    rows = connection.execute(select(Proposal.id, Proposal.workgroup_id, Proposal.titles, Proposal.bodies)
                              .where(Proposal.id.in_(ids)))
    return [entry for row in rows for entry in proposal_entries(*row)]


def _comment_entries(connection: Connection, ids: list[int]) -> list[EntryData]:
    rows = connection.execute(
        select(Comment.id, Comment.proposal_id, Proposal.workgroup_id, Comment.body, Member.language,
               Proposal.original_language)
        .join(Proposal, Proposal.id == Comment.proposal_id)
        .join(Member, Member.id == Comment.author_id)
        .where(Comment.id.in_(ids), Comment.is_deleted.is_(False), Comment.hidden_reason.is_(None))
    ).all()
    translations: dict[int, list[tuple[str, str]]] = {}
    latest_source: dict[int, str] = {}
    if rows:
        for comment_id, language, source_language, body in connection.execute(
                select(CommentTranslation.comment_id, CommentTranslation.language,
                       CommentTranslation.source_language, CommentTranslation.body)
                .where(CommentTranslation.comment_id.in_([row.id for row in rows]))
                .order_by(CommentTranslation.comment_id, CommentTranslation.modified_dt.desc(),
                          CommentTranslation.id.desc())):
            translations.setdefault(comment_id, []).append((language, body))
            latest_source.setdefault(comment_id, source_language)
    entries = []
    for comment_id, proposal_id, workgroup_id, body, author_language, original_language in rows:
        language = comment_language(author_language, latest_source.get(comment_id), original_language)
        entries += comment_entries(comment_id, proposal_id, workgroup_id, body, language,
                                   translations.get(comment_id, []))
    return entries


def _reconcile(connection: Connection, kind: str, ids: list[int], desired: list[EntryData]) -> int:
    """Make the entries of these objects exactly ``desired``; returns the number of rows written."""
    table = entries_table
    existing = {(row.kind, row.object_id, row.language): row for row in connection.execute(
        select(table.c.id, table.c.kind, table.c.object_id, table.c.language, table.c.title, table.c.text,
               table.c.proposal_id, table.c.workgroup_id)
        .where(table.c.kind == kind, table.c.object_id.in_(ids)))}
    wanted = {entry.key: entry for entry in desired}
    now = utcnow()
    gone = [row.id for key, row in existing.items() if key not in wanted]
    new, changed, moved = [], [], set()
    for key, entry in wanted.items():
        row = existing.get(key)
        values = {"title": entry.title, "text": entry.text, "proposal_id": entry.proposal_id,
                  "workgroup_id": entry.workgroup_id}
        if row is None:
            new.append({"kind": entry.kind, "object_id": entry.object_id, "language": entry.language,
                        "updated_dt": now, **values})
        elif any(getattr(row, name) != value for name, value in values.items()):
            changed.append((row.id, values))
            if kind == EntryKind.proposal.value and row.workgroup_id != entry.workgroup_id:
                moved.add((entry.proposal_id, entry.workgroup_id))
    if gone:
        connection.execute(delete(table).where(table.c.id.in_(gone)))
    for entry_id, values in changed:
        connection.execute(update(table).where(table.c.id == entry_id).values(updated_dt=now, **values))
    if new:
        connection.execute(insert(table), new)
    for proposal_id, workgroup_id in moved:  # a proposal moved: its comments' entries follow it
        connection.execute(update(table).where(table.c.kind == EntryKind.comment.value,
                                               table.c.proposal_id == proposal_id)
                           .values(workgroup_id=workgroup_id))
    return len(gone) + len(changed) + len(new)


def reindex_proposals(connection: Connection, ids: Iterable[int]) -> int:
    written = 0
    for chunk in _chunks(ids):
        written += _reconcile(connection, EntryKind.proposal.value, chunk, _proposal_entries(connection, chunk))
    return written


def reindex_comments(connection: Connection, ids: Iterable[int]) -> int:
    written = 0
    for chunk in _chunks(ids):
        written += _reconcile(connection, EntryKind.comment.value, chunk, _comment_entries(connection, chunk))
    return written


def reindex_all(session: Session | None = None) -> dict[str, int]:
    """Rebuild the whole index from the proposals and comments (the caller commits)."""
    if session is None:
        from governance.extensions import db

        session = db.session
    session.flush()
    connection = session.connection()
    connection.execute(delete(entries_table))
    for ids in _chunks(connection.execute(select(Proposal.id)).scalars()):
        reindex_proposals(connection, ids)
    for ids in _chunks(connection.execute(select(Comment.id)).scalars()):
        reindex_comments(connection, ids)
    counts = dict(connection.execute(select(entries_table.c.kind, func.count())
                                     .group_by(entries_table.c.kind)).all())
    return {kind.value: counts.get(kind.value, 0) for kind in EntryKind}


# --- session events --------------------------------------------------------------------------------
@dataclass
class _Pending:
    """What a flush changes: objects (new ones get their ids during the flush) and ids."""

    proposals: list[Proposal] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    translations: list[CommentTranslation] = field(default_factory=list)
    proposal_ids: set[int] = field(default_factory=set)
    comment_ids: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.proposals or self.comments or self.translations or self.proposal_ids or self.comment_ids)


def _before_flush(session: Session, flush_context, instances) -> None:
    pending = _Pending()
    for obj in session.new:
        _note(pending, obj)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            _note(pending, obj)
    for obj in session.deleted:
        if isinstance(obj, Proposal):
            pending.proposal_ids.add(obj.id)
        elif isinstance(obj, Comment):
            pending.comment_ids.add(obj.id)
        elif isinstance(obj, CommentTranslation):
            pending.comment_ids.add(obj.comment_id)
    if pending:
        session.info[_PENDING] = pending
    else:
        session.info.pop(_PENDING, None)


def _note(pending: _Pending, obj) -> None:
    if isinstance(obj, Proposal):
        pending.proposals.append(obj)
    elif isinstance(obj, Comment):
        pending.comments.append(obj)
    elif isinstance(obj, CommentTranslation):
        pending.translations.append(obj)


def _after_flush(session: Session, flush_context) -> None:
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    proposal_ids = pending.proposal_ids | {p.id for p in pending.proposals if p.id is not None}
    comment_ids = (pending.comment_ids | {c.id for c in pending.comments if c.id is not None}
                   | {t.comment_id for t in pending.translations if t.comment_id is not None})
    connection = session.connection()
    if proposal_ids:
        reindex_proposals(connection, proposal_ids)
    if comment_ids:
        reindex_comments(connection, comment_ids)


def _after_rollback(session: Session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)


def listen() -> None:
    """Index on every ORM session's flush (idempotent)."""
    for name, handler in (("before_flush", _before_flush), ("after_flush_postexec", _after_flush),
                          ("after_soft_rollback", _after_rollback)):
        if not event.contains(Session, name, handler):
            event.listen(Session, name, handler)


listen()
