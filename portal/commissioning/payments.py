"""Payment runs, for a council's commissioners: the list of runs, calculating the run for a
payment period, reviewing it (each provider's regular lines and adjustments with the events
that caused them, the nights that could not be priced and why, the totals), approving it,
and exporting an approved run: the CSV for finance (CONTRACT.md's columns) and a PDF
remittance for each provider. A draft can be reviewed on screen but not exported; every
export is recorded on the run.

The rules (what a line is, what an adjustment pays, when a run is stale) are the domain's
(domain/payments.py, domain/councils.py): these pages show its answers and its refusals.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from flask import Response, abort, flash, redirect, render_template, url_for
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from wtforms import HiddenField, SelectField
from wtforms.validators import AnyOf, InputRequired

from domain import clock
from domain.calendar import Period
from domain.payments import ADJUSTMENT
from portal.commissioning import bp
from portal.commissioning.fees import COUNCIL_ROLES, long_date
from portal.commissioning.referrals import council_id, councils_only
from portal.documents import pdf_response, remittance_pdf
from portal.forms import Form
from portal.views.common import actor, command, org_scoped, reads, register_scope, requires_role
from projections import cohort, schedules, users

# A run is its council's: another council's run, or a provider's look at one, is "not found".
register_scope("payment_run", schedules.run_owners)

STATES = {"calculated": ("Draft", "govuk-tag--yellow"), "approved": ("Approved", "govuk-tag--green")}


@bp.app_template_filter("payments_period")
def period_text(start: date, end: date) -> str:
    """A half-open period [start, end) as people say it: its first and last nights."""
    return f"{long_date(start)} to {long_date(end - timedelta(days=1))}"


@bp.app_template_filter("payments_cause")
def cause_text(cause: str) -> str:
    return cause[:1].upper() + cause[1:]


def last_night(end: date) -> date:
    return end - timedelta(days=1)


def who(conn: Any, user_id: str | None) -> str:
    """A user as the pages name them: their email address (the system for a trusted path)."""
    if not user_id:
        return ""
    if user_id.startswith("system:"):
        return "the system"
    try:
        record = users.user(conn, UUID(user_id))
    except ValueError:
        record = None
    return record.email if record is not None else "a former user"


def payable_periods(conn: Any, council: UUID) -> list[Period]:
    """The periods the council can run now, earliest first: those after its latest approved
    period (a period before it can no longer be approved) that have ended by today. With no
    run approved yet, from the period of its first placement."""
    calendar = schedules.payment_calendar(conn, council)
    if calendar is None:
        return []
    today = clock.today()
    approved = [r.period_end for r in schedules.runs_for_council(conn, council) if r.approved]
    if approved:
        first = max(approved)
    else:
        first = calendar.period_containing(cohort.first_placement_start(conn, council) or today).start
    return [p for p in calendar.periods_between(first, today) if p.end <= today]


class CalculateRunForm(Form):
    domain_fields = {"period": "period_end"}

    period_end = SelectField("Payment period", widget=GovSelect(), validate_choice=True,
                             validators=[InputRequired("Choose the payment period")])

    def __init__(self, *args: Any, periods: list[Period], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.period_end.choices = [(p.end.isoformat(), period_text(p.start, p.end)) for p in periods]


class ApproveRunForm(Form):
    """The approval's button: the domain decides whether the run may be approved."""


class ExportRunForm(Form):
    format = HiddenField(validators=[AnyOf(("csv", "pdf"), message="Choose CSV or PDF")])
    provider = HiddenField()  # a provider's reference: the PDF remittance is one provider's


# ---------------------------------------------------------------------------------------
# Pages


@bp.route("/payments")
@requires_role(*COUNCIL_ROLES)
@councils_only
def payment_runs():
    with reads().connect() as conn:
        runs = schedules.runs_for_council(conn, council_id())
    return render_template("commissioning/payment_runs.html", runs=runs, states=STATES)


@bp.route("/payments/calculate", methods=["GET", "POST"])
@requires_role(*COUNCIL_ROLES)
@councils_only
def payment_runs_calculate():
    council = council_id()
    with reads().connect() as conn:
        periods = payable_periods(conn, council)
    form = CalculateRunForm(periods=periods)
    if form.validate_on_submit():
        with command(form) as app:
            run_id = app.calculate_payment_run(council, date.fromisoformat(form.period_end.data), actor())
        if form.accepted:
            flash("The payment run has been calculated. Check it before you approve it.", "success")
            return redirect(url_for("commissioning.payment_runs_show", run_id=run_id))
    elif not form.is_submitted() and periods:
        form.period_end.data = periods[0].end.isoformat()  # the next period to pay
    return render_template("commissioning/payment_run_calculate.html", form=form, periods=periods)


