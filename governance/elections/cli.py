"""``flask governance elections …``: the board elections' scheduler and the expiry warnings.

- ``elections tick [--now ISO]``: open voting in the frozen elections that are due and keep each election in step
  with its ballot (run it every minute, next to ``votes tick``, which closes the ballots);
- ``elections warn [--now ISO] [--months N]``: tell the board secretaries of mandates ending within the warning
  period (in-app and by email, in each one's language); once per mandate, so it can run every day.
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from governance.core.clitools import id_list, parse_now
from governance.elections.models import EXPIRY_WARNING_MONTHS


@click.group("elections")
def elections_cli():
    """Boards and board elections: scheduler and warnings."""




def _request_context():
    """Texts are rendered as in a request (lazy strings, the portal's default locale)."""
    from flask import current_app

    return current_app.test_request_context("/")


@elections_cli.command("tick")
@click.option("--now", "now_text", default=None,
              help="Act as if it were this time (ISO 8601; UTC when no offset is given).")
@with_appcontext
def tick_command(now_text: str | None):
    """Open voting in the elections that are due; move on those whose ballot was counted."""
    from governance.elections.operations import tick
    from governance.extensions import db

    with _request_context():
        report = tick(parse_now(now_text))
    db.session.commit()
    click.echo(f"voting opened: {id_list(report.opened)}; counted: {id_list(report.counted)}")
    for election_id, reason in report.failed:
        click.echo(f"election {election_id} not changed: {reason}", err=True)


@elections_cli.command("warn")
@click.option("--now", "now_text", default=None,
              help="Act as if it were this time (ISO 8601; UTC when no offset is given).")
@click.option("--months", type=click.IntRange(min=1, max=36), default=EXPIRY_WARNING_MONTHS, show_default=True,
              help="Warn of mandates ending within this many months.")
@with_appcontext
def warn_command(now_text: str | None, months: int):
    """Warn the board secretaries of mandates ending soon (once per mandate)."""
    from governance.elections.operations import warn_expiring_mandates
    from governance.extensions import db

    with _request_context():
        warned = warn_expiring_mandates(now=parse_now(now_text), months=months)
    db.session.commit()
    click.echo(f"mandates warned of: {id_list(warned)}")
