"""The ``flask`` command groups of every feature package, and ``flask demo load``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from coursesite.accounts.cli import users_cli
from coursesite.billing.cli import billing_cli
from coursesite.catalog.cli import content_cli, print_report
from coursesite.catalog.content import import_content

demo_cli = AppGroup("demo", help="Demo content for a local installation.")


@demo_cli.command("load")
def load_demo() -> None:
    """Import every module under CONTENT_ROOT (idempotent: running it again updates, never duplicates)."""
    root = Path(current_app.config["CONTENT_ROOT"])
    report = import_content(root)
    print_report(report)
    if not report.ok:
        sys.exit(1)
    click.echo(f"demo content loaded from {root}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(content_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(billing_cli)
