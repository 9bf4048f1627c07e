"""Search over proposals and comments, in every language: SQLite FTS5 and PostgreSQL full-text search
behind one interface.

A layer above proposals (proposals never import it). The pieces:

- :mod:`.models` — ``search_entries``, the index table: one row per proposal and language (its title and
  plain text), and per visible comment and language (the comment in its own language, and each of its
  translations). Unique on (kind, object_id, language).
- :mod:`.schema` — what makes the table searchable, which differs per database and stays out of the
  SQLAlchemy metadata: SQLite's FTS5 table ``search_fts`` (external content, ``unicode61 remove_diacritics 2``)
  with its triggers, or PostgreSQL's generated ``document`` tsvector column (stemmed in the entry's
  language, plus a ``simple`` copy for exact words and prefixes; accents folded with ``unaccent`` when the
  extension is available) and its GIN index. ``create_search_schema`` / ``drop_search_schema`` for the
  migration; ``include_name`` / ``include_object`` for Alembic's autogenerate.
- :mod:`.indexing` — session events keep the entries in step with every flush that adds, edits, deletes or
  hides proposals, comments and comment translations; ``reindex_all()`` rebuilds everything
  (``flask governance search reindex``).
- :mod:`.queries` — ``search(text, *, account, language=None, kinds=None, workgroup=None, page=1,
  per_page=20) -> SearchPage``: parses the query once (words and "phrases", all required, the last word also
  as a prefix), dispatches on the dialect, filters by permission in SQL, ranks title matches first, and
  returns hits with safely marked snippets.
- :mod:`.views` — ``/search?q=…&kind=…&lang=…`` and ``/search/comments/<id>`` (a found comment in its thread).

Decisions:

- **Drafts** are indexed and filtered at query time (their authors and co-authors find them, as they see
  them on the workgroup's page). **Deleted and hidden comments** are not indexed (and filtered again).
- **Anonymous visitors** find nothing and are sent to sign in: every workgroup page needs a signed-in
  account (:func:`governance.workgroups.permissions.can_view_workgroup`). Archived workgroups are searched,
  and their results say so.
- **Languages**: an entry's language is the content language; on PostgreSQL it chooses the Snowball
  configuration (:data:`.schema.LANGUAGE_CONFIGS`, ``simple`` for others), so "Genossenschaft" finds
  "Genossenschaften" and "coopérative" finds "coopératives". SQLite has no stemming: it finds exact words and
  prefixes, case- and accent-insensitively.
- **Comments' language**: comments do not record one; the index uses the ``source_language`` their
  translators gave, else the author's language (the register's), else the proposal's original language.
"""
