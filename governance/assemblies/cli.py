"""``flask governance assemblies …``: convening a large assembly and printing its letters from the command line,
with no web request's time limit (the same operations as the pages; one commit each).

- ``assemblies convene ID --by EMAIL``: send the convocation (refused, with the reasons, as on the page);
- ``assemblies letters ID FILE --by EMAIL``: write the PDF of the letters still to print and mark them printed.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("assemblies")
def assemblies_cli():
    """General assemblies: convocation and letters."""


def _load(assembly_id: int, email: str):
    from sqlalchemy import func, select

    from governance.accounts.models import Account
    from governance.assemblies.models import Assembly
    from governance.extensions import db

    assembly = db.session.get(Assembly, assembly_id)
    if assembly is None:
        raise click.ClickException(f"no assembly {assembly_id}")
    actor = db.session.execute(select(Account).where(func.lower(Account.email) == email.lower())).scalar_one_or_none()
    if actor is None:
        raise click.ClickException(f"no account {email}")
    return assembly, actor


@assemblies_cli.command("convene")
@click.argument("assembly_id", type=int)
@click.option("--by", "email", required=True, help="The email address of the account sending it (who must be "
                                                    "allowed to convene the assembly).")
@with_appcontext
def convene_command(assembly_id: int, email: str):
    """Send the convocation of assembly ASSEMBLY_ID."""
    from governance.assemblies import operations as ops
    from governance.core.errors import DomainError
    from governance.extensions import db

    assembly, actor = _load(assembly_id, email)
    with _request_context():
        try:
            counts = ops.send_convocation(assembly, actor=actor)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"convocation sent: {counts.emails} emails queued, {counts.letters} letters to print")


@assemblies_cli.command("letters")
@click.argument("assembly_id", type=int)
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", "email", required=True, help="The email address of the account printing them.")
@with_appcontext
def letters_command(assembly_id: int, output: Path, email: str):
    """Write the letters of assembly ASSEMBLY_ID still to print to OUTPUT (PDF), and mark them printed."""
    from governance.assemblies import operations as ops
    from governance.core.errors import DomainError
    from governance.extensions import db

    assembly, actor = _load(assembly_id, email)
    with _request_context():
        try:
            pdf, count = ops.print_letters(assembly, actor=actor, limit=None)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
    output.write_bytes(pdf)
    db.session.commit()
    click.echo(f"{count} letters written to {output}")


def _request_context():
    """Texts are rendered as in a request (lazy strings, the portal's default locale)."""
    from flask import current_app

    return current_app.test_request_context("/")
