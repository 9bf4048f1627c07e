"""The register's sections of the home page: the signed-in member's membership, and the branches."""
from __future__ import annotations

from flask import Flask
from flask_login import current_user
from sqlalchemy import func, select

from governance.core.dashboard import register_section
from governance.extensions import db
from governance.members.models import Branch, Member, MemberStatus


def my_membership():
    if not current_user.is_authenticated:
        return None
    return {"member": current_user.member}


def branches_overview():
    rows = db.session.execute(
        select(Branch, func.count(Member.id))
        .outerjoin(Member, (Member.branch_id == Branch.id) & (Member.status == MemberStatus.active.value))
        .group_by(Branch.id)
    ).all()
    return {"branches": sorted(((branch, active) for branch, active in rows), key=lambda row: row[0].name)}


def register(app: Flask) -> None:
    register_section(app, "members/_home_membership.html", my_membership, order=10)
    register_section(app, "members/_home_branches.html", branches_overview, order=90)
