"""The one command tree: ``flask governance …``. Each feature adds its own group."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from governance.config import LANGUAGES, PROJECT_ROOT, TRANSLATIONS_DIR


@click.group("governance")
def governance_cli():
    """Commands of the governance portal."""


# --- audit -----------------------------------------------------------------------------------------
@governance_cli.group("audit")
def audit_cli():
    """The audit log."""


@audit_cli.command("verify")
@with_appcontext
def audit_verify():
    """Check every link of the audit chain; report the first broken one."""
    from governance.core.audit import latest_hash, verify_chain

    result = verify_chain()
    if result.ok:
        click.echo(f"audit chain intact: {result.checked} entries, latest hash {latest_hash()}")
        return
    click.echo(f"audit chain BROKEN at entry {result.broken_seq}: {result.reason} "
               f"({result.checked} entries verified before it)", err=True)
    sys.exit(1)


# --- backup ----------------------------------------------------------------------------------------
@governance_cli.group("backup")
def backup_cli():
    """Backups of the database (SQLite: an online copy; PostgreSQL: pg_dump)."""


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_create(path: Path):
    """Copy the SQLite database to PATH while the portal runs (PostgreSQL: says how to use pg_dump)."""
    from flask import current_app

    from governance.core.backup import (BackupError, create_sqlite_backup, database_kind, pg_dump_instructions,
                                        sqlite_file)

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    kind = database_kind(url)
    if kind == "postgresql":
        click.echo(pg_dump_instructions(url, path), err=True)
        sys.exit(2)
    if kind != "sqlite":
        click.echo(f"backups of {kind} databases are not supported", err=True)
        sys.exit(2)
    try:
        report = create_sqlite_backup(sqlite_file(url), path)
    except BackupError as exc:
        click.echo(f"backup failed: {exc}", err=True)
        sys.exit(1)
    click.echo(f"backup written to {report.path} ({report.size_bytes} bytes, {report.audit_entries} audit entries, "
               f"latest audit hash {report.latest_hash})")


@backup_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def backup_verify(path: Path):
    """Check a SQLite backup: its integrity, and its audit chain from the first entry to the last."""
    from governance.core.backup import BackupError, verify_sqlite_backup

    try:
        report = verify_sqlite_backup(path)
    except BackupError as exc:
        click.echo(f"cannot verify: {exc}", err=True)
        sys.exit(1)
    if report.integrity != "ok":
        click.echo(f"backup DAMAGED: integrity check says {report.integrity}", err=True)
        sys.exit(1)
    if not report.chain.ok:
        click.echo(f"audit chain BROKEN at entry {report.chain.broken_seq}: {report.chain.reason} "
                   f"({report.chain.checked} entries verified before it)", err=True)
        sys.exit(1)
    click.echo(f"backup intact: {report.chain.checked} audit entries, latest hash {report.latest_hash} "
               "(compare it with the one published on the portal)")


# --- outbox ----------------------------------------------------------------------------------------
@governance_cli.group("outbox")
def outbox_cli():
    """Outgoing email."""


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep running, polling for new messages.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls with --loop.")
@click.option("--limit", type=int, default=None, help="At most this many messages per batch.")
@with_appcontext
def outbox_send(loop: bool, interval: float, limit: int | None):
    """Send the emails that are due (retrying failed ones with backoff)."""
    from governance.core.outbox import send_due

    while True:
        counts = send_due(limit=limit)
        if counts["sent"] or counts["retry"] or counts["failed"] or not loop:
            click.echo(f"sent {counts['sent']}, to retry {counts['retry']}, failed {counts['failed']}")
        if not loop:
            return
        if not any(counts.values()):
            time.sleep(interval)


# --- demo ------------------------------------------------------------------------------------------
@governance_cli.group("demo")
def demo_cli():
    """Demonstration data."""


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the register already has members.")
@with_appcontext
def demo_load(if_empty: bool):
    """Fill the database with a realistic multi-branch cooperative."""
    from governance.demo import database_is_empty, load_demo
    from governance.extensions import db

    if if_empty and not database_is_empty():
        click.echo("database already has data; demo not loaded")
        return
    summary = load_demo()
    db.session.commit()
    click.echo("demo loaded: " + ", ".join(f"{k} {v}" for k, v in summary.items()))


# --- i18n ------------------------------------------------------------------------------------------
@governance_cli.group("i18n")
def i18n_cli():
    """Translation catalogs (wraps pybabel)."""


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", *args], check=True, cwd=PROJECT_ROOT)


POT = TRANSLATIONS_DIR / "messages.pot"


@i18n_cli.command("extract")
def i18n_extract():
    """Extract messages from the code and templates into translations/messages.pot."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_ngettext:1,2", "-k", "lazy_pgettext:1c,2", "--no-location",
             "--sort-output", "--project", "governance", "-o", str(POT), ".")


@i18n_cli.command("update")
@click.pass_context
def i18n_update(ctx):
    """Extract, then merge into each catalog (new English entries are filled from their source)."""
    ctx.invoke(i18n_extract)
    for lang in LANGUAGES:
        po = TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po"
        if po.exists():
            _pybabel("update", "--no-fuzzy-matching", "--ignore-obsolete", "-i", str(POT),
                     "-d", str(TRANSLATIONS_DIR), "-l", lang)
        else:
            _pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS_DIR), "-l", lang)
    _fill_english(TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po")


def _fill_english(path: Path) -> None:
    """English is the source language: its catalog repeats each source text."""
    from babel.messages.pofile import read_po, write_po

    with path.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, (list, tuple)):
            if not all(message.string):
                message.string = (message.id[0], message.id[1])
        elif not message.string:
            message.string = message.id
        message.flags.discard("fuzzy")
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, omit_header=False)


@i18n_cli.command("compile")
def i18n_compile():
    """Compile the catalogs to .mo files."""
    _pybabel("compile", "-d", str(TRANSLATIONS_DIR))


# --- feature groups --------------------------------------------------------------------------------
def _add_feature_commands() -> None:
    """Each feature package brings its own group; commands that act across layers are attached here."""
    from governance.accounts.cli import invite_command
    from governance.assemblies.cli import assemblies_cli
    from governance.elections.cli import elections_cli
    from governance.members.cli import members_cli
    from governance.notifications.cli import notifications_cli
    from governance.search.cli import search_cli
    from governance.votes.cli import votes_cli

    members_cli.add_command(invite_command)  # flask governance members invite
    governance_cli.add_command(members_cli)
    governance_cli.add_command(notifications_cli)  # flask governance notifications digest
    governance_cli.add_command(search_cli)  # flask governance search reindex
    governance_cli.add_command(votes_cli)  # flask governance votes count
    governance_cli.add_command(assemblies_cli)  # flask governance assemblies convene / letters
    governance_cli.add_command(elections_cli)  # flask governance elections tick / warn


_add_feature_commands()
