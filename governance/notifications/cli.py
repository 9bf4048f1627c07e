"""``flask governance notifications …``: the email digest of unread notifications."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("notifications")
def notifications_cli():
    """In-app notifications and their email digest."""


@notifications_cli.command("digest")
@click.option("--period", type=click.Choice(["daily", "weekly"]), required=True,
              help="Whose digest to send: the accounts that chose this frequency.")
@with_appcontext
def digest_command(period: str):
    """Queue the digest emails of one period (run daily, and weekly on Mondays, e.g. from cron).

    Running it again the same day (the same week for weekly) sends nothing twice."""
    from governance.extensions import db
    from governance.notifications.digest import send_digests

    report = send_digests(period)
    db.session.commit()
    click.echo(f"{period} digest of {report.date.isoformat()}: {report.emails} emails queued for "
               f"{report.notifications} notifications; {report.already_sent} accounts had theirs already")
