"""``flask governance members …``: the register's commands."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("members")
def members_cli():
    """The membership register."""


@members_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--full-export", is_flag=True, help="The file is the whole register: report the members it leaves out.")
@click.option("--allow-partial", is_flag=True, help="Import the good rows even when some rows are bad.")
@click.option("--actor", metavar="EMAIL", default=None, help="The account recorded as importing (default: the system).")
@with_appcontext
def import_command(file: Path, dry_run: bool, full_export: bool, allow_partial: bool, actor: str | None):
    """Import the register export FILE (CSV or XLSX), by member number."""
    from governance.accounts.operations import find_account_by_email
    from governance.core.errors import DomainError
    from governance.extensions import db
    from governance.members.operations import import_register

    account = None
    if actor:
        account = find_account_by_email(actor)
        if account is None:
            raise click.BadParameter(f"no account with the email address {actor}", param_hint="--actor")
    try:
        report = import_register(file.read_bytes(), file.name, actor=account, dry_run=dry_run,
                                 full_export=full_export, allow_partial=allow_partial)
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"{file.name}: {exc}", err=True)
        sys.exit(1)
    if report.applied:
        db.session.commit()
    else:
        db.session.rollback()
    _print_report(report, details=dry_run)
    if report.rejected:  # bad rows, and partial imports not allowed (on a dry run too)
        sys.exit(1)


def _print_report(report, *, details: bool) -> None:
    echo = click.echo
    counts = report.counts()
    if details:
        for change in report.created:
            echo(f"create  {change.number}  {change.name} ({change.branch})  [row {change.row}]")
        for change in report.updated:
            diffs = "; ".join(f"{d.field}: {d.old!s} -> {d.new!s}" for d in change.changes)
            echo(f"update  {change.number}  {change.name}: {diffs}  [row {change.row}]")
        for change in report.status_changes:
            echo(f"status  {change.number}  {change.old or '-'} -> {change.new} on {change.effective_on.isoformat()}")
    for missing in report.missing:
        echo(f"missing {missing.number}  {missing.name} ({missing.branch}, {missing.status}): not in the file, left as is")
    for error in report.errors:
        echo(str(error), err=True)
    if report.applied:
        outcome = "imported" + (" (bad rows left out)" if report.errors else "")
    elif report.dry_run:
        outcome = "dry run, nothing written"
    else:
        outcome = "NOT imported: bad rows (fix them, or use --allow-partial)"
    summary = ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in counts.items()
                        if key != "missing" or report.full_export)
    echo(f"{report.file_name}: {outcome}: {summary}; sha256 {report.sha256}")
