"""Checkout, the Stripe webhook, the TEST MODE checkout page, "My learning", orders and receipts, staff access."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from coursesite.accounts.decorators import account_rate_limit_key
from coursesite.billing import services, staff
from coursesite.billing.forms import CheckoutForm, StaffGrantForm, StaffRevokeForm, TestCardForm
from coursesite.billing.fulfilment import FulfilmentError, Outcome, fulfil
from coursesite.billing.gateway import (
    CardDeclined, PaymentProviderError, completed_event, current_gateway, in_test_mode, sign,
    webhook_secret,
)
from coursesite.billing.notices import send_receipt
from coursesite.billing.services import CheckoutRefused
from coursesite.billing.webhooks import InvalidWebhook, receive
from coursesite.extensions import csrf, limiter

log = logging.getLogger(__name__)

bp = Blueprint("billing", __name__)

CHECKOUT_RATE_LIMIT = "10/minute"


@bp.app_template_global()
def module_price_tiers(module_id: int) -> list[dict]:
    """The pricing box's tiers for the catalogue's module page (which is cached, so plain data)."""
    return [services.tier_summary(tier) for tier in services.tiers_for(module_id)]


def _render_checkout(form: CheckoutForm, tier, message: str = "", status: int = 200,
                     refused: CheckoutRefused | None = None):
    return render_template("billing/checkout.html", form=form.prepare_for(tier), tier=tier, message=message,
                           rule=services.tier_rule(tier), refused=refused,
                           certificate_tier=services.certificate_tier(tier.module_id),
                           test_mode=in_test_mode(current_app)), status


@bp.route("/checkout/<slug>/<tier_code>", methods=["GET", "POST"])
# Each POST may open a Stripe Checkout Session: a person needs a few, a script could open thousands.
@limiter.limit(CHECKOUT_RATE_LIMIT, methods=["POST"], key_func=account_rate_limit_key)
@login_required
def checkout(slug: str, tier_code: str):
    tier = services.tier_on_sale(slug, tier_code)
    if tier is None:
        return render_template("billing/not_on_sale.html", module_slug=slug), 404
    if request.method == "GET":
        # The pricing box's Buy forms arrive here with their choices in the query string, for review.
        form = CheckoutForm(formdata=request.args)
        if form.quantity.data is None and not form.quantity.raw_data:
            form.quantity.data = tier.min_quantity
        return _render_checkout(form, tier)
    form = CheckoutForm()
    if not form.validate_for(tier):
        return _render_checkout(form, tier, "Please correct the highlighted fields.", 422)
    try:
        started = services.start_checkout(
            current_user, tier, form.choice(tier), current_gateway(),
            success_url=url_for("billing.checkout_success", _external=True) + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=url_for("billing.checkout_cancelled", module=slug, _external=True),
        )
    except CheckoutRefused as refused:
        if refused.field:
            getattr(form, refused.field).errors.append(refused.message)
        return _render_checkout(form, tier, refused.message, 422, refused)
    except PaymentProviderError as error:
        return _render_checkout(form, tier, f"{error} You have not been charged.", 503)
    return redirect(started.url, code=303)


def _after_fulfilment(outcome: Outcome) -> None:
    """Work that follows a payment once it is committed (and only for the one caller that fulfilled it)."""
    if outcome.newly_paid and outcome.order is not None:
        send_receipt(outcome.order)


MISMATCH_ALERTED = ("Your payment reached us, but it does not match this order, so access has not opened. We have "
                    "alerted our staff: they will check the payment and either open your access or refund you. "
                    "You do not need to pay again.")
MISMATCH_NOT_ALERTED = ("Your payment reached us, but it does not match this order, so access has not opened, and we "
                        "could not alert our staff automatically. Please contact us quoting order {reference}. You "
                        "do not need to pay again.")


@bp.get("/checkout/success")
@login_required
def checkout_success():
    session_id = request.args.get("session_id", "")
    order = services.order_for_session(current_user.id, session_id)
    if order is None:
        abort(404)
    problem = ""
    needs_review = False
    if order.status == "pending":  # once decided, the order says all there is: no need to ask Stripe again
        try:
            outcome = fulfil(session_id, current_gateway())
            _after_fulfilment(outcome)
        except PaymentProviderError:
            problem = "We could not confirm the payment with the payment service just now."
        except FulfilmentError as error:
            needs_review = True
            problem = MISMATCH_ALERTED if error.alerted else MISMATCH_NOT_ALERTED.format(reference=order.reference)
    order = services.order_of(current_user.id, order.reference)
    if order.status in ("failed", "expired"):
        return redirect(url_for("billing.checkout_failed", order=order.reference))
    return render_template("billing/success.html", order=order, problem=problem, needs_review=needs_review)


@bp.get("/checkout/cancel")
@login_required
def checkout_cancelled():
    return render_template("billing/cancelled.html", module_slug=request.args.get("module", ""))


@bp.get("/checkout/failed")
@login_required
def checkout_failed():
    order = services.order_of(current_user.id, request.args.get("order", ""))
    if order is None:
        abort(404)
    if order.status not in ("failed", "expired"):  # pending, or it took money: this page would say otherwise
        return redirect(url_for("billing.receipt", reference=order.reference))
    return render_template("billing/failed.html", order=order)


def deliver_webhook(payload: bytes, signature: str | None):
    """What ``POST /billing/stripe/webhook`` does with a body and its Stripe-Signature header."""
    secret = webhook_secret(current_app)
    if not secret:
        log.error("A Stripe webhook arrived but STRIPE_WEBHOOK_SECRET is not set")
        return jsonify(error="webhook secret not configured"), 503
    try:
        result, outcome = receive(payload, signature, secret, current_gateway())
    except InvalidWebhook as error:
        log.warning("Rejected a webhook: %s", error)
        return jsonify(error="invalid payload or signature"), 400
    except PaymentProviderError as error:
        return jsonify(error=str(error)), 503
    except FulfilmentError as error:
        if not error.alerted:
            return jsonify(error=str(error)), 500  # not on record yet: Stripe delivers again, and we try again
        # On record and the admins mailed: a person decides. Retrying cannot help, and endless failures would
        # make Stripe disable the endpoint.
        return jsonify(received=True, result="needs_review"), 200
    if outcome is not None:
        _after_fulfilment(outcome)
    return jsonify(received=True, result=result), 200


@bp.post("/billing/stripe/webhook")
@csrf.exempt  # Stripe cannot send a CSRF token; the Stripe-Signature over the raw body authenticates instead.
def stripe_webhook():
    return deliver_webhook(request.get_data(), request.headers.get("Stripe-Signature"))


@bp.route("/checkout/test/<session_id>", methods=["GET", "POST"])
@login_required
def test_checkout(session_id: str):
    """The TEST MODE checkout page: only without Stripe keys, never in production."""
    if not in_test_mode(current_app):
        abort(404)
    gateway = current_gateway()
    session = gateway.open_session(session_id)
    order = services.order_for_session(current_user.id, session_id)
    if session is None or order is None:
        abort(404)
    success_url = session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id)
    if session.status != "open":
        return redirect(success_url)
    form = TestCardForm()
    if form.validate_on_submit() and (not session.collect_billing_address or form.check_billing_address()):
        try:
            paid = gateway.pay(session.id, form.card_number.data, (form.billing_name.data or "").strip(),
                               form.address() if session.collect_billing_address else {})
        except CardDeclined as declined:
            form.card_number.errors.append(str(declined))
        else:
            payload = completed_event(paid)
            response, status = deliver_webhook(payload, sign(payload, webhook_secret(current_app)))
            if status != 200:
                log.error("Test-mode webhook answered %s: %s", status, response.get_data(as_text=True))
            return redirect(success_url)
    status = 422 if form.errors else 200
    return render_template("billing/test_checkout.html", form=form, session=session, order=order), status


@bp.get("/learning")
@login_required
def learning():
    return render_template("billing/learning.html", modules=services.learning_overview(current_user.id))


@bp.get("/billing/orders")
@login_required
def orders():
    return render_template("billing/orders.html", orders=services.orders_of(current_user.id),
                           labels=services.ORDER_STATUS_LABELS)


@bp.get("/billing/orders/<reference>")
@login_required
def receipt(reference: str):
    """A receipt once money was taken (paid, or refunded since); before that, or if it never was, the order's status."""
    order = services.order_of(current_user.id, reference)
    if order is None:
        abort(404)
    template = "billing/receipt.html" if order.status in services.RECEIPT_STATUSES else "billing/order_status.html"
    return render_template(template, order=order, labels=services.ORDER_STATUS_LABELS)


