"""``flask certificates verify-chain``: check the whole hash chain of issued certificates."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from coursesite.certificates.chain import verify_chain

certificates_cli = AppGroup("certificates", help="CE certificates.")


@certificates_cli.command("verify-chain")
def verify_chain_command() -> None:
    """Recompute every certificate's hash and its link to the one before; exit 1 (listing each broken record)
    if any was changed, removed or inserted out of turn after it was issued."""
    report = verify_chain()
    for problem in report.problems:
        click.echo(f"BROKEN {problem}", err=True)
    if not report.intact:
        click.echo(f"error: the certificate chain is broken ({len(report.problems)} problem(s) in "
                   f"{report.checked} certificate(s))", err=True)
        sys.exit(1)
    click.echo(f"ok: {report.checked} certificate(s), chain intact")