def _review(run_id: UUID) -> dict[str, Any]:
    """Everything the run's pages show, from the payment schedules view."""
    with reads().connect() as conn:
        run = schedules.run(conn, run_id)
        if run is None:
            abort(404)
        lines = schedules.run_lines(conn, run_id)
        totals = schedules.provider_totals(conn, run_id)
        unpriced = schedules.run_unpriced(conn, run_id)
        exports = [(fmt, ref, at, who(conn, by)) for fmt, ref, at, by in schedules.exported(conn, run_id)]
        runs = schedules.runs_for_council(conn, run.council_id)
        people = {"calculated": who(conn, run.calculated_by), "approved": who(conn, run.approved_by)}
    providers = [{"total": t,
                  "regular": [x for x in lines if x.provider_id == t.provider_id and x.kind != ADJUSTMENT],
                  "adjustments": [x for x in lines if x.provider_id == t.provider_id and x.kind == ADJUSTMENT]}
                 for t in totals]
    # Approving a run calculated before another's approval is refused (its adjustments did
    # not count what that approval paid): said here too, so nobody is surprised.
    stale = not run.approved and any(r.approved and r.approved_at and r.approved_at >= run.calculated_at
                                     for r in runs if r.run_id != run.run_id)
    return {"run": run, "providers": providers, "unpriced": unpriced, "exports": exports, "people": people,
            "stale": stale, "period_length": run.period_end - run.period_start}


@bp.route("/payments/<uuid:run_id>")
@requires_role(*COUNCIL_ROLES)
@councils_only
@org_scoped(run_id="payment_run")
def payment_runs_show(run_id: UUID):
    return render_template("commissioning/payment_run.html", **_review(run_id), states=STATES, last_night=last_night)


@bp.route("/payments/<uuid:run_id>/approve", methods=["GET", "POST"])
@requires_role(*COUNCIL_ROLES)
@councils_only
@org_scoped(run_id="payment_run")
def payment_runs_approve(run_id: UUID):
    form = ApproveRunForm()
    if form.validate_on_submit():
        with command(form) as app:
            app.approve_payment_run(run_id, actor())
        if form.accepted:
            flash("The payment run is approved. Its lines are what will be paid; you can now export it.", "success")
            return redirect(url_for("commissioning.payment_runs_show", run_id=run_id))
    return render_template("commissioning/payment_run_approve.html", form=form, **_review(run_id), states=STATES)


@bp.route("/payments/<uuid:run_id>/export", methods=["POST"])
@requires_role(*COUNCIL_ROLES)
@councils_only
@org_scoped(run_id="payment_run")
def payment_runs_export(run_id: UUID):
    """The approved run as CSV, or one provider's PDF remittance. The file is made first,
    then the export recorded: the domain refuses a draft, and then nothing is sent."""
    form = ExportRunForm()
    if not form.validate_on_submit():
        abort(400)
    with reads().connect() as conn:
        run = schedules.run(conn, run_id)
        if run is None:
            abort(404)
        stem = f"payment-run-{run.council_code or 'council'}-{run.period_start.isoformat()}"
        if form.format.data == "csv":
            provider_ref = ""
            body: bytes | str = _csv(schedules.run_csv_rows(conn, run_id))
        else:
            provider = next((t for t in schedules.provider_totals(conn, run_id) if t.provider_ref == form.provider.data),
                            None)
            if provider is None or not form.provider.data:
                abort(404)
            provider_ref = provider.provider_ref or ""
            body = remittance_pdf(conn, run_id, provider.provider_id)
    with command(form) as app:
        app.record_payment_export(run_id, form.format.data, provider_ref, actor())
    if not form.accepted:
        for message in [*form.form_errors, *(e for f in form for e in f.errors)]:
            flash(message, "error")
        return redirect(url_for("commissioning.payment_runs_show", run_id=run_id))
    if form.format.data == "csv":
        return Response(body, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{stem}.csv"'})
    return pdf_response(body, f"remittance-{provider_ref}-{run.period_start.isoformat()}.pdf")


def _csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=schedules.CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
