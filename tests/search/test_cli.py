"""``flask governance search reindex`` and ``flask governance search rebuild-schema``."""
from __future__ import annotations

from sqlalchemy import delete

from governance.search.models import SearchEntry


def test_reindex_restores_what_bulk_statements_removed(app, db, group, write, comment, find):
    proposal = write(group, state="discussion", titles={"en": "Share the vans"})
    comment(group, proposal, group.members[0], "Vans on Sunday")
    db.session.execute(delete(SearchEntry))
    db.session.commit()
    assert find("vans", group.members[0]) == []
    result = app.test_cli_runner().invoke(args=["governance", "search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "1 proposal entries, 1 comment entries" in result.output
    assert len(find("vans", group.members[0])) == 2


def test_rebuild_schema_keeps_search_working(app, db, group, write, find, dialect):
    write(group, state="discussion", titles={"en": "Share the réunion vans"})
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["governance", "search", "rebuild-schema"])
    assert result.exit_code == 0, result.output
    assert "search schema rebuilt (accents folded)" in result.output
    assert len(find("reunion", group.members[0])) == 1
