"""``flask governance search …``: rebuild the search index."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("search")
def search_cli():
    """The search index of proposals and comments."""


@search_cli.command("reindex")
@with_appcontext
def reindex():
    """Rebuild every entry of the index from the proposals and comments."""
    from governance.extensions import db
    from governance.search.indexing import reindex_all

    counts = reindex_all()
    db.session.commit()
    click.echo(f"search index rebuilt: {counts['proposal']} proposal entries, {counts['comment']} comment entries")


@search_cli.command("rebuild-schema")
@click.option("--unaccent/--no-unaccent", default=None,
              help="PostgreSQL: require (or do without) the unaccent extension; by default it is used when "
                   "it is installed or can be created.")
@with_appcontext
def rebuild_schema(unaccent: bool | None):
    """Recreate the database-specific search structures (FTS5 table, or tsvector column and configurations),
    then reindex. For example after installing PostgreSQL's unaccent extension."""
    from governance.extensions import db
    from governance.search.indexing import reindex_all
    from governance.search.schema import create_search_schema, drop_search_schema, uses_unaccent

    connection = db.session.connection()
    drop_search_schema(connection)
    create_search_schema(connection, unaccent=unaccent)
    counts = reindex_all()
    folded = uses_unaccent(connection)
    db.session.commit()
    click.echo(f"search schema rebuilt ({'accents folded' if folded else 'accents NOT folded'}); "
               f"{counts['proposal']} proposal entries, {counts['comment']} comment entries")
