"""``flask billing grant|revoke|remind``."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from coursesite.billing import grants
from coursesite.billing.notices import send_renewal_reminders

billing_cli = AppGroup("billing", help="Staff access grants and renewal reminders.")


@billing_cli.command("grant")
@click.argument("email")
@click.argument("module")
@click.option("--days", type=click.IntRange(1, 3650), default=365, show_default=True, help="Days of access.")
def grant(email: str, module: str, days: int) -> None:
    """Give EMAIL DAYS of access to MODULE (a slug), extending any current access."""
    try:
        entitlement = grants.grant_access(email, module, days, actor=None)
    except grants.StaffActionRefused as refused:
        click.echo(f"error: {refused}", err=True)
        sys.exit(1)
    click.echo(f"{email} has access to {module} until {entitlement.valid_until:%Y-%m-%d %H:%M} UTC")


@billing_cli.command("revoke")
@click.argument("email")
@click.argument("module")
@click.option("--reason", default="", help="Why, for the audit log.")
def revoke(email: str, module: str, reason: str) -> None:
    """Take back EMAIL's current access to MODULE (a slug), however it was obtained."""
    try:
        revocation = grants.revoke_access(email, module, actor=None, reason=reason)
    except grants.StaffActionRefused as refused:
        click.echo(f"error: {refused}", err=True)
        sys.exit(1)
    click.echo(revocation.message)


@billing_cli.command("remind")
def remind() -> None:
    """Mail learners whose access ends within 30 or 7 days (each window once; run it daily)."""
    run = send_renewal_reminders()
    click.echo(f"renewal reminders: {run.sent} sent, {run.already_sent} already sent, {run.failed} failed")
    if run.failed:
        sys.exit(1)
