"""The notifications section of the home page: the signed-in reader's latest unread notifications."""
from __future__ import annotations

from flask import Flask
from flask_login import current_user

from governance.core.dashboard import register_section
from governance.notifications import queries
from governance.notifications.views import rendered


def latest_unread_section():
    if not current_user.is_authenticated:
        return None
    return {"notifications": rendered(queries.latest_unread(current_user.id))}


def register(app: Flask) -> None:
    register_section(app, "notifications/_home.html", latest_unread_section, order=15)
