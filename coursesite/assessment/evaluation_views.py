"""The course evaluation page (``/modules/<slug>/evaluation``) and the accommodation request form
(``/modules/<slug>/accommodation``), on the assessment blueprint.

The evaluation opens after a passed attempt and once per attempt; anyone else is told why (403), and an unknown
module is a 404. Saving it issues the certificate in the same transaction (the certificates package receives
``evaluation_saved``), then the learner lands on their certificates.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from coursesite.assessment import accommodations
from coursesite.assessment.blueprint import bp
from coursesite.assessment.evaluation import (
    EvaluationRefused,
    evaluable_attempt_id,
    items_of,
    module_for_evaluation,
    save_evaluation,
)
from coursesite.assessment.evaluation_forms import AccommodationForm, evaluation_form
from coursesite.extensions import account_rate_limit_key, db, limiter
from coursesite.permissions import login_required


def _refused(module_title: str, slug: str, refused: EvaluationRefused) -> tuple[str, int]:
    return render_template("assessment/evaluation_refused.html", module_title=module_title, slug=slug,
                           refused=refused), 403


@bp.route("/modules/<slug>/evaluation", methods=["GET", "POST"])
@login_required
def evaluation(slug: str) -> ResponseReturnValue:
    module = module_for_evaluation(slug)
    if module is None:
        abort(404)
    try:
        evaluable_attempt_id(current_user.id, module.id)
    except EvaluationRefused as refused:
        return _refused(module.title, slug, refused)
    items = items_of(module)
    form = evaluation_form(items)
    if form.validate_on_submit():
        try:
            save_evaluation(current_user.id, module, form.answers())
        except EvaluationRefused as refused:
            db.session.rollback()
            return _refused(module.title, slug, refused)
        except ValueError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash("Thank you for your evaluation. Your certificate is issued.", "success")
            return redirect(url_for("certificates.mine"))
    return render_template("assessment/evaluation.html", module=module, items=items, form=form), \
        422 if form.errors or form.form_errors else 200


@bp.route("/modules/<slug>/accommodation", methods=["GET", "POST"])
@limiter.limit("5/hour", methods=["POST"], key_func=account_rate_limit_key)
@login_required
def accommodation(slug: str) -> ResponseReturnValue:
    """Ask for an accommodation for the module's test; staff are mailed and see it on their list."""
    module = accommodations.module_for_request(slug)
    if module is None:
        abort(404)
    form = AccommodationForm()
    if form.validate_on_submit():
        accommodations.request_accommodation(current_user, module, form.needs.data or "")
        db.session.commit()
        flash("Your request is sent. Staff will answer by email, usually within two working days.", "success")
        return redirect(url_for("catalog.module", slug=module.slug))
    return render_template("assessment/accommodation.html", module=module, form=form), 422 if form.errors else 200
