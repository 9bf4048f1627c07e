"""The search index: one row per proposal or comment and language, with its title and plain text.

The rows are derived data, kept up to date by :mod:`governance.search.indexing` and rebuilt by
``flask governance search reindex``. What makes them searchable (SQLite's FTS5 table, PostgreSQL's
``tsvector`` column and GIN index) is not in the metadata: :mod:`governance.search.schema` creates it after
the table (``create_all``, or the migration).
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from governance.core.db_types import utcnow
from governance.extensions import db
from governance.search.schema import create_search_schema, drop_search_schema


class EntryKind(str, enum.Enum):
    proposal = "proposal"
    comment = "comment"


class SearchEntry(db.Model):
    """A proposal's title and text in one language, or a comment (or its translation) in one language."""

    __tablename__ = "search_entries"
    __table_args__ = (
        UniqueConstraint("kind", "object_id", "language"),
        CheckConstraint("kind IN ('proposal', 'comment')", name="kind_valid"),
        CheckConstraint("language <> ''", name="language_not_empty"),
        Index("ix_search_entries_workgroup_language", "workgroup_id", "language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    #: the proposal's or the comment's id
    object_id: Mapped[int]
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    workgroup_id: Mapped[int] = mapped_column(ForeignKey("workgroups.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    #: the proposal's title in this language ('' for a comment)
    title: Mapped[str] = mapped_column(Text, default="")
    #: the text without its Markdown markup
    text: Mapped[str] = mapped_column(Text, default="")
    updated_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<SearchEntry {self.id} {self.kind}={self.object_id} {self.language}>"


def _after_create(target, connection, **kw) -> None:
    create_search_schema(connection)


def _before_drop(target, connection, **kw) -> None:
    drop_search_schema(connection)


event.listen(SearchEntry.__table__, "after_create", _after_create)
event.listen(SearchEntry.__table__, "before_drop", _before_drop)

# importing the model turns indexing on: the indexing module listens to every ORM session's flushes
import governance.search.indexing  # noqa: E402, F401
