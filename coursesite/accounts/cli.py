"""``flask users create-admin EMAIL`` and ``flask users set-role EMAIL ROLE``."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from coursesite.accounts import roles
from coursesite.accounts.addresses import stored_form, user_by_email
from coursesite.accounts.errors import AccountError
from coursesite.permissions import ROLES

users_cli = AppGroup("users", help="Manage accounts and roles.")


def read_password_file(path: Path) -> str:
    """The file's first line: a trailing newline from ``echo`` or an editor is not part of the password."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[0] if lines else ""


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the password from the first line of this file instead of prompting for it.")
@click.option("--full-name", default="Administrator", show_default=True,
              help="The name shown on the account (and on certificates, should this account earn any).")
def create_admin(email: str, password_file: Path | None, full_name: str) -> None:
    """Create a confirmed admin account for EMAIL."""
    if password_file is not None:
        password = read_password_file(password_file)
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = roles.create_admin(email, password, full_name)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"admin account created for {user.email}")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def set_role(email: str, role: str) -> None:
    """Give the account EMAIL the role ROLE (the change is written to the audit log)."""
    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account has the address {stored_form(email)}")
    try:
        roles.set_role(user, role, actor=None)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{user.email} is now {role}")
