"""Checkout, the Stripe webhook, the TEST MODE checkout page, orders and receipts."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from coursesite.billing import services, test_mode, webhooks
from coursesite.billing.forms import CheckoutForm, TestCardForm
from coursesite.billing.fulfilment import FulfilmentError, fulfil
from coursesite.billing.gateway import current_gateway, in_test_mode, webhook_secret
from coursesite.billing.gateway.types import CardDeclined, PaymentProviderError
from coursesite.billing.models import PriceTier
from coursesite.billing.services import CheckoutRefused
from coursesite.extensions import account_rate_limit_key, csrf, limiter
from coursesite.permissions import login_required, public

bp = Blueprint("billing", __name__)

CHECKOUT_RATE_LIMIT = "10/minute"


def _render_checkout(form: CheckoutForm, tier: PriceTier, message: str = "", status: int = 200,
                     refused: CheckoutRefused | None = None) -> tuple[str, int]:
    return render_template("billing/checkout.html", form=form.prepare_for(tier), tier=tier, message=message,
                           rule=services.tier_rule(tier), refused=refused,
                           certificate_tier=services.certificate_tier(tier.module_id),
                           test_mode=in_test_mode(current_app)), status


@bp.route("/checkout/<slug>/<tier_code>", methods=["GET", "POST"])
# Each POST may open a Stripe Checkout Session: a person needs a few, a script could open thousands.
@limiter.limit(CHECKOUT_RATE_LIMIT, methods=["POST"], key_func=account_rate_limit_key)
@login_required
def checkout(slug: str, tier_code: str) -> ResponseReturnValue:
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


MISMATCH_ALERTED = ("Your payment reached us, but it does not match this order, so access has not opened. We have "
                    "alerted our staff: they will check the payment and either open your access or refund you. "
                    "You do not need to pay again.")
MISMATCH_NOT_ALERTED = ("Your payment reached us, but it does not match this order, so access has not opened, and we "
                        "could not alert our staff automatically. Please contact us quoting order {reference}. You "
                        "do not need to pay again.")


@bp.get("/checkout/success")
@login_required
def checkout_success() -> ResponseReturnValue:
    session_id = request.args.get("session_id", "")
    order = services.order_for_session(current_user.id, session_id)
    if order is None:
        abort(404)
    problem = ""
    needs_review = False
    if order.status == "pending":  # once decided, the order says all there is: no need to ask Stripe again
        try:
            fulfil(session_id, current_gateway())
        except PaymentProviderError:
            problem = "We could not confirm the payment with the payment service just now."
        except FulfilmentError as error:
            needs_review = True
            problem = MISMATCH_ALERTED if error.alerted else MISMATCH_NOT_ALERTED.format(reference=order.reference)
    order = services.order_of(current_user.id, order.reference)  # as fulfilment left it, with its lines
    if order is None:
        abort(404)
    if order.status in ("failed", "expired"):
        return redirect(url_for("billing.checkout_failed", order=order.reference))
    return render_template("billing/success.html", order=order, problem=problem, needs_review=needs_review)


@bp.get("/checkout/cancel")
@login_required
def checkout_cancelled() -> ResponseReturnValue:
    return render_template("billing/cancelled.html", module_slug=request.args.get("module", ""))


@bp.get("/checkout/failed")
@login_required
def checkout_failed() -> ResponseReturnValue:
    order = services.order_of(current_user.id, request.args.get("order", ""))
    if order is None:
        abort(404)
    if order.status not in ("failed", "expired"):  # pending, or it took money: this page would say otherwise
        return redirect(url_for("billing.receipt", reference=order.reference))
    return render_template("billing/failed.html", order=order)


@bp.post("/billing/stripe/webhook")
@public  # Stripe calls it: the signature over the body authenticates, not a login
@csrf.exempt  # Stripe cannot send a CSRF token; the Stripe-Signature over the raw body authenticates instead.
def stripe_webhook() -> ResponseReturnValue:
    try:
        gateway = current_gateway()
    except PaymentProviderError as error:  # production without Stripe keys: nothing to deliver to (not a 500)
        return jsonify(error=str(error)), 503
    answer = webhooks.deliver(request.get_data(), request.headers.get("Stripe-Signature"), webhook_secret(current_app),
                              gateway)
    return jsonify(answer.body), answer.status


@bp.route("/checkout/test/<session_id>", methods=["GET", "POST"])
@login_required
def test_checkout(session_id: str) -> ResponseReturnValue:
    """The TEST MODE checkout page: only without Stripe keys, never in production."""
    if not in_test_mode(current_app):
        abort(404)
    session = test_mode.open_session(session_id)
    order = services.order_for_session(current_user.id, session_id)
    if session is None or order is None:
        abort(404)
    if session.status != "open":
        return redirect(test_mode.success_url(session))
    form = TestCardForm()
    if form.validate_on_submit() and (not session.collect_billing_address or form.check_billing_address()):
        try:
            test_mode.pay_in_test_mode(session, form.card_number.data or "", (form.billing_name.data or "").strip(),
                                       form.address() if session.collect_billing_address else {})
        except CardDeclined as declined:
            form.card_number.errors = [*form.card_number.errors, str(declined)]
        else:
            return redirect(test_mode.success_url(session))
    status = 422 if form.errors else 200
    return render_template("billing/test_checkout.html", form=form, session=session, order=order), status


@bp.get("/billing/orders")
@login_required
def orders() -> ResponseReturnValue:
    return render_template("billing/orders.html", orders=services.orders_of(current_user.id),
                           labels=services.ORDER_STATUS_LABELS)


@bp.get("/billing/orders/<reference>")
@login_required
def receipt(reference: str) -> ResponseReturnValue:
    """A receipt once money was taken (paid, or refunded since); before that, or if it never was, the order's status."""
    order = services.order_of(current_user.id, reference)
    if order is None:
        abort(404)
    template = "billing/receipt.html" if order.status in services.RECEIPT_STATUSES else "billing/order_status.html"
    return render_template(template, order=order, labels=services.ORDER_STATUS_LABELS)

