"""``flask search reindex``: rebuild the full-text index from the content already in the database."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from coursesite.extensions import db
from coursesite.learning.search import reindex_all

search_cli = AppGroup("search", help="The site's full-text search index.")


@search_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the index of every module in one transaction. Imports keep the index up to date by themselves; this
    is for a database that held content before the search migration ran."""
    count = reindex_all()
    db.session.commit()
    click.echo(f"search index rebuilt for {count} module(s)")
