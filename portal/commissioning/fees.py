"""Fees, for a council's commissioners: the council's needs-banded fee schedule and its
providers' framework schedules, in force today, to come, and their whole history; setting
or withdrawing a fee from a date, after a preview of what the change does to the weekly
rates of the children placed that night (projections/fee_schedules.py replays it with the
domain's own pricing rule; nothing is recorded until the commissioner confirms).

The banding policy's pages are in banding.py; they share this module's preview pieces.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from flask import abort, flash, redirect, render_template, request, url_for
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovTextInput
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, ValidationError

from domain import clock
from domain.codes import PLACE_CODES
from domain.errors import ValidationError as DomainValidationError
from domain.fees import fee_schedule_id
from domain.money import format_money, parse_money
from domain.needs import CountBanding
from portal.commissioning import bp
from portal.commissioning.referrals import DayMonthYearField, Required, council_id, councils_only
from portal.forms import Form
from portal.views.common import actor, command, org_scoped, reads, register_scope, requires_role
from projections import fee_schedules, schedules
from projections.fee_schedules import Impact, ProposedFee

COUNCIL_ROLES = ("commissioner", "admin")
COUNCIL_SCHEDULE = "council"  # the schedule field's value for the council's own schedule

# A provider's framework schedule is set by the council, so it is the council's to see.
register_scope("fee_schedule", fee_schedules.schedule_owners)


# ---------------------------------------------------------------------------------------
# Formatting


@bp.app_template_filter("fees_money")
def money(amount: Decimal | None) -> str:
    """£1,344.00; "No fee" for none (withdrawn, or could not be priced)."""
    return "No fee" if amount is None else format_money(amount)


@bp.app_template_filter("fees_change")
def signed_money(amount: Decimal) -> str:
    """+£7.00, −£329.00, £0.00."""
    if amount > 0:
        return f"+{format_money(amount)}"
    if amount < 0:
        return f"−{format_money(-amount)}"
    return format_money(amount)


@bp.app_template_filter("fees_date")
def long_date(day: date | None) -> str:
    return "–" if day is None else f"{day.day} {day:%B %Y}"


def place_type(code: str) -> str:
    return f"{code}: {PLACE_CODES.get(code, code)}"


# ---------------------------------------------------------------------------------------
# The preview every fee or policy change goes through


def backdating(council: UUID | str, effective_from: date) -> dict[str, Any] | None:
    """What a change effective from a past date will do to payments: None for a date not
    in the past; otherwise the approved runs whose periods it reaches (adjusted in the
    next run), if any, and the first and last nights already paid that it reaches."""
    if effective_from >= clock.today():
        return None
    with reads().connect() as conn:
        approved = [r for r in schedules.runs_for_council(conn, council)
                    if r.approved and r.period_end > effective_from]
    if not approved:
        return {"runs": [], "first": None, "last": None}
    return {"runs": approved, "first": max(min(r.period_start for r in approved), effective_from),
            "last": max(r.period_end for r in approved) - timedelta(days=1)}


def carried_fields() -> list[tuple[str, str]]:
    """The submitted answers, to carry from the preview to the confirmation as hidden
    inputs (the confirmation checks and previews them all again)."""
    return [(name, value) for name, values in request.form.lists() if name not in ("csrf_token", "action")
            for value in values]


def action() -> str:
    """Which button was pressed on a preview: "confirm", "change" (back to the answers), or
    "" (the answers' own "Continue")."""
    return request.form.get("action", "")


# ---------------------------------------------------------------------------------------
# Forms


def money_field(label: str, description: str = "") -> StringField:
    def valid_money(form: Form, field: StringField) -> None:
        try:
            field.data = str(parse_money(field.data, "weekly_fee"))
        except DomainValidationError as error:
            raise ValidationError(error.message) from None

    return StringField(label, description=description, widget=GovTextInput(),
                       validators=[InputRequired("Enter the weekly fee"), valid_money])


class SetFeeForm(Form):
    provider = SelectField("Whose schedule", widget=GovSelect(), validate_choice=True)
    place_code = SelectField("Placement type", widget=GovSelect(), validate_choice=True,
                             validators=[InputRequired("Choose the placement type")])
    band = SelectField("Band", widget=GovSelect(), validate_choice=True, validators=[InputRequired("Choose the band")])
    weekly_fee = money_field("Weekly fee", "In pounds and pence, for example 343.00")
    effective_from = DayMonthYearField(
        "Takes effect from", called="The date the fee takes effect",
        description="For example, 7 4 2025. You can choose a date in the past: payments already approved from that "
                    "date will be adjusted in the next payment run.",
        validators=[Required("Enter the date the fee takes effect")])

    def __init__(self, *args: Any, providers: Iterable[tuple[str, str]], bands: Iterable[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.provider.choices = [(COUNCIL_SCHEDULE, "The council's own schedule"),
                                 *((pid, f"{label}: framework schedule") for pid, label in providers)]
        self.place_code.choices = [("", "Choose a placement type"),
                                   *((code, place_type(code)) for code in PLACE_CODES)]
        self.band.choices = [("", "Choose a band"), *((b, b) for b in bands)]

    def provider_id(self) -> str | None:
        return None if self.provider.data in (None, "", COUNCIL_SCHEDULE) else self.provider.data


class WithdrawFeeForm(Form):
    # The domain names the band when no such fee is in force on the date: that is the date's fault here.
    domain_fields = {"band": "effective_from", "place_code": "effective_from"}

    place_code = HiddenField()
    band = HiddenField()
    effective_from = DayMonthYearField(
        "Withdraw from", called="The date the fee is withdrawn",
        description="From this date the schedule has no fee for this placement type and band. For example, 1 4 2026.",
        validators=[Required("Enter the date the fee is withdrawn")])


def known_bands(conn: Any, council: UUID | str) -> list[str]:
    """Bands a fee can be set for: those of the council's policies (the one in force first)
    and any already in its schedules; Norfolk's count-based bands when it has neither."""
    policies = fee_schedules.policy_entries(conn, council)
    current = fee_schedules.policy_in_force(policies, clock.today())
    ordered: list[str] = list(current.bands) if current else []
    for entry in policies:
        ordered.extend(entry.bands)
    ordered.extend(e.band for e in fee_schedules.fee_entries(conn, council))
    return list(dict.fromkeys(ordered)) or list(CountBanding().bands)


def provider_choices(conn: Any) -> list[tuple[str, str]]:
    return [(pid, f"{name} ({ref})") for pid, ref, name in fee_schedules.providers(conn)]


# ---------------------------------------------------------------------------------------
# Pages


@bp.route("/fees")
@requires_role(*COUNCIL_ROLES)
@councils_only
def fees():
    council, today = council_id(), clock.today()
    with reads().connect() as conn:
        policies = fee_schedules.policy_entries(conn, council)
        entries = fee_schedules.fee_entries(conn, council)
        found = fee_schedules.fee_schedules(conn, council)
    in_force = fee_schedules.fees_in_force(entries, today)
    own = next((s for s in found if s.is_council), None)
    return render_template(
        "commissioning/fees.html", today=today, policy=fee_schedules.policy_in_force(policies, today),
        own=own, own_fees=[e for e in in_force if own and e.schedule_id == own.schedule_id],
        upcoming=[e for e in fee_schedules.upcoming_fees(entries, today) if own and e.schedule_id == own.schedule_id],
        frameworks=[(s, sum(1 for e in in_force if e.schedule_id == s.schedule_id)) for s in found if not s.is_council],
        place_type=place_type)


@bp.route("/fees/schedules/<uuid:schedule_id>")
@requires_role(*COUNCIL_ROLES)
@councils_only
@org_scoped(schedule_id="fee_schedule")
def fees_schedule(schedule_id: UUID):
    council, today = council_id(), clock.today()
    with reads().connect() as conn:
        found = fee_schedules.schedule(conn, schedule_id)
        entries = fee_schedules.fee_entries(conn, council, schedule_id)
    if found is None:
        abort(404)
    return render_template(
        "commissioning/fees_schedule.html", schedule=found, today=today,
        in_force=fee_schedules.fees_in_force(entries, today), upcoming=fee_schedules.upcoming_fees(entries, today),
        history=sorted(entries, key=lambda e: (e.effective_from, e.position), reverse=True), place_type=place_type)


@bp.route("/fees/set", methods=["GET", "POST"])
@requires_role(*COUNCIL_ROLES)
@councils_only
def fees_set():
    council = council_id()
    with reads().connect() as conn:
        form = SetFeeForm(providers=provider_choices(conn), bands=known_bands(conn, council))
    if request.method == "GET":
        wanted = request.args.get("provider")
        if wanted and wanted in dict(form.provider.choices):
            form.provider.data = wanted
        form.place_code.data = request.args.get("place_code") or form.place_code.data
        form.band.data = request.args.get("band") or form.band.data
    if form.validate_on_submit() and action() != "change":
        proposed = ProposedFee(form.place_code.data, form.band.data, Decimal(form.weekly_fee.data),
                               form.effective_from.data, form.provider_id())
        if action() == "confirm":
            provider = UUID(proposed.provider_id) if proposed.provider_id else None
            with command(form) as app:
                app.set_fee(council, proposed.place_code, proposed.band, proposed.weekly_fee, proposed.effective_from,
                            actor(), provider=provider)
            if form.accepted:
                flash(f"The {proposed.band} fee for {proposed.place_code} is now {format_money(proposed.weekly_fee)} "
                      f"a week from {long_date(proposed.effective_from)}.", "success")
                return redirect(url_for("commissioning.fees_schedule",
                                        schedule_id=fee_schedule_id(council, provider)))
        else:
            return _preview(council, proposed, "Check the fee change", "Confirm fee change", form)
    return render_template("commissioning/fees_set.html", form=form)


@bp.route("/fees/schedules/<uuid:schedule_id>/withdraw", methods=["GET", "POST"])
@requires_role(*COUNCIL_ROLES)
@councils_only
@org_scoped(schedule_id="fee_schedule")
def fees_withdraw(schedule_id: UUID):
    council = council_id()
    with reads().connect() as conn:
        found = fee_schedules.schedule(conn, schedule_id)
    if found is None:
        abort(404)
    form = WithdrawFeeForm()
    if request.method == "GET":
        form.place_code.data, form.band.data = request.args.get("place_code", ""), request.args.get("band", "")
    if not form.place_code.data or not form.band.data:
        abort(404)
    if form.validate_on_submit() and action() != "change" and _has_fee_on(form, found, council):
        proposed = ProposedFee(form.place_code.data, form.band.data, None, form.effective_from.data, found.provider_id)
        if action() == "confirm":
            with command(form) as app:
                app.withdraw_fee(council, proposed.place_code, proposed.band, proposed.effective_from, actor(),
                                 provider=UUID(found.provider_id) if found.provider_id else None)
            if form.accepted:
                flash(f"The {proposed.band} fee for {proposed.place_code} is withdrawn from "
                      f"{long_date(proposed.effective_from)}.", "success")
                return redirect(url_for("commissioning.fees_schedule", schedule_id=schedule_id))
        else:
            return _preview(council, proposed, "Check the fee withdrawal", "Confirm withdrawal", form, schedule=found)
    return render_template("commissioning/fees_withdraw.html", form=form, schedule=found, place_type=place_type)


def _has_fee_on(form: WithdrawFeeForm, found: fee_schedules.Schedule, council: UUID) -> bool:
    """A fee can be withdrawn only from a date it is in force (the domain refuses it too;
    checked here so that nothing is previewed that could not be confirmed)."""
    with reads().connect() as conn:
        entries = fee_schedules.fee_entries(conn, council, found.schedule_id)
    on = form.effective_from.data
    if any((e.place_code, e.band) == (form.place_code.data, form.band.data)
           for e in fee_schedules.fees_in_force(entries, on)):
        return True
    message = f"There is no {form.band.data} fee for {form.place_code.data} in force on {long_date(on)}"
    form.effective_from.errors = [*form.effective_from.errors, message]
    return False


def _preview(council: UUID | str, proposed: ProposedFee, heading: str, confirm: str, form: Form,
             schedule: fee_schedules.Schedule | None = None):
    with reads().connect() as conn:
        impact: Impact = fee_schedules.impact_of_fee(conn, council, proposed)
        provider = None
        if proposed.provider_id:
            provider = next((label for pid, label in provider_choices(conn) if pid == proposed.provider_id), None)
    return render_template("commissioning/fees_preview.html", heading=heading, confirm=confirm, proposed=proposed,
                           provider=provider, impact=impact, backdated=backdating(council, proposed.effective_from),
                           carried=carried_fields(), place_type=place_type, schedule=schedule, form=form)
