"""``flask content validate|import|export``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from coursesite.catalog.content import export_content, import_content, validate_content
from coursesite.catalog.content.yamlfields import Report

content_cli = AppGroup("content", help="Check, import and export modules written as files (docs/content-format.md).")


def print_report(report: Report) -> None:
    for problem in report.notes:
        click.echo(f"note: {problem}")
    for problem in report.warnings:
        click.echo(f"warning: {problem}", err=True)
    for problem in report.errors:
        click.echo(f"error: {problem}", err=True)


def _finish(report: Report, success: str) -> None:
    print_report(report)
    if not report.ok:
        click.echo(f"{len(report.errors)} error(s); nothing was changed.", err=True)
        sys.exit(1)
    click.echo(success)


@content_cli.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
def validate_command(path: Path) -> None:
    """Check the module folder PATH (or every module folder inside PATH) without touching the database."""
    _finish(validate_content(path), f"{path}: valid")


@content_cli.command("import")
@click.argument("path", type=click.Path(path_type=Path))
def import_command(path: Path) -> None:
    """Import (create or update) the module folder PATH, or every module inside PATH, in one transaction."""
    _finish(import_content(path), f"{path}: imported")


@content_cli.command("export")
@click.argument("slug")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False))
def export_command(slug: str, path: Path) -> None:
    """Write module SLUG as files to PATH/SLUG (its speakers are merged into PATH/speakers.yaml)."""
    _finish(export_content(slug, path), f"exported to {path / slug}")
