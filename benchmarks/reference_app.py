"""The ceiling of the HTTP benchmark: a bare Flask app on the portal's database.

For each page the benchmark measures, it renders the rows the portal's page shows (the same selection, order and
page size, read from the portal's views and queries) with one SQL query through SQLAlchemy Core and a minimal
Jinja template: no Flask-Login, no Babel, no CSRF, no sessions, no permission checks, no portal code. The reader
is a plain cookie (``bench_member``, with ``bench_lang`` for the reader's language); the POST takes the member
from a form field. The portal's rate of requests against this app's rate is how much the portal's layers cost.

``POST /ballots/<id>/vote`` inserts one row into its own table, ``bench_reference_votes`` (primary key
``(ballot_id, member_id)``, so a second vote by a member fails on the constraint as the portal's participation
would), created when the app starts; :func:`reset_votes` empties it before a run.

Serve it with gunicorn: ``BENCH_DATABASE_URL=... gunicorn 'benchmarks.reference_app:create_reference_app()'``.
"""
from __future__ import annotations

import os

from flask import Flask, abort, request
from jinja2 import Environment
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

#: the portal's page sizes (governance/*/queries.py and views.py), so both apps show the same rows
PROPOSALS_ON_PAGE = 50          # proposals.queries.PROPOSALS_ON_PAGE (workgroup page)
COMMENTS_PER_PAGE = 50          # proposals.queries.COMMENTS_PER_PAGE (top-level comments; their replies too)
DIRECTORY_PER_PAGE = 20         # workgroups.queries.DIRECTORY_PER_PAGE
REGISTER_PER_PAGE = 50          # members.queries.PER_PAGE
HOME_NOTIFICATIONS = 5          # notifications.queries.HOME_LATEST

VOTES_TABLE = "bench_reference_votes"


def _engine(database_url: str) -> Engine:
    """An engine set up as the portal's (SQLite: WAL, immediate write transactions; PostgreSQL: psycopg 3)."""
    from governance.config import normalise_database_url  # the URL spelling only, no portal behaviour

    url = normalise_database_url(database_url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15})

        @event.listens_for(engine, "connect")
        def on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def on_begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.info.get("write") else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"prepare_threshold": None})


