"""``flask governance members invite …``: invite members to create their account (attached to the members group
in ``governance/cli.py``)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from governance.members.models import MemberStatus

_STATUSES = [s.value for s in MemberStatus]


@click.command("invite")
@click.option("--branch", "branches", metavar="CODE", multiple=True,
              help="Members of this branch (repeatable).")
@click.option("--status", "statuses", type=click.Choice(_STATUSES), multiple=True,
              help="Only members with this status (repeatable). Default: active and applicant, the statuses that "
                   "can have an account; members named with --member are taken whatever their status.")
@click.option("--member", "numbers", metavar="NUMBER", multiple=True, help="This member (repeatable).")
@click.option("--all-without-account", is_flag=True, help="Every member who has no account yet.")
@click.option("--resend", is_flag=True,
              help="Also invite members whose earlier invitation still works (it is replaced).")
@click.option("--dry-run", is_flag=True, help="Count and list whom the invitation would reach; write nothing.")
@click.option("--actor", metavar="EMAIL", default=None, help="The account recorded as inviting (default: the system).")
@with_appcontext
def invite_command(branches, statuses, numbers, all_without_account: bool, resend: bool, dry_run: bool,
                   actor: str | None):
    """Invite members to create their account: each gets an email, in their language, at the register's
    address, with a link that works once for 14 days. Each option narrows the selection."""
    from sqlalchemy import select

    from governance.accounts import queries
    from governance.accounts.operations import find_account_by_email, invite_members
    from governance.core.errors import DomainError
    from governance.extensions import db
    from governance.members.models import Branch, Member

    if not (branches or numbers or all_without_account):
        raise click.UsageError("choose whom to invite: --branch, --member or --all-without-account")
    account = None
    if actor:
        account = find_account_by_email(actor)
        if account is None:
            raise click.BadParameter(f"no account with the email address {actor}", param_hint="--actor")
    branch_ids = None
    if branches:
        codes = sorted({code.strip().upper() for code in branches})
        found = dict(db.session.execute(select(Branch.code, Branch.id).where(Branch.code.in_(codes))).all())
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise click.BadParameter(f"no branch {', '.join(unknown)}", param_hint="--branch")
        branch_ids = list(found.values())
    numbers = sorted({n.strip() for n in numbers})
    if numbers:
        known = set(db.session.execute(select(Member.number).where(Member.number.in_(numbers))).scalars())
        unknown = [n for n in numbers if n not in known]
        if unknown:
            raise click.BadParameter(f"no member {', '.join(unknown)}", param_hint="--member")
    if not statuses and not numbers:
        statuses = (MemberStatus.active.value, MemberStatus.applicant.value)
    conditions = queries.invitation_conditions(branch_ids=branch_ids, statuses=statuses, numbers=numbers,
                                               without_account=all_without_account)
    members = queries.invitation_members(conditions)
    try:
        report = invite_members(members, actor=account, skip_pending=not resend, dry_run=dry_run)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    _print_report(report, selected=len(members))


def _print_report(report, *, selected: int) -> None:
    from governance.accounts.operations import Refusal

    echo = click.echo
    if report.dry_run:
        for member, reason in report.refused:
            echo(f"not invited  {member.number}  {member.full_name}: {reason.label}")
    counts = report.counts()
    echo(f"selected {selected}")
    echo(f"{'would invite' if report.dry_run else 'invited'} {counts['invited']}")
    for reason in Refusal:
        if counts[reason.value]:
            echo(f"not invited, {reason.label}: {counts[reason.value]}")
    if report.dry_run:
        echo("dry run, nothing written")
