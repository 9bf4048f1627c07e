"""The workgroups section of the home page: the signed-in member's workgroups and pending requests."""
from __future__ import annotations

from flask import Flask
from flask_login import current_user

from governance.core.dashboard import register_section
from governance.workgroups.queries import my_workgroups


def my_workgroups_section():
    if not current_user.is_authenticated or current_user.member is None:
        return None
    return {"workgroups": my_workgroups(current_user.member.id)}


def register(app: Flask) -> None:
    register_section(app, "workgroups/_home.html", my_workgroups_section, order=20)
