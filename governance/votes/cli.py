"""``flask governance votes …``: counting ballot files with the portal's own counting code.

``votes count FILE --method …`` needs no database: it reads a BLT file (ranked methods) or a CSV file (the
others, format in :mod:`governance.votes.methods.files`) and prints the result as JSON, so anyone can recount a
published ballot list. Other ``votes`` commands are added to :data:`votes_cli`.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from governance.core.clitools import id_list, parse_now
from governance.votes.methods import METHODS, CountError, LotRequired, count_ballot
from governance.votes.methods.files import read_blt, read_choices_csv
from governance.votes.methods.yna import OPTIONS as YNA_OPTIONS


@click.group("votes")
def votes_cli():
    """Ballots: counting and recounting."""


@votes_cli.command("count")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--method", "method", required=True, type=click.Choice(list(METHODS)),
              help="Counting method (ranked methods read a BLT file, the others a CSV file).")
@click.option("--seats", type=click.IntRange(min=1), default=None,
              help="Seats to fill (STV: default from the BLT file; plurality, approval: default 1).")
@click.option("--max-choices", type=click.IntRange(min=1), default=None,
              help="Approval: the most options one ballot may choose (a ballot with more is refused).")
@click.option("--seed", default=None, help="The ballot's published seed, used only if a tie needs a lot.")
def count_command(file: Path, method: str, seats: int | None, max_choices: int | None, seed: str | None):
    """Count the ballot file FILE and print the result as JSON."""
    spec = METHODS[method]
    data = file.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.BadParameter(f"{file.name} is not a UTF-8 text file", param_hint="FILE") from None
    if max_choices is not None and method != "approval":
        raise click.UsageError("--max-choices applies only to --method approval")
    if seats is not None and method == "yna":
        raise click.UsageError("--seats does not apply to --method yna")
    if seats is not None and seats != 1 and not spec.multi_seat:
        raise click.UsageError(f"--method {method} fills one seat; use --method stv for several seats")
    try:
        if spec.ranked:
            election = read_blt(text)
            rankings, candidates = election.for_count()
            if method == "stv":
                seats = seats or election.seats
            elif method == "irv" and election.seats != 1 and seats is None:
                raise click.UsageError(f"{file.name} is for {election.seats} seats and IRV fills one: "
                                       f"use --method stv, or --seats 1 to count it for one seat anyway")
            result = count_ballot(method, rankings=rankings, candidates=candidates, seats=seats or 1, seed=seed)
            source = {"title": election.title, "ballots": election.ballots, "withdrawn": list(election.withdrawn)}
        else:
            single = 1 if method in ("yna", "plurality") else max_choices
            ballots = read_choices_csv(text, max_choices=single,
                                       options=YNA_OPTIONS if method == "yna" else None)
            result = count_ballot(method, counts=ballots.option_counts(), options=ballots.options,
                                  seats=seats or 1, ballots=ballots.ballots - ballots.blank,
                                  max_choices=max_choices, seed=seed)
            source = {"ballots": ballots.ballots, "blank": ballots.blank}
    except LotRequired as exc:
        raise click.UsageError(f"{exc}: pass the ballot's seed with --seed") from None
    except CountError as exc:
        raise click.BadParameter(f"{file.name}: {exc}", param_hint="FILE") from None
    output = {"source": {"file": file.name, "sha256": hashlib.sha256(data).hexdigest(), **source},
              **result.to_dict()}
    click.echo(json.dumps(output, indent=2, ensure_ascii=False))


# --- the scheduler and recounts (these need the database) -------------------------------------------


@votes_cli.command("tick")
@click.option("--now", "now_text", default=None,
              help="Act as if it were this time (ISO 8601; UTC when no offset is given). For tests and catching up.")
@with_appcontext
def tick_command(now_text: str | None):
    """Open the scheduled ballots that are due, close and count those due to close, send due reminders.

    Run it every minute (cron, a systemd timer). A ballot that cannot open (say, a missing translation) is
    reported on stderr and tried again at the next run; the others go ahead."""
    from governance.extensions import db
    from governance.votes.operations import tick

    report = tick(parse_now(now_text))
    db.session.commit()
    click.echo(f"opened: {id_list(report.opened)}; closed: {id_list(report.closed)}; reminded: {id_list(report.reminded)}")
    for ballot_id, reason in report.failed:
        click.echo(f"ballot {ballot_id} not changed: {reason}", err=True)


def recount_ballot_file(ballot, text: str) -> dict:
    """Recount a published ballot list of ``ballot`` (BLT for ranked ballots, the choices CSV otherwise) with
    the portal's counting code, and compare it with the stored result. Raises CountError for an unreadable file
    or one that names options the ballot does not have."""
    from governance.votes import roll
    from governance.votes.exports import option_names
    from governance.votes.methods.decision import decide
    from governance.votes.operations import count_method

    names = option_names(ballot)
    by_name = {name: key for key, name in names.items()}
    counts: dict[str, int] = {}
    if ballot.is_ranked:
        election = read_blt(text)
        unknown = set(election.candidates) - set(by_name)
        if unknown:
            raise CountError(f"candidates not on the ballot: {', '.join(sorted(unknown))}")
        rankings, _candidates = election.for_count()
        for ranking, number in rankings:
            key = ">".join(by_name[name] for name in ranking)
            counts[key] = counts.get(key, 0) + number
    else:
        single = None if ballot.method == "approval" else 1
        ballots = read_choices_csv(text, max_choices=single or ballot.max_choices, options=list(names.values()))
        for choice, number in ballots.choices:
            keys = [by_name[name] for name in choice]
            key = ",".join(sorted(keys, key=int)) if ballot.method == "approval" else (keys[0] if keys else "")
            counts[key] = counts.get(key, 0) + number
    stored = ballot.result or {}
    recount = json.loads(json.dumps(count_method(ballot, counts, seed=ballot.lot_seed).to_dict(), default=str))
    choices = [{"choice": key, "count": counts[key]} for key in sorted(counts)]
    papers = sorted(key for key, number in counts.items() for _ in range(number))
    checks = {
        "count": recount == stored.get("count"),
        "choices": choices == stored.get("choices"),
        "ballot_list_hash": roll.list_hash(papers) == (stored.get("hashes") or {}).get("ballots"),
    }
    output = {"ballot": ballot.id, "method": ballot.method, "ballots": len(papers), "recount": recount}
    if ballot.is_yna:
        yes, no, abstain = (counts.get(k, 0) for k in ("yes", "no", "abstain"))
        decision = decide(ballot.majority, ballot.quorum, yes=yes, no=no, abstain=abstain,
                          base=int(stored.get("roll_size") or 0),
                          participations=max(int(stored.get("participations") or 0), yes + no + abstain)).to_dict()
        checks["decision"] = decision == stored.get("decision")
        output["decision"] = decision
    output["checks"] = checks
    output["differences"] = sorted(name for name, same in checks.items() if not same)
    output["matches"] = not output["differences"]
    return output


@votes_cli.command("recount")
@click.argument("ballot_id", metavar="BALLOT", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def recount_command(ballot_id: int, file: Path):
    """Recount the published ballot list FILE of ballot BALLOT and compare it with the stored result.

    FILE is the ballot list as the result page publishes it: BLT for a ranked ballot, CSV otherwise. Prints the
    comparison as JSON; exits with status 1 when the recount differs from the stored result."""
    import sys

    from governance.extensions import db
    from governance.votes.models import Ballot

    ballot = db.session.get(Ballot, ballot_id)
    if ballot is None:
        raise click.BadParameter(f"there is no ballot {ballot_id}", param_hint="BALLOT")
    if not ballot.has_result:
        raise click.UsageError(f"ballot {ballot_id} has no published result (it is {ballot.state})")
    data = file.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.BadParameter(f"{file.name} is not a UTF-8 text file", param_hint="FILE") from None
    try:
        output = recount_ballot_file(ballot, text)
    except CountError as exc:
        raise click.BadParameter(f"{file.name}: {exc}", param_hint="FILE") from None
    output = {"source": {"file": file.name, "sha256": hashlib.sha256(data).hexdigest()}, **output}
    click.echo(json.dumps(output, indent=2, ensure_ascii=False))
    if not output["matches"]:
        click.echo(f"the recount of ballot {ballot_id} differs from its stored result: "
                   f"{', '.join(output['differences'])}", err=True)
        sys.exit(1)
