"""Account pages: ``auth`` (/auth/…: register, confirm, login, logout, reset), ``account`` (/account/…: profile,
password, email, export, deletion) and ``audit`` (/staff/audit, admins only). Routes parse, call a service, render.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm

from coursesite.accounts import personal_data, services, sessions
from coursesite.accounts.audit import AUDIT_MAX_PAGE, AuditFilters, audit_actions, audit_events
from coursesite.accounts.decorators import account_rate_limit_key, role_required
from coursesite.accounts.forms import (
    AuditFilterForm, ChangeEmailForm, ChangePasswordForm, DeleteAccountForm, LoginForm, ProfileForm, RegisterForm,
    ResetPasswordForm, ResetRequestForm,
)
from coursesite.accounts.models import User
from coursesite.accounts.services import AccountError, EmailNotConfirmed, normalise_email
from coursesite.accounts.tokens import TokenError
from coursesite.extensions import limiter
from coursesite.redirects import safe_next_path

auth = Blueprint("auth", __name__, url_prefix="/auth")
account = Blueprint("account", __name__, url_prefix="/account")
audit = Blueprint("audit", __name__, url_prefix="/staff/audit")


def submitted_email() -> str:
    """Rate-limit key for "per account" limits: the address typed into the form, as it would be looked up."""
    return services.rate_limit_key(request.form.get("email", ""))


# Guessing the password through a stolen session: the three re-authentication forms share one budget per account.
reauth_limit = limiter.shared_limit("5/minute;20/hour", scope="reauth", key_func=account_rate_limit_key, methods=["POST"])


auth.before_app_request(sessions.load_before_the_view)


@auth.after_request
@account.after_request
@audit.after_request
def never_cache(response: Response) -> Response:
    """These pages carry personal data or one-time tokens: no cache (shared or private) may keep them."""
    response.headers["Cache-Control"] = "no-store"
    return response


def start_session(user: User, remember: bool) -> None:
    """A fresh session for a login: nothing from before it survives (session fixation, stale CSRF tokens), and a new
    server-side session row whose token Flask-Login keeps in the session (and the remember-me cookie)."""
    session.clear()
    services.start_login_session(user, remember, request.user_agent.string, request.remote_addr)
    login_user(user, remember=remember)


def end_session() -> None:
    """Forget the session in this browser (the server-side row is ended by the service that calls for this)."""
    session.clear()
    logout_user()


def notice(title: str, message: str, status: int = 200):
    return render_template("accounts/notice.html", title=title, message=message), status


# /auth ----------------------------------------------------------------------------------------------------------------

@auth.route("/register", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("account.profile"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            services.register(form.email.data, form.password.data, form.profile())
        except AccountError as error:
            form.form_errors.append(str(error))
        else:
            flash(f"We have sent a message to {normalise_email(form.email.data)}. Follow the link in it to "
                  "confirm your address, then log in.", "success")
            return redirect(url_for("auth.login"))
    return render_template("accounts/register.html", form=form)


@auth.get("/confirm/<token>")
def confirm(token: str):
    try:
        services.confirm_email(token)
    except TokenError as error:
        return notice("We could not confirm your address", str(error), 400)
    flash("Your email address is confirmed. You can now log in.", "success")
    return redirect(url_for("auth.login"))


@auth.route("/login", methods=["GET", "POST"])
@limiter.limit("5/minute", methods=["POST"])
@limiter.limit("5/minute", methods=["POST"], key_func=submitted_email)
def login():
    next_path = safe_next_path(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or url_for("account.profile"))
    form = LoginForm(next=next_path)
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except EmailNotConfirmed as error:
            flash(str(error), "info")
        except AccountError as error:
            form.form_errors.append(str(error))
        else:
            start_session(user, remember=form.remember.data)
            return redirect(safe_next_path(form.next.data) or url_for("account.profile"))
    return render_template("accounts/login.html", form=form)


@auth.post("/logout")
def logout():
    if current_user.is_authenticated:
        services.logout(current_user._get_current_object())
    end_session()
    flash("You are logged out.", "success")
    return redirect(url_for("catalog.home"))


@auth.route("/reset", methods=["GET", "POST"])
@limiter.limit("3/hour", methods=["POST"], key_func=submitted_email)
@limiter.limit("10/hour", methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.start_password_reset(form.email.data)
        flash(f"If {normalise_email(form.email.data)} has an account, we have sent it a link to choose a new "
              "password. The link works for one hour.", "success")
        return redirect(url_for("auth.login"))
    return render_template("accounts/reset_request.html", form=form)


@auth.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        services.user_for_reset(token)
    except TokenError as error:
        return notice("This reset link cannot be used", str(error), 400)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except AccountError as error:
            form.password.errors.append(str(error))
        else:
            flash("Your password has been changed. Log in with your new password.", "success")
            return redirect(url_for("auth.login"))
    return render_template("accounts/reset_password.html", form=form)


@auth.get("/email/<token>")
def confirm_email_change(token: str):
    try:
        user = services.confirm_email_change(token)
    except TokenError as error:
        return notice("We could not change your email address", str(error), 400)
    flash(f"Your email address is now {user.email}.", "success")
    return redirect(url_for("account.profile" if current_user.is_authenticated else "auth.login"))


# /account -------------------------------------------------------------------------------------------------------------

@account.route("", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, form.profile())
        except AccountError as error:
            form.form_errors.append(str(error))
        else:
            flash("Your profile has been saved.", "success")
            return redirect(url_for("account.profile"))
    return render_template("accounts/profile.html", form=form, sessions=sessions.live_sessions(current_user),
                           is_current=lambda row: sessions.is_current(row, current_user), end_others=FlaskForm())


@account.post("/sessions/end-others")
@login_required
def end_other_sessions():
    if FlaskForm().validate_on_submit():
        ended = services.end_other_sessions(current_user._get_current_object())
        flash(f"Signed out of {ended} other session{'s' if ended != 1 else ''}." if ended else
              "There were no other sessions to sign out of.", "success")
    return redirect(url_for("account.profile"))


@account.route("/password", methods=["GET", "POST"])
@reauth_limit
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
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
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            new_email = services.request_email_change(current_user, form.current_password.data, form.email.data)
        except AccountError as error:
            form.form_errors.append(str(error))
        else:
            flash(f"We have sent a link to {new_email}. Your address changes when you follow it.", "success")
            return redirect(url_for("account.profile"))
    return render_template("accounts/change_email.html", form=form)


@account.get("/export")
@login_required
def export():
    data = personal_data.export_account(current_user)
    return Response(json.dumps(data, indent=2, ensure_ascii=False), mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="coursesite-my-data.json"'})


@account.route("/delete", methods=["GET", "POST"])
@reauth_limit
@login_required
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            personal_data.delete_account(current_user, form.current_password.data)
        except AccountError as error:
            form.form_errors.append(str(error))
        else:
            end_session()
            flash("Your account has been deleted. Certificates you earned stay verifiable.", "success")
            return redirect(url_for("catalog.home"))
    return render_template("accounts/delete.html", form=form)


# /staff/audit ---------------------------------------------------------------------------------------------------------

@audit.get("")
@role_required("admin")
def audit_log():
    form = AuditFilterForm(request.args)
    form.action.choices = [("", "Any action")] + [(action, action) for action in audit_actions()]
    filters = AuditFilters()
    if form.validate():
        target = (form.target.data or "").strip()
        filters = AuditFilters(form.action.data or "", form.actor.data or "", form.date_from.data, form.date_to.data,
                               services.stored_form(target) if "@" in target else target)
    requested = request.args.get("page", 1, type=int)
    page = min(max(requested, 1), AUDIT_MAX_PAGE)
    events = audit_events(filters, page=page)
    page_note = ""
    if requested != page or (page > 1 and page > events.pages):
        page_note = (f"There is no page {request.args.get('page', '')[:40]}: the log, as filtered, has "
                     f"{events.pages} page{'s' if events.pages != 1 else ''}.")
    query = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template("accounts/audit.html", form=form, events=events, query=query, page_note=page_note)