def _admin_only() -> None:
    """Others get a 404: the page's existence is nobody else's business."""
    if not current_user.has_role("admin"):
        abort(404)


@bp.route("/billing/staff/access", methods=["GET", "POST"])
@login_required
def staff_access():
    _admin_only()
    form = StaffGrantForm()
    form.module.choices = [SelectChoice(module.slug, module.title) for module in staff.modules_for_staff()]
    if form.validate_on_submit():
        try:
            staff.grant_access(form.email.data, form.module.data, form.days.data, current_user)
        except staff.StaffActionRefused as refused:
            form.email.errors.append(str(refused))
        else:
            flash(f"Granted {form.days.data} days of access to {form.email.data}.", "success")
            return redirect(url_for("billing.staff_access", email=form.email.data))
    email = request.args.get("email", "") or (form.email.data or "")
    learner = staff.learner_access(email) if email else None
    return render_template("billing/staff_access.html", form=form, learner=learner, email=email,
                           revoke_form=StaffRevokeForm()), 422 if form.errors else 200


@bp.post("/billing/staff/access/revoke")
@login_required
def staff_revoke():
    _admin_only()
    form = StaffRevokeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        revocation = staff.revoke_access(form.email.data, form.module.data, current_user)
    except staff.StaffActionRefused as refused:
        abort(400, str(refused))
    flash(revocation.message, "success")
    return redirect(url_for("billing.staff_access", email=form.email.data))
