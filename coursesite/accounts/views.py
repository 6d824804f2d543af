"""Account pages: ``auth`` (/auth/…: register, confirm, login, logout, reset), ``account`` (/account/…: profile,
password, email, export, deletion). Routes parse, call a service, render. (The audit log's page is the staff package's.)
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm

from coursesite.accounts import (
    addresses,
    authentication,
    email_change,
    known_devices,
    passwords,
    personal_data,
    registration,
    sessions,
)
from coursesite.accounts.authentication import EmailNotConfirmed
from coursesite.accounts.devices import browser_label
from coursesite.accounts.errors import AccountError
from coursesite.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from coursesite.accounts.landing import landing_page
from coursesite.accounts.models import User
from coursesite.accounts.profile import update_profile
from coursesite.accounts.tokens import TokenError
from coursesite.extensions import account_rate_limit_key, limiter
from coursesite.ip_addresses import request_ip_address
from coursesite.permissions import login_required, public
from coursesite.redirects import safe_next_path

auth = Blueprint("auth", __name__, url_prefix="/auth")
account = Blueprint("account", __name__, url_prefix="/account")
# Where the login after confirming a new address leads (registration from an invitation's page).
NEXT_AFTER_CONFIRMING = "next_after_confirming"
account.add_app_template_filter(browser_label, "browser")


def submitted_email() -> str:
    """Rate-limit key for "per account" limits: the address typed into the form, as it would be looked up."""
    return addresses.rate_limit_key(request.form.get("email", ""))


def from_a_known_device() -> bool:
    """Has this browser logged in to the account typed into the form before (accounts/known_devices.py)?"""
    return known_devices.is_known_for(submitted_email())


def from_an_unknown_device() -> bool:
    return not from_a_known_device()


def device_key() -> str:
    return f"device:{known_devices.device_id()}"


# Guessing the password through a stolen session: the three re-authentication forms share one budget per account.
reauth_limit = limiter.shared_limit("5/minute;20/hour", scope="reauth", key_func=account_rate_limit_key,
                                   methods=["POST"])


auth.before_app_request(sessions.load_before_the_view)


def start_session(user: User, remember: bool) -> None:
    """A fresh session for a login: nothing from before it survives (session fixation, stale CSRF tokens), and a new
    server-side session row whose token Flask-Login keeps in the session (and the remember-me cookie)."""
    session.clear()
    authentication.start_login_session(user, remember, request.user_agent.string, request_ip_address())
    login_user(user, remember=remember)


def end_session() -> None:
    """Forget the session in this browser (the server-side row is ended by the service that calls for this)."""
    session.clear()
    logout_user()


def notice(title: str, message: str, status: int = 200) -> tuple[str, int]:
    return render_template("accounts/notice.html", title=title, message=message), status


# /auth ----------------------------------------------------------------------------------------------------------------

@auth.route("/register", methods=["GET", "POST"])
@public
@limiter.limit("10/hour", methods=["POST"])
def register() -> ResponseReturnValue:
    """``?next=`` (an invitation's page) is where the login after confirming leads; ``?email=`` fills in the address."""
    next_path = safe_next_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or landing_page(current_user))
    form = RegisterForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"]
    if form.validate_on_submit():
        try:
            registration.register(form.email.data or "", form.password.data or "", form.profile())
        except AccountError as error:
            form.form_errors.append(str(error))
        else:
            flash(f"We have sent a message to {addresses.stored_form(form.email.data or '')}. Follow the link in it to "
                  "confirm your address, then log in.", "success")
            if next_path:  # the confirmation link is most often opened in this browser: lead it back there
                session[NEXT_AFTER_CONFIRMING] = next_path
            return redirect(url_for("auth.login", next=next_path))
    return render_template("accounts/register.html", form=form, next_path=next_path)


@auth.get("/confirm/<token>")
@public
def confirm(token: str) -> ResponseReturnValue:
    try:
        registration.confirm_email(token)
    except TokenError as error:
        return notice("We could not confirm your address", str(error), 400)
    flash("Your email address is confirmed. You can now log in.", "success")
    return redirect(url_for("auth.login", next=safe_next_path(session.pop(NEXT_AFTER_CONFIRMING, None))))


@auth.route("/login", methods=["GET", "POST"])
@public
@limiter.limit("5/minute", methods=["POST"])
# Per account, but a browser that has logged in to it before skips this limit for a higher one of its own, so
# strangers guessing cannot lock the owner out (docs/accounts.md, "Security decisions").
@limiter.limit("5/minute", methods=["POST"], key_func=submitted_email, exempt_when=from_a_known_device)
@limiter.limit("20/minute", methods=["POST"], key_func=device_key, exempt_when=from_an_unknown_device)
def login() -> ResponseReturnValue:
    next_path = safe_next_path(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or landing_page(current_user))
    form = LoginForm(next=next_path)
    if form.validate_on_submit():
        try:
            user = authentication.authenticate(form.email.data or "", form.password.data or "")
        except EmailNotConfirmed as error:
            flash(str(error), "info")
        except AccountError as error:
            form.form_errors.append(str(error))
        else:
            start_session(user, remember=form.remember.data)
            response = redirect(safe_next_path(form.next.data) or landing_page(user))
            known_devices.remember(response, submitted_email())
            return response
    return render_template("accounts/login.html", form=form)