def create_votes_table(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.info["write"] = True
        with connection.begin():
            connection.exec_driver_sql(
                f"CREATE TABLE IF NOT EXISTS {VOTES_TABLE} (ballot_id INTEGER NOT NULL, member_id INTEGER NOT NULL, "
                f"choice VARCHAR(20) NOT NULL, PRIMARY KEY (ballot_id, member_id))")
        connection.info["write"] = False


def reset_votes(database_url: str) -> None:
    """Create the reference's vote table if needed and empty it (before a run)."""
    engine = _engine(database_url)
    try:
        create_votes_table(engine)
        with engine.connect() as connection:
            connection.info["write"] = True
            with connection.begin():
                connection.exec_driver_sql(f"DELETE FROM {VOTES_TABLE}")
    finally:
        engine.dispose()


def count_votes(database_url: str, ballot_id: int) -> tuple[int, int]:
    """(rows, distinct members) in the reference's vote table for ``ballot_id``."""
    engine = _engine(database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(text(f"SELECT count(*), count(DISTINCT member_id) FROM {VOTES_TABLE} "
                                          "WHERE ballot_id = :b"), {"b": ballot_id}).one()
        return int(row[0]), int(row[1])
    finally:
        engine.dispose()


class Queries:
    """One SQL query per page, written for the database's dialect (JSON text differs)."""

    def __init__(self, dialect: str):
        self.pg = dialect == "postgresql"

    def json_text(self, column: str, key: str) -> str:
        """The text under ``key`` (a bind parameter name or a column) in a JSON object column."""
        if self.pg:
            return f"({column} ->> {key})"
        return f"json_extract({column}, '$.' || {key})"

    def title(self, column: str) -> str:
        """The reader's language, else the original (as ``pick_text`` shows it)."""
        alias = column.split(".")[0]
        return f"coalesce({self.json_text(column, ':lang')}, {self.json_text(column, alias + '.original_language')})"

    # -- home: the member's entry, unread notifications, open ballots on their roll, workgroups, branches ----
    def home(self) -> str:
        return f"""
        SELECT 'member' AS kind, m.id AS id, m.first_name || ' ' || m.last_name AS label, 0 AS n,
               CAST(NULL AS VARCHAR(80)) AS slug
          FROM members m WHERE m.id = :member
        UNION ALL
        SELECT * FROM (SELECT 'notification', n.id, n.kind, 0, NULL FROM notifications n
          WHERE n.account_id = (SELECT a.id FROM accounts a WHERE a.member_id = :member) AND n.read_dt IS NULL
          ORDER BY n.created_dt DESC, n.id DESC LIMIT {HOME_NOTIFICATIONS}) AS latest
        UNION ALL
        SELECT 'ballot', b.id, {self.title('b.questions')},
               CASE WHEN EXISTS (SELECT 1 FROM ballot_participations p WHERE p.ballot_id = b.id
                                 AND p.member_id = :member) THEN 1 ELSE 0 END, NULL
          FROM ballots b WHERE b.state = 'open' AND (b.closes_at IS NULL OR b.closes_at > :now)
           AND EXISTS (SELECT 1 FROM ballot_roll_entries r WHERE r.ballot_id = b.id AND r.member_id = :member)
        UNION ALL
        SELECT 'workgroup', w.id, {self.title('w.titles')}, 0, w.slug
          FROM workgroups w JOIN workgroup_memberships wm ON wm.workgroup_id = w.id WHERE wm.member_id = :member
        UNION ALL
        SELECT 'branch', br.id, br.code, count(mb.id), NULL
          FROM branches br LEFT JOIN members mb ON mb.branch_id = br.id AND mb.status = 'active'
          GROUP BY br.id, br.code
        """

    # -- the workgroup directory: 20 active workgroups the member sees, by title in their language --------------
    def directory(self) -> str:
        return f"""
        SELECT w.id, w.slug, {self.title('w.titles')} AS title, coalesce(c.n, 0) AS members, mine.status
          FROM workgroups w
          LEFT JOIN (SELECT workgroup_id, count(*) AS n FROM workgroup_memberships WHERE status = 'active'
                     GROUP BY workgroup_id) c ON c.workgroup_id = w.id
          LEFT JOIN workgroup_memberships mine ON mine.workgroup_id = w.id AND mine.member_id = :member
         WHERE w.state = 'active'
           AND (w.scope = 'cooperative' OR EXISTS (
                SELECT 1 FROM workgroup_branches wb WHERE wb.workgroup_id = w.id
                   AND wb.branch_id = (SELECT branch_id FROM members WHERE id = :member)))
         ORDER BY lower(coalesce({self.json_text('w.titles', ':lang')}, w.slug)), w.slug
         LIMIT {DIRECTORY_PER_PAGE}
        """

    # -- a workgroup's page: its 50 newest proposals the member sees, with authors and support counts -------
    def workgroup(self) -> str:
        return f"""
        SELECT p.id, {self.title('p.titles')} AS title, p.state, m.first_name || ' ' || m.last_name AS author,
               coalesce(s.n, 0) AS supports
          FROM proposals p
          JOIN members m ON m.id = p.author_id
          LEFT JOIN (SELECT proposal_id, count(*) AS n FROM proposal_supports GROUP BY proposal_id) s
                 ON s.proposal_id = p.id
         WHERE p.workgroup_id = (SELECT id FROM workgroups WHERE slug = :slug)
           AND (p.state <> 'draft' OR p.author_id = :member OR p.id IN (
                SELECT proposal_id FROM proposal_coauthors WHERE member_id = :member))
         ORDER BY p.created_dt DESC, p.id DESC
         LIMIT {PROPOSALS_ON_PAGE}
        """

    # -- a proposal's page: the first page of top-level comments and the replies in their threads -----------
    def comments(self) -> str:
        return f"""
        WITH top AS (SELECT c.id FROM proposal_comments c WHERE c.proposal_id = :proposal AND c.depth = 1
                      ORDER BY c.created_dt, c.id LIMIT {COMMENTS_PER_PAGE} OFFSET :offset)
        SELECT c.id, c.parent_id, c.depth, c.body, c.is_deleted, c.hidden_reason, c.created_dt,
               m.first_name || ' ' || m.last_name AS author
          FROM proposal_comments c JOIN members m ON m.id = c.author_id
         WHERE c.id IN (SELECT id FROM top) OR c.thread_id IN (SELECT id FROM top)
         ORDER BY coalesce(c.thread_id, c.id), c.depth > 1, c.created_dt, c.id
        """

    # -- a ballot's page: question, options, turnout, whether the reader is on the roll and has voted -------
    def ballot(self) -> str:
        return f"""
        SELECT b.id, {self.title('b.questions')} AS question, b.state, b.roll_size,
               (SELECT count(*) FROM ballot_participations p WHERE p.ballot_id = b.id) AS turnout,
               EXISTS (SELECT 1 FROM ballot_roll_entries r WHERE r.ballot_id = b.id AND r.member_id = :member)
                   AS on_roll,
               EXISTS (SELECT 1 FROM ballot_participations p WHERE p.ballot_id = b.id AND p.member_id = :member)
                   AS voted,
               o.id AS option_id, {self.json_text('o.labels', ':lang')} AS label
          FROM ballots b LEFT JOIN ballot_options o ON o.ballot_id = b.id
         WHERE b.id = :ballot
         ORDER BY o.position
        """

    # -- a closed ballot's results: the stored result and the options -----------------------------------------
    def results(self) -> str:
        return f"""
        SELECT b.id, {self.title('b.questions')} AS question, b.state, b.roll_size, b.result,
               o.id AS option_id, {self.json_text('o.labels', ':lang')} AS label
          FROM ballots b LEFT JOIN ballot_options o ON o.ballot_id = b.id
         WHERE b.id = :ballot AND b.state = 'closed'
         ORDER BY o.position
        """

    # -- the register search: the secretary's page of members matching every word -----------------------------
    def register(self, words: int) -> str:
        conditions = " AND ".join(
            f"(lower(m.number) LIKE :w{i} ESCAPE '/' OR lower(m.first_name) LIKE :w{i} ESCAPE '/' "
            f"OR lower(m.last_name) LIKE :w{i} ESCAPE '/' OR lower(m.email) LIKE :w{i} ESCAPE '/')"
            for i in range(words)) or "1 = 1"
        return f"""
        SELECT m.id, m.number, m.first_name, m.last_name, m.email, m.status, br.code, count(*) OVER () AS total
          FROM members m JOIN branches br ON br.id = m.branch_id
         WHERE {conditions}
         ORDER BY m.last_name, m.first_name, m.number
         LIMIT {REGISTER_PER_PAGE} OFFSET :offset
        """

    # -- an assembly's page: its agenda items and their documents ------------------------------------------------
    def assembly(self) -> str:
        return f"""
        SELECT a.id, {self.title('a.titles')} AS title, a.state, a.starts_at,
               i.id AS item_id, i.position, i.kind, {self.json_text('i.titles', ':lang')} AS item_title,
               d.id AS document_id, d.filename, d.size
          FROM assemblies a
          LEFT JOIN assembly_agenda_items i ON i.assembly_id = a.id
          LEFT JOIN assembly_documents d ON d.assembly_id = a.id AND d.agenda_item_id = i.id
         WHERE a.id = :assembly
         ORDER BY i.position, d.id
        """


_PAGE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ title }}</title></head><body>
<h1>{{ title }}</h1>
{% if total is not none %}<p>{{ total }}</p>{% endif %}
<ul>{% for row in rows %}<li>{% for value in row %}<span>{{ value }}</span> {% endfor %}</li>{% endfor %}</ul>
</body></html>
""")


def _like(word: str) -> str:
    escaped = word.lower().replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def create_reference_app(database_url: str | None = None) -> Flask:
    """The reference app on ``database_url`` (default: ``BENCH_DATABASE_URL``)."""
    import datetime as dt

    database_url = database_url or os.environ["BENCH_DATABASE_URL"]
    engine = _engine(database_url)
    create_votes_table(engine)
    engine.dispose()  # no connection is inherited by gunicorn's workers (the app is loaded before they fork)
    sql = Queries(engine.dialect.name)
    app = Flask(__name__)
    app.extensions["reference_engine"] = engine  # so that a caller (a test) can dispose of it
    statements = {name: text(getattr(sql, name)()) for name in
                  ("home", "directory", "workgroup", "comments", "ballot", "results", "assembly")}
    register_statements: dict[int, object] = {}

    def reader() -> tuple[int, str]:
        try:
            member = int(request.cookies.get("bench_member", ""))
        except ValueError:
            abort(400)
        return member, request.cookies.get("bench_lang", "en")[:8]

    def rows(name: str, **params) -> list:
        with engine.connect() as connection:
            result = connection.execute(statements[name], params).all()
        return result

    def page(title: str, result: list, total=None, lang: str = "en"):
        return _PAGE.render(title=title, rows=result, total=total, lang=lang)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/")
    def home():
        member, lang = reader()
        now = dt.datetime.now(dt.timezone.utc)
        if engine.dialect.name == "sqlite":
            now = now.replace(tzinfo=None).isoformat(sep=" ")
        return page("Home", rows("home", member=member, lang=lang, now=now), lang=lang)

    @app.get("/workgroups/")
    def directory():
        member, lang = reader()
        return page("Workgroups", rows("directory", member=member, lang=lang), lang=lang)

    @app.get("/workgroups/<slug>")
    def workgroup(slug: str):
        member, lang = reader()
        return page(slug, rows("workgroup", member=member, lang=lang, slug=slug), lang=lang)

    @app.get("/workgroups/<slug>/proposals/<int:proposal_id>")
    def proposal(slug: str, proposal_id: int):
        _member, lang = reader()
        number = max(request.args.get("page", 1, type=int) or 1, 1)
        result = rows("comments", proposal=proposal_id, offset=(number - 1) * COMMENTS_PER_PAGE)
        return page("Proposal", result, lang=lang)

    @app.get("/ballots/<int:ballot_id>")
    def ballot(ballot_id: int):
        member, lang = reader()
        result = rows("ballot", ballot=ballot_id, member=member, lang=lang)
        if not result:
            abort(404)
        return page("Ballot", result, lang=lang)

    @app.get("/ballots/<int:ballot_id>/results")
    def results(ballot_id: int):
        _member, lang = reader()
        result = rows("results", ballot=ballot_id, lang=lang)
        if not result:
            abort(404)
        return page("Results", result, lang=lang)

    @app.get("/register/")
    def register():
        _member, lang = reader()
        words = (request.args.get("q") or "").split()[:8]
        statement = register_statements.get(len(words))
        if statement is None:
            statement = register_statements[len(words)] = text(sql.register(len(words)))
        number = max(request.args.get("page", 1, type=int) or 1, 1)
        params = {f"w{i}": _like(word) for i, word in enumerate(words)}
        with engine.connect() as connection:
            result = connection.execute(statement, {**params, "offset": (number - 1) * REGISTER_PER_PAGE}).all()
        return page("Register", [row[:-1] for row in result], total=result[0][-1] if result else 0, lang=lang)

    @app.get("/assemblies/<int:assembly_id>")
    def assembly(assembly_id: int):
        _member, lang = reader()
        result = rows("assembly", assembly=assembly_id, lang=lang)
        if not result:
            abort(404)
        return page("Assembly", result, lang=lang)

    insert = text(f"INSERT INTO {VOTES_TABLE} (ballot_id, member_id, choice) VALUES (:ballot, :member, :choice)")

    @app.post("/ballots/<int:ballot_id>/vote")
    def vote(ballot_id: int):
        try:
            member = int(request.form.get("member", ""))
        except ValueError:
            abort(400)
        choice = request.form.get("vote", "")
        if choice not in {"yes", "no", "abstain"}:
            abort(400)
        with engine.connect() as connection:
            connection.info["write"] = True
            try:
                with connection.begin():
                    connection.execute(insert, {"ballot": ballot_id, "member": member, "choice": choice})
            except IntegrityError:
                return page("Already voted", []), 409
        return page("Vote recorded", [(member, choice)])

    return app
