"""Organisation pages (/organizations/…): the list, the dashboard with its seat actions, and accepting an invitation.

An organisation is seen by its members and by site admins (read only); everyone else gets a 404, as for any object
that is not theirs. Only the organisation's admins invite, revoke and resend.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms import Field
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3, after the stubs

from coursesite.accounts.models import User
from coursesite.accounts.tokens import TokenError
from coursesite.models_base import MAX_ID, utcnow
from coursesite.organizations import lists, services
from coursesite.organizations.forms import AcceptForm, InviteForm, RenameForm, SeatActionForm, UploadForm
from coursesite.organizations.lists import Invitee, ListRefused
from coursesite.organizations.models import Organization, Seat, SeatLicence
from coursesite.organizations.progress import dashboard_progress
from coursesite.organizations.services import InviteOutcome, OrganizationAccess, SeatError
from coursesite.permissions import Right, has_right, login_required, public

bp = Blueprint("organizations", __name__, url_prefix="/organizations")
# Ids in URLs stop at MAX_ID (models_base): a larger number is a 404 like any unknown id.
ORGANIZATION = f"<int(max={MAX_ID}):organization_id>"
SEAT = f"<int(max={MAX_ID}):seat_id>"
MAX_NOTES_SHOWN = 10
LicenceForm = TypeVar("LicenceForm", InviteForm, UploadForm)


@bp.app_template_global()
def is_organization_member() -> bool:
    """For the account navigation ("My organisations"): does the logged-in user run or follow an organisation, or
    hold a seat (which ``/organizations`` lists with the organisation that gave it)?"""
    return current_user.is_authenticated and services.has_organization_page(current_user.id)


def organization_landing_page(user: User) -> str | None:
    """Where an organisation's administrators land after logging in: its dashboard, or the list when they run
    several."""
    managed = [membership.organization for membership in services.memberships_of(user) if membership.role == "admin"]
    if len(managed) == 1:
        return url_for("organizations.dashboard", organization_id=managed[0].id)
    return url_for("organizations.index") if managed else None


def _visible(organization_id: int) -> OrganizationAccess:
    access = services.organization_for(current_user, organization_id)
    if access is None:
        abort(404)
    return access


def _managed(organization_id: int) -> OrganizationAccess:
    access = _visible(organization_id)
    if not access.can_manage:
        abort(404)
    return access


def _with_licences(form: LicenceForm, licences: Sequence[SeatLicence]) -> LicenceForm:
    form.licence.choices = [
        SelectChoice(licence.id, f"{licence.module.title}, until {licence.valid_until.strftime('%-d %B %Y')}")
        for licence in licences
    ]
    return form


def _render_dashboard(access: OrganizationAccess, *, invite_form: InviteForm | None = None,
                      upload_form: UploadForm | None = None, rename_form: RenameForm | None = None,
                      status: int = 200) -> tuple[str, int]:
    organization = access.organization
    summaries = services.dashboard(organization)
    licences = [summary.licence for summary in summaries if summary.open] if access.can_manage else []
    return render_template(
        "organizations/dashboard.html", access=access, organization=organization,
        summaries=summaries, current_licences=licences, progress=dashboard_progress(summaries),
        invite_form=_with_licences(invite_form or InviteForm(formdata=None), licences),
        upload_form=_with_licences(upload_form or UploadForm(formdata=None), licences),
        rename_form=rename_form or RenameForm(formdata=None, name=organization.name),
        action_form=SeatActionForm(), link_expires=services.link_expires, now=utcnow(),
    ), status


@bp.get("")
@login_required
def index() -> ResponseReturnValue:
    everyone = services.all_organizations() if has_right(current_user, Right.MANAGE_ORGANIZATIONS) else []
    return render_template("organizations/index.html", memberships=services.memberships_of(current_user),
                           seats=services.seats_of(current_user), everyone=everyone)


@bp.get(f"/{ORGANIZATION}")
@login_required
def dashboard(organization_id: int) -> ResponseReturnValue:
    return _render_dashboard(_visible(organization_id))


def _report(outcome: InviteOutcome) -> None:
    count = len(outcome.invited)
    if count:
        flash(f"Invited {count} {'person' if count == 1 else 'people'}.", "success")
    elif not outcome.notes:
        flash("Nobody new to invite.", "info")
    # Flashed messages live in the session cookie: a few lines, then a count.
    for note in outcome.notes[:MAX_NOTES_SHOWN]:
        flash(note, "info")
    if len(outcome.notes) > MAX_NOTES_SHOWN:
        flash(f"… and {len(outcome.notes) - MAX_NOTES_SHOWN} more addresses already invited or listed twice.", "info")


def _invite_from(access: OrganizationAccess, form: InviteForm | UploadForm, field: Field,
                 read: Callable[[Any], list[Invitee]]) -> ResponseReturnValue | None:
    """Validate ``form``, read its list from ``field`` with ``read``, invite; None (the caller shows the dashboard
    again, with the errors on ``field``) otherwise."""
    if form.validate_on_submit():
        try:
            outcome = services.invite(access.organization, form.licence.data, read(field.data), current_user)
        except ListRefused as refused:
            field.errors = [*field.errors, *refused.messages]
        except SeatError as error:
            field.errors = [*field.errors, str(error)]
        else:
            _report(outcome)
            return redirect(url_for("organizations.dashboard", organization_id=access.organization.id))
    return None


@bp.post(f"/{ORGANIZATION}/invite")
@login_required
def invite(organization_id: int) -> ResponseReturnValue:
    access = _managed(organization_id)
    form = _with_licences(InviteForm(), services.current_licences(access.organization))
    done = _invite_from(access, form, form.addresses, lists.read_address_list)
    return done or _render_dashboard(access, invite_form=form, status=422)


@bp.post(f"/{ORGANIZATION}/upload")
@login_required
def upload(organization_id: int) -> ResponseReturnValue:
    access = _managed(organization_id)
    form = _with_licences(UploadForm(), services.current_licences(access.organization))
    done = _invite_from(access, form, form.file,
                        lambda file: lists.read_csv(file.stream.read(lists.MAX_BYTES + 1)))
    return done or _render_dashboard(access, upload_form=form, status=422)


@bp.post(f"/{ORGANIZATION}/name")
@login_required
def rename(organization_id: int) -> ResponseReturnValue:
    access = _managed(organization_id)
    form = RenameForm()
    if form.validate_on_submit():
        try:
            services.rename(access.organization, form.name.data or "", current_user)
        except SeatError as error:
            form.name.errors = [*form.name.errors, str(error)]
        else:
            flash("The organisation's name is saved.", "success")
            return redirect(url_for("organizations.dashboard", organization_id=organization_id))
    return _render_dashboard(access, rename_form=form, status=422)


def _managed_seat(organization_id: int, seat_id: int) -> tuple[OrganizationAccess, Seat]:
    access = _managed(organization_id)
    seat = services.seat_of(access.organization, seat_id)
    if seat is None:
        abort(404)
    return access, seat


def _seat_action(organization_id: int, seat_id: int, action: Callable[[Organization, Seat, User], None],
                 done: str) -> ResponseReturnValue:
    access, seat = _managed_seat(organization_id, seat_id)
    if not SeatActionForm().validate_on_submit():
        abort(400)
    try:
        action(access.organization, seat, current_user)
    except SeatError as error:
        flash(str(error), "error")
    else:
        flash(done.format(email=seat.email), "success")
    return redirect(url_for("organizations.dashboard", organization_id=organization_id))


@bp.route(f"/{ORGANIZATION}/seats/{SEAT}/revoke", methods=["GET", "POST"])
@login_required
def revoke(organization_id: int, seat_id: int) -> ResponseReturnValue:
    """GET: revoking's second step, with no JavaScript needed: who loses which seat, and a form that POSTs here.
    POST (from that form): revoke."""
    if request.method == "POST":
        return _seat_action(organization_id, seat_id, services.revoke,
                            "The seat of {email} is revoked; it is free again.")
    access, seat = _managed_seat(organization_id, seat_id)
    if seat.status == "revoked":
        flash(f"The seat of {seat.email} is already revoked.", "info")
        return redirect(url_for("organizations.dashboard", organization_id=organization_id))
    return render_template("organizations/revoke.html", organization=access.organization, seat=seat,
                           form=SeatActionForm())


@bp.post(f"/{ORGANIZATION}/seats/{SEAT}/resend")
@login_required
def resend(organization_id: int, seat_id: int) -> ResponseReturnValue:
    return _seat_action(organization_id, seat_id, services.resend, "The invitation to {email} was sent again.")


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public  # the token in the link decides; the page asks visitors to log in or register
def invitation(token: str) -> ResponseReturnValue:
    """GET: what the invitation offers; POST (logged in with the invited address): take the seat."""
    try:
        seat = services.seat_for_token(token)
    except TokenError as error:
        return render_template("organizations/invitation.html", seat=None, problem=str(error), form=None), 400
    form = AcceptForm()
    problem = ""
    if current_user.is_authenticated:
        problem = services.address_problem(seat, current_user)
        if request.method == "POST" and form.validate_on_submit():
            try:
                services.accept(token, current_user)
            except (SeatError, TokenError) as error:
                problem = str(error)
            else:
                flash(f"Welcome: you have access to {seat.licence.module.title} through "
                      f"{seat.licence.organization.name}.", "success")
                return redirect(url_for("catalog.module", slug=seat.licence.module.slug))
    elif request.method == "POST":
        return redirect(url_for("auth.login", next=request.path))
    status = 403 if problem and request.method == "POST" else 200
    return render_template("organizations/invitation.html", seat=seat, problem=problem, form=form), status
