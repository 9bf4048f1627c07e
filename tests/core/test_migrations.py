"""The migrations produce exactly the models' schema, on SQLite and on PostgreSQL."""
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from governance import create_app
from governance.extensions import db as _db
from tests.conftest import make_settings

MIGRATIONS = str(__import__("pathlib").Path(__file__).resolve().parents[2] / "governance" / "migrations")


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"{url.database}_m_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_match_models_and_downgrade(empty_database_url, tmp_path):
    app = create_app(make_settings(empty_database_url, tmp_path))
    with app.app_context():
        try:
            upgrade(directory=MIGRATIONS)
            with _db.engine.connect() as conn:
                # the search index's dialect-specific objects are made by governance.search.schema, not the models
                from governance.search.schema import include_name, include_object

                context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                                 "compare_server_default": False,
                                                                 "include_name": include_name,
                                                                 "include_object": include_object})
                diff = compare_metadata(context, _db.metadata)
            assert diff == [], diff
            downgrade(directory=MIGRATIONS, revision="base")
            tables = set(inspect(_db.engine).get_table_names()) - {"alembic_version"}
            assert tables == set()
        finally:
            _db.session.remove()
            _db.engine.dispose()
