"""Staff pages for the course evaluations (``view_reports``): every module with its count, one module's aggregates
per objective, lecture and speaker with a chart and a table, and a CSV export (audited)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coursesite.accounts.audit import record
from coursesite.assessment import evaluation_reports as reports
from coursesite.assessment.models import RATING_MAX
from coursesite.catalog.models import Lecture, LectureSpeaker, Module
from coursesite.charts import bar_chart
from coursesite.extensions import db
from coursesite.permissions import Right, requires_right
from coursesite.spreadsheets import csv_response
from coursesite.staff.forms import PeriodForm

bp = Blueprint("staff_evaluations", __name__, url_prefix="/staff/evaluations")


def _period() -> tuple[PeriodForm, reports.Period]:
    form = PeriodForm(request.args)
    if form.validate():
        return form, reports.Period(form.date_from.data, form.date_to.data)
    return form, reports.Period()


def _module(slug: str) -> Module:
    module = db.session.scalar(
        select(Module).where(Module.slug == slug)
        .options(selectinload(Module.lectures).selectinload(Lecture.speaker_links)
                 .selectinload(LectureSpeaker.speaker)))
    if module is None:
        abort(404)
    return module


@bp.get("")
@requires_right(Right.VIEW_REPORTS)
def index() -> ResponseReturnValue:
    form, period = _period()
    return render_template("staff/evaluations/index.html", form=form, period=period,
                           modules=reports.modules_with_counts(period),
                           speakers=reports.speakers_across_modules(period))


@bp.get("/<slug>")
@requires_right(Right.VIEW_REPORTS)
def module(slug: str) -> ResponseReturnValue:
    form, period = _period()
    found = _module(slug)
    summary = reports.summary(found, period)
    charts = {
        "module": bar_chart("Mean ratings for the module", [(summary.overall.label, summary.overall.mean),
                                                            (summary.relevance.label, summary.relevance.mean)],
                            maximum=RATING_MAX),
        "objectives": bar_chart("Mean rating per learning objective",
                                [(figure.label, figure.mean) for figure in summary.objectives], maximum=RATING_MAX),
        "lectures": bar_chart("Mean rating per lecture",
                              [(figure.label, figure.mean) for figure in summary.lectures], maximum=RATING_MAX),
        "speakers": bar_chart("Mean rating per speaker",
                              [(figure.label, figure.mean) for figure in summary.speakers], maximum=RATING_MAX),
    }
    return render_template("staff/evaluations/module.html", form=form, summary=summary, charts=charts,
                           query={key: value for key, value in request.args.items() if value})


@bp.get("/<slug>/evaluations.csv")
@requires_right(Right.VIEW_REPORTS)
def export(slug: str) -> ResponseReturnValue:
    _form, period = _period()
    found = _module(slug)
    rows = reports.export_rows(found, period)
    record(current_user, "staff.evaluations_exported", found, rows=len(rows), period=period.label)
    db.session.commit()
    return csv_response(f"evaluations-{found.slug}.csv", reports.export_header(found), rows)