@auth.post("/logout")
@public  # a visitor logging out changes nothing
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        authentication.logout(current_user._get_current_object())
    end_session()
    flash("You are logged out.", "success")
    return redirect(url_for("catalog.home"))


@auth.route("/reset", methods=["GET", "POST"])
@public
@limiter.limit("3/hour", methods=["POST"], key_func=submitted_email)
@limiter.limit("10/hour", methods=["POST"])
def reset_request() -> ResponseReturnValue:
    form = ResetRequestForm()
    if form.validate_on_submit():
        passwords.start_password_reset(form.email.data or "")
        flash(f"If {addresses.stored_form(form.email.data or '')} has an account, we have sent it a link to choose "
              "a new password. The link works for one hour.", "success")
        return redirect(url_for("auth.login"))
    return render_template("accounts/reset_request.html", form=form)


@auth.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> ResponseReturnValue:
    try:
        passwords.user_for_reset(token)
    except TokenError as error:
        return notice("This reset link cannot be used", str(error), 400)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            passwords.reset_password(token, form.password.data or "")
        except AccountError as error:
            form.password.errors = [*form.password.errors, str(error)]
        else:
            flash("Your password has been changed. Log in with your new password.", "success")
            return redirect(url_for("auth.login"))
    return render_template("accounts/reset_password.html", form=form)


@auth.get("/email/<token>")
@public  # the token decides
def confirm_email_change(token: str) -> ResponseReturnValue:
    try:
        user = email_change.confirm_email_change(token)
    except TokenError as error:
        return notice("We could not change your email address", str(error), 400)
    flash(f"Your email address is now {user.email}.", "success")
    return redirect(url_for("account.profile" if current_user.is_authenticated else "auth.login"))


# /account -------------------------------------------------------------------------------------------------------------

@account.route("", methods=["GET", "POST"])
@login_required
def profile() -> ResponseReturnValue:
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            update_profile(current_user, form.profile())
        except AccountError as error:
            form.form_errors.append(str(error))
        else:
            flash("Your profile has been saved.", "success")
            return redirect(url_for("account.profile"))
    return render_template("accounts/profile.html", form=form, sessions=sessions.live_sessions(current_user),
                           is_current=lambda row: sessions.is_current(row, current_user), end_others=FlaskForm())


@account.post("/sessions/end-others")
@login_required
def end_other_sessions() -> ResponseReturnValue:
    if FlaskForm().validate_on_submit():
        ended = authentication.end_other_sessions(current_user._get_current_object())
        flash(f"Signed out of {ended} other session{'s' if ended != 1 else ''}." if ended else
              "There were no other sessions to sign out of.", "success")
    return redirect(url_for("account.profile"))


@account.route("/password", methods=["GET", "POST"])
@reauth_limit
@login_required
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            passwords.change_password(current_user, form.current_password.data or "", form.password.data or "")
        except AccountError as error:
            form.form_errors.append(str(error))
        else:
            # Keep the choice made at login (a leftover remember-me cookie of an ended session does not count).
            current = sessions.current_row(current_user)
            start_session(current_user._get_current_object(), remember=bool(current and current.remember))
            flash("Your password has been changed. You have been logged out everywhere else.", "success")
            return redirect(url_for("account.profile"))
    return render_template("accounts/change_password.html", form=form)


@account.route("/email", methods=["GET", "POST"])
@reauth_limit
@login_required
def change_email() -> ResponseReturnValue:
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            new_email = email_change.request_email_change(current_user, form.current_password.data or "",
                                                          form.email.data or "")
        except AccountError as error:
            form.form_errors.append(str(error))
        else:
            flash(f"We have sent a link to {new_email}. Your address changes when you follow it.", "success")
            return redirect(url_for("account.profile"))
    return render_template("accounts/change_email.html", form=form)


@account.get("/export")
@login_required
def export() -> Response:
    data = personal_data.export_account(current_user)
    return Response(json.dumps(data, indent=2, ensure_ascii=False), mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="coursesite-my-data.json"'})


@account.route("/delete", methods=["GET", "POST"])
@reauth_limit
@login_required
def delete() -> ResponseReturnValue:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            personal_data.delete_account(current_user, form.current_password.data or "")
        except AccountError as error:
            form.form_errors.append(str(error))
        else:
            end_session()
            flash("Your account has been deleted. Certificates you earned stay verifiable.", "success")
            return redirect(url_for("catalog.home"))
    return render_template("accounts/delete.html", form=form)

