"""Engine set-up: SQLite in WAL mode with immediate write transactions; PostgreSQL through psycopg 3."""
from __future__ import annotations

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from governance.extensions import db

#: requests that never change state read in deferred transactions and do not take SQLite's write lock
_READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        # let SQLAlchemy (not the driver) emit BEGIN, so we choose its kind
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # deleted content is overwritten with zeros, not left in free pages: the ballot box rewritten at a
        # ballot's close leaves no trace of the order of casting in the database file (SECURITY.md)
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        if has_request_context() and request.method in _READ_ONLY_METHODS:
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # statements logged (SQLALCHEMY_ECHO, or the sqlalchemy logger at INFO) and database errors never show their
    # values: they would hold ballot choices, receipt codes and personal data (development keeps them, to debug)
    options.setdefault("hide_parameters", app.config.get("GOVERNANCE_ENV") != "development")
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {}).setdefault("timeout", 15)
    else:
        options.setdefault("pool_pre_ping", True)
        # no automatic server-side prepared statements: a plan prepared while a table was small (say, just
        # before a register import) would otherwise be reused once it holds 100,000 rows
        options.setdefault("connect_args", {}).setdefault("prepare_threshold", None)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    if uri.startswith("sqlite"):
        with app.app_context():
            _configure_sqlite(db.engine)
