"""The ballots section of the home page: the ballots open to the signed-in member, and whether they voted."""
from __future__ import annotations

from flask import Flask
from flask_login import current_user

from governance.core.dashboard import register_section
from governance.votes.queries import member_ballots


def open_ballots_section():
    if not current_user.is_authenticated or current_user.member is None:
        return None
    return {"ballots": member_ballots(current_user.member, closed_limit=0).open}


def register(app: Flask) -> None:
    register_section(app, "votes/_home.html", open_ballots_section, order=15)
