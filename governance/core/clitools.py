"""Small helpers shared by the features' command-line groups."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import click


def parse_now(value: str | None) -> dt.datetime | None:
    """The ``--now`` option of the schedulers: an ISO date and time (UTC when it has no offset), or None."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date and time", param_hint="--now") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.timezone.utc)


def id_list(values: Iterable) -> str:
    """Ids for a report line: "3, 7, 12", or "none"."""
    return ", ".join(str(v) for v in values) or "none"
