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
from coursesite.certificates.cli import certificates_cli
from coursesite.demo import load_demo_accounts
from coursesite.jobs.cli import jobs_cli
from coursesite.learning.cli import search_cli

demo_cli = AppGroup("demo", help="Demo content for a local installation.")


@demo_cli.command("load")
def load_demo() -> None:
    """Import every module under CONTENT_ROOT and create the demo accounts (idempotent: running it again updates,
    never duplicates). Refused in production, where the demo passwords would be a way in."""
    if current_app.config["ENV_NAME"] == "production":
        click.echo("error: demo accounts have published passwords; `flask demo load` does not run in production. "
                   "Use `flask content import` for content.", err=True)
        sys.exit(1)
    root = Path(current_app.config["CONTENT_ROOT"])
    report = import_content(root)
    print_report(report)
    if not report.ok:
        sys.exit(1)
    click.echo(f"demo content loaded from {root}")
    for line in load_demo_accounts():
        click.echo(line)


def register_commands(app: Flask) -> None:
    app.cli.add_command(content_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(billing_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(certificates_cli)
    app.cli.add_command(search_cli)
