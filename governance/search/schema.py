"""The dialect-specific part of the search index, outside the SQLAlchemy metadata.

``search_entries`` is an ordinary table of the models. What makes it searchable differs per database and is
created here, by :func:`create_search_schema` (called after ``create_all`` builds the table, and by the
Alembic migration after ``op.create_table("search_entries", …)``), and removed by :func:`drop_search_schema`
(called before the table is dropped):

- **SQLite**: the FTS5 table ``search_fts`` (external content: it stores only its index and reads titles and
  texts from ``search_entries``, ``rowid`` = ``search_entries.id``), tokenised with
  ``unicode61 remove_diacritics 2`` (case and accents folded, so "reunion" finds "réunion"), kept in step by
  the triggers ``search_entries_ai``/``_ad``/``_au``. SQLite drops the triggers with the table: a migration
  that rebuilds ``search_entries`` (Alembic's batch mode does) must call :func:`drop_search_schema` before
  and :func:`create_search_schema` after it (which refills ``search_fts`` from the table).
- **PostgreSQL**: text-search configurations ``search_<name>`` (copies of the built-in Snowball ones in
  :data:`LANGUAGE_CONFIGS`, and ``search_simple`` for other languages), with the ``unaccent`` dictionary in
  front of the stemmer when that extension is available; the generated column ``search_entries.document``
  (title weighted A, text B, each once stemmed in the entry's language and once with ``search_simple``, so
  exact words and prefixes are found whatever the language) and its GIN index ``ix_search_entries_document``.

``unaccent`` ships with PostgreSQL (the contrib package) and is a *trusted* extension since PostgreSQL 13:
the database's owner may create it without being superuser. :func:`create_search_schema` uses it when it is
installed already, else tries to create it (in a savepoint), and goes on without it when it cannot: then
matching on PostgreSQL is case- but not accent-insensitive. Run ``CREATE EXTENSION unaccent`` as a superuser,
then ``flask governance search rebuild-schema``, to add it later.

Alembic's autogenerate must not see these objects: :func:`include_name` and :func:`include_object` are the
filters ``governance/migrations/env.py`` passes to it.

This module imports nothing of the application, so a migration may import it.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

TABLE = "search_entries"
FTS_TABLE = "search_fts"
FTS_TRIGGERS = ("search_entries_ai", "search_entries_ad", "search_entries_au")
DOCUMENT_COLUMN = "document"
DOCUMENT_INDEX = "ix_search_entries_document"

#: content language → PostgreSQL's Snowball configuration (present since PostgreSQL 12); others use "simple"
LANGUAGE_CONFIGS: dict[str, str] = {
    "da": "danish", "de": "german", "en": "english", "es": "spanish", "fi": "finnish", "fr": "french",
    "hu": "hungarian", "it": "italian", "nb": "norwegian", "nl": "dutch", "nn": "norwegian", "no": "norwegian",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sv": "swedish", "tr": "turkish",
}
SIMPLE = "simple"
#: our configurations are named after the built-in ones
CONFIG_PREFIX = "search_"


def config_name(language: str | None) -> str:
    """Our text-search configuration for a content language (``search_french``, else ``search_simple``)."""
    return CONFIG_PREFIX + LANGUAGE_CONFIGS.get(language or "", SIMPLE)


def all_config_names() -> list[str]:
    return [CONFIG_PREFIX + name for name in sorted({*LANGUAGE_CONFIGS.values(), SIMPLE})]


# --- SQLite ----------------------------------------------------------------------------------------
_SQLITE_CREATE = [
    f"""CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(
        title, text, content='{TABLE}', content_rowid='id', tokenize='unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER search_entries_ai AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    f"""CREATE TRIGGER search_entries_ad AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    END""",
    f"""CREATE TRIGGER search_entries_au AFTER UPDATE ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO {FTS_TABLE}(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    # the table may hold rows already (the schema recreated around an existing table)
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]


def _sqlite_drop() -> list[str]:
    return [*(f"DROP TRIGGER IF EXISTS {name}" for name in FTS_TRIGGERS), f"DROP TABLE IF EXISTS {FTS_TABLE}"]


# --- PostgreSQL ------------------------------------------------------------------------------------
def _unaccent_schema(connection: Connection, create: bool | None) -> str | None:
    """The schema the ``unaccent`` extension lives in, creating it if allowed and possible; None without it."""
    def installed() -> str | None:
        return connection.execute(text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'unaccent'")).scalar()

    schema = installed()
    if schema is not None or create is False:
        return schema
    try:
        with connection.begin_nested():
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent"))
    except Exception:  # not available, or not allowed: go on without accent folding
        if create:
            raise
        return None
    return installed()


def _document_expression() -> str:
    config = "CASE language " + " ".join(
        f"WHEN '{code}' THEN '{config_name(code)}'::regconfig" for code in sorted(LANGUAGE_CONFIGS)
    ) + f" ELSE '{config_name(None)}'::regconfig END"
    simple = f"'{config_name(None)}'::regconfig"
    return (f"setweight(to_tsvector({config}, coalesce(title, '')), 'A') || "
            f"setweight(to_tsvector({config}, coalesce(text, '')), 'B') || "
            f"setweight(to_tsvector({simple}, coalesce(title, '')), 'A') || "
            f"setweight(to_tsvector({simple}, coalesce(text, '')), 'B')")


def _postgresql_create(connection: Connection, unaccent: bool | None) -> None:
    schema = _unaccent_schema(connection, unaccent)
    for name in sorted({*LANGUAGE_CONFIGS.values(), SIMPLE}):
        ours = CONFIG_PREFIX + name
        connection.execute(text(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {ours}"))
        connection.execute(text(f"CREATE TEXT SEARCH CONFIGURATION {ours} (COPY = pg_catalog.{name})"))
        if schema is not None:
            dictionary = "simple" if name == SIMPLE else f"{name}_stem"
            connection.execute(text(
                f'ALTER TEXT SEARCH CONFIGURATION {ours} ALTER MAPPING FOR hword, hword_part, word '
                f'WITH "{schema}".unaccent, pg_catalog.{dictionary}'))
    connection.execute(text(
        f"ALTER TABLE {TABLE} ADD COLUMN {DOCUMENT_COLUMN} tsvector "
        f"GENERATED ALWAYS AS ({_document_expression()}) STORED"))
    connection.execute(text(f"CREATE INDEX {DOCUMENT_INDEX} ON {TABLE} USING gin ({DOCUMENT_COLUMN})"))


def _postgresql_drop(connection: Connection) -> None:
    if connection.execute(text(f"SELECT to_regclass('{TABLE}')")).scalar() is not None:
        connection.execute(text(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {DOCUMENT_COLUMN}"))
    for name in all_config_names():
        connection.execute(text(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}"))


# --- the two entry points --------------------------------------------------------------------------
def create_search_schema(connection: Connection, *, unaccent: bool | None = None) -> None:
    """Make ``search_entries`` searchable (the table must exist). ``unaccent`` (PostgreSQL): True requires the
    extension, False does without it, None (default) uses it when it is installed or can be created."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        for statement in _SQLITE_CREATE:
            connection.exec_driver_sql(statement)
    elif dialect == "postgresql":
        _postgresql_create(connection, unaccent)
    else:
        raise NotImplementedError(f"search is not available on {dialect}")


def drop_search_schema(connection: Connection) -> None:
    """Remove what :func:`create_search_schema` made (the ``unaccent`` extension stays)."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        for statement in _sqlite_drop():
            connection.exec_driver_sql(statement)
    elif dialect == "postgresql":
        _postgresql_drop(connection)


def uses_unaccent(connection: Connection) -> bool:
    """PostgreSQL: the configurations fold accents (SQLite always does)."""
    if connection.dialect.name != "postgresql":
        return True
    return bool(connection.execute(text(
        "SELECT count(*) FROM pg_ts_config_map m JOIN pg_ts_config c ON c.oid = m.mapcfg "
        "JOIN pg_ts_dict d ON d.oid = m.mapdict WHERE c.cfgname = :name AND d.dictname = 'unaccent'"),
        {"name": config_name(None)}).scalar())


# --- Alembic autogenerate --------------------------------------------------------------------------
def _is_fts_table(name: str | None) -> bool:
    # the FTS5 table and its shadow tables: search_fts_data, _idx, _docsize, _config
    return bool(name) and (name == FTS_TABLE or name.startswith(FTS_TABLE + "_"))


def include_name(name, type_, parent_names) -> bool:
    """``include_name`` for Alembic: leave SQLite's FTS tables unreflected."""
    return not (type_ == "table" and _is_fts_table(name))


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """``include_object`` for Alembic: ignore the FTS tables, the ``document`` column and its index."""
    if type_ == "table" and _is_fts_table(name):
        return False
    table = getattr(getattr(obj, "table", None), "name", None)
    if type_ == "column" and name == DOCUMENT_COLUMN and table == TABLE:
        return False
    if type_ == "index" and name == DOCUMENT_INDEX:
        return False
    return True
