"""The published lists and exports of a closed ballot.

Two separate lists are published to the electorate (DESIGN §5): the **choices** of every ballot paper, without
receipts, in the box's order (random keys given when the box was rewritten at close), from which anyone can
recount; and the **receipt codes**, without choices, sorted, so each voter can check their paper was counted.
No list pairs a receipt with a choice. Results export as CSV and JSON, and ranked ballots as BLT (the format of
OpenSTV, Droop and the ERS) so anyone can recount with independent tools. A roll-call ballot also publishes who
voted what.

Options are named in files by their label in the ballot's original language (prefixed with their number when
two labels are the same or a label holds a character the formats reserve). Every function returns text; the
caller checks who may download it (``permissions.can_download_lists``) and that the ballot is closed.
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from governance.core.errors import Conflict
from governance.core.spreadsheets import FORMULA_START, csv_text
from governance.extensions import db
from governance.votes.models import Ballot, BoxEntry, OpenVote, Receipt, YnaChoice
from governance.votes.operations import parse_choice_key
from governance.votes.queries import roll_call

#: characters a name may not hold in a file: the approval separator, the ranking separator, line breaks
_RESERVED = ("|", ">", "\n", "\r")


def _require_published(ballot: Ballot) -> None:
    if not ballot.has_result:
        from flask_babel import lazy_gettext as _l

        raise Conflict(_l("The lists of a ballot are published when it closes (never for an annulled ballot)."))


def option_names(ballot: Ballot) -> dict[str, str]:
    """Option key (as stored in choice keys) → its name in files."""
    if ballot.is_yna:
        return {c.value: c.value for c in YnaChoice}
    labels = {str(o.id): " ".join((o.labels.get(ballot.original_language) or "").split()) for o in ballot.options}
    positions = {str(o.id): o.position for o in ballot.options}
    # labels that clash, hold a separator, or would start a spreadsheet formula are numbered instead ("2. =X"),
    # so that published files stay exact for a recount and harmless in a spreadsheet
    clash = len(set(labels.values())) != len(labels) or any(
        not label or any(c in label for c in _RESERVED) or label.startswith(FORMULA_START)
        for label in labels.values())
    if clash:
        return {key: f"{positions[key]}. {label.replace('|', '/').replace('>', '/')}".strip()
                for key, label in labels.items()}
    return labels


def _paper_keys(ballot: Ballot) -> list[str]:
    """The choice key of every paper, in the published order (the box's random keys, set at close)."""
    if ballot.is_secret:
        return list(db.session.execute(select(BoxEntry.choice_key).where(BoxEntry.ballot_id == ballot.id)
                                       .order_by(BoxEntry.id)).scalars())
    # a roll-call ballot's choices are public with their voters; this list is in the order of the choices
    return list(db.session.execute(select(OpenVote.choice_key).where(OpenVote.ballot_id == ballot.id)
                                   .order_by(OpenVote.choice_key)).scalars())


def _named(ballot: Ballot, key: str, names: dict[str, str]) -> list[str]:
    parsed = parse_choice_key(ballot, key)
    if isinstance(parsed, str):
        return [names[parsed]]
    return [names[option] for option in parsed]


def published_choices(ballot: Ballot) -> list[list[str]]:
    """Every ballot paper's choice as option names (one name; several for approval; in order for ranked)."""
    _require_published(ballot)
    names = option_names(ballot)
    return [_named(ballot, key, names) for key in _paper_keys(ballot)]


def receipt_codes(ballot: Ballot) -> list[str]:
    """The receipt codes handed to the voters of a secret ballot, sorted."""
    _require_published(ballot)
    return list(db.session.execute(select(Receipt.code).where(Receipt.ballot_id == ballot.id)
                                   .order_by(Receipt.code)).scalars())


def _csv(rows: list[list[Any]]) -> str:
    """CSV text; a cell a spreadsheet would read as a formula (a name typed as ``=HYPERLINK(…)``) is made text."""
    return csv_text(rows, lineterminator="\n")


def choices_csv(ballot: Ballot) -> str:
    """One row per ballot paper, column ``choice``: approvals joined by ``|``, rankings by ``>`` in order."""
    joiner = ">" if ballot.is_ranked else "|"
    return _csv([["choice"], *([joiner.join(choice)] for choice in published_choices(ballot))])


def choices_json(ballot: Ballot) -> str:
    return json.dumps({"ballot": ballot.id, "method": ballot.method, "seats": ballot.seats,
                       "options": list(option_names(ballot).values()),
                       "choices": published_choices(ballot)}, ensure_ascii=False, indent=1)


def receipts_text(ballot: Ballot) -> str:
    """The receipt codes, one per line, sorted."""
    codes = receipt_codes(ballot)
    return "\n".join(codes) + ("\n" if codes else "")


def receipts_csv(ballot: Ballot) -> str:
    return _csv([["receipt"], *([code] for code in receipt_codes(ballot))])


def ballots_blt(ballot: Ballot) -> str:
    """The ranked papers as a BLT file (aggregated: identical rankings are added up)."""
    from governance.votes.methods.files import write_blt

    _require_published(ballot)
    if not ballot.is_ranked:
        raise Conflict()
    names = option_names(ballot)
    counts: dict[str, int] = {}
    for key in _paper_keys(ballot):
        counts[key] = counts.get(key, 0) + 1
    rankings = [(tuple(names[o] for o in parse_choice_key(ballot, key)), n) for key, n in sorted(counts.items())]
    title = " ".join((ballot.questions.get(ballot.original_language) or "").split())
    return write_blt(rankings, [names[str(o.id)] for o in ballot.options], ballot.seats or 1, title=title)


def result_data(ballot: Ballot) -> dict[str, Any]:
    """The stored result with the ballot's definition, for the JSON export."""
    _require_published(ballot)
    return {
        "ballot": ballot.id,
        "question": dict(ballot.questions),
        "original_language": ballot.original_language,
        "method": ballot.method,
        "seats": ballot.seats,
        "max_choices": ballot.max_choices,
        "secret": ballot.is_secret,
        "quorum": ballot.quorum,
        "majority": ballot.majority,
        "opened": ballot.opened_dt.isoformat() if ballot.opened_dt else None,
        "closed": ballot.closed_dt.isoformat() if ballot.closed_dt else None,
        "option_names": option_names(ballot),
        "result": ballot.result,
    }


def results_json(ballot: Ballot) -> str:
    return json.dumps(result_data(ballot), ensure_ascii=False, indent=1, sort_keys=True, default=str)


def results_csv(ballot: Ballot) -> str:
    """``item,value`` rows: turnout, then the count per option, then the quorum and (yes/no/abstain) the
    decision."""
    _require_published(ballot)
    result = ballot.result or {}
    names = option_names(ballot)
    rows: list[list[Any]] = [["item", "value"], ["ballot", ballot.id], ["method", ballot.method],
                             ["roll_size", result.get("roll_size")], ["participations", result.get("participations")]]
    totals = _first_totals(ballot, result)
    for key, name in names.items():
        rows.append([f"option:{name}", totals.get(key, 0)])
    count = result.get("count") or {}
    for field in ("elected", "winner"):
        if count.get(field):
            value = count[field]
            value = [names.get(v, v) for v in value] if isinstance(value, list) else names.get(value, value)
            rows.append([field, "|".join(value) if isinstance(value, list) else value])
    quorum = result.get("quorum") or {}
    rows += [["quorum", quorum.get("quorum")], ["quorum_threshold", quorum.get("threshold")],
             ["quorum_met", quorum.get("met")]]
    if "decision" in result:
        rows += [["majority", result["decision"].get("rule")], ["majority_met", result["decision"].get("majority_met")],
                 ["adopted", result.get("adopted")]]
    rows += [["lot_seed", ballot.lot_seed], ["participation_hash", (result.get("hashes") or {}).get("participations")],
             ["ballot_list_hash", (result.get("hashes") or {}).get("ballots")],
             ["roll_hash", ballot.roll_hash]]
    return _csv(rows)


def _first_totals(ballot: Ballot, result: dict[str, Any]) -> dict[str, int]:
    """Votes per option (first preferences for ranked ballots, approvals for approval) from the stored choices."""
    totals: dict[str, int] = {}
    for row in result.get("choices") or ():
        parsed = parse_choice_key(ballot, row["choice"])
        options = [parsed] if isinstance(parsed, str) else (list(parsed[:1]) if ballot.is_ranked else list(parsed))
        for option in options:
            totals[option] = totals.get(option, 0) + row["count"]
    return totals


def roll_call_csv(ballot: Ballot) -> str:
    """Who voted what in a roll-call ballot: member number, name, choice."""
    _require_published(ballot)
    if ballot.is_secret:
        raise Conflict()
    names = option_names(ballot)
    joiner = ">" if ballot.is_ranked else "|"
    rows: list[list[Any]] = [["member_number", "name", "choice"]]
    for member, vote in roll_call(ballot):
        rows.append([member.number, member.full_name, joiner.join(_named(ballot, vote.choice_key, names))])
    return _csv(rows)
