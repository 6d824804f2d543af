"""Staff page for the sponsor's records (``view_reports``): choose a module and a period, download attendance,
test attempts, evaluations or certificates as CSV (coursesite/certificates/records.py). Every download is in the
audit log (``staff.records_exported``)."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3, after the stubs

from coursesite.accounts.audit import record
from coursesite.assessment.evaluation_reports import Period
from coursesite.catalog.models import Module
from coursesite.certificates import records
from coursesite.extensions import db
from coursesite.permissions import Right, requires_right
from coursesite.spreadsheets import csv_response
from coursesite.staff.forms import RecordsForm

bp = Blueprint("staff_records", __name__, url_prefix="/staff/records")


@bp.get("")
@requires_right(Right.VIEW_REPORTS)
def index() -> ResponseReturnValue:
    """The form; with ``kind`` (a download button) and valid choices, the CSV download."""
    modules = list(db.session.scalars(select(Module).order_by(Module.title)))
    form = RecordsForm(request.args)
    form.module.choices = [SelectChoice(module.slug, module.title) for module in modules]
    kind = request.args.get("kind", "")
    if kind and form.validate():
        if kind not in records.RECORDS:
            form.form_errors.append("Choose one of the downloads below.")
        else:
            module = next(module for module in modules if module.slug == form.module.data)
            period = Period(form.date_from.data, form.date_to.data)
            table = records.record_table(kind, module, period)
            record(current_user, "staff.records_exported", module, kind=kind, rows=len(table.rows),
                   period=period.label)
            db.session.commit()
            suffix = "-".join(day.isoformat() for day in (period.start, period.end) if day)
            return csv_response(f"{kind}-{module.slug}{'-' + suffix if suffix else ''}.csv", table.header,
                                table.rows)
    status = 422 if kind and (form.errors or form.form_errors) else 200
    return render_template("staff/records.html", form=form, kinds=records.RECORDS), status
