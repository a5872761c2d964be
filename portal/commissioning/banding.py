"""The banding policy, for a council's commissioners: the policy in force and every policy
adopted before (with the dates they took effect), and adopting one (count-based, or bands
by total score with the council's thresholds) from a date, after a preview of what it does
to the weekly rates of the children placed that night. The domain validates the bands
(they must run on from 0 to 130); nothing is recorded until the commissioner confirms."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from domain import clock
from domain.errors import ValidationError as DomainValidationError
from domain.needs import EXAMPLE_TOTAL_BANDING, MAX_SCORE, DOMAIN_KEYS, BandingPolicy, TotalBanding, policy_from_dict
from portal.commissioning import bp
from portal.commissioning.fees import COUNCIL_ROLES, action, backdating, carried_fields, long_date
from portal.commissioning.referrals import DayMonthYearField, Required, council_id, councils_only
from portal.forms import Form
from portal.views.common import actor, command, reads, requires_role
from projections import fee_schedules
from projections.fee_schedules import ProposedPolicy

BAND_ROWS = 8  # room for up to this many total-score bands
HIGHEST_TOTAL = MAX_SCORE * len(DOMAIN_KEYS)
KINDS = {
    "count": "By counts of domains: standard, enhanced and complex",
    "total": "By total score, with your own thresholds",
}


def describe(policy: BandingPolicy) -> str:
    if isinstance(policy, TotalBanding):
        return "Total score: " + ", ".join(f"{t.band} {t.min_total} to {t.max_total}" for t in policy.thresholds)
    return "Counts of domains: complex 2 or more severe; enhanced 1 severe or 3 or more needing action; standard the rest"


class AdoptPolicyForm(Form):
    kind = RadioField("How are children banded?", widget=GovRadioInput(),
                      choices=[SelectChoice(value, label) for value, label in KINDS.items()],
                      validators=[InputRequired("Choose how children are banded")])
    # The band rows, then `effective_from`, are added below in page order (the error summary's order).

    def rows(self) -> list[tuple[Any, Any, Any]]:
        return [(self[f"band_{i}"], self[f"min_total_{i}"], self[f"max_total_{i}"]) for i in range(1, BAND_ROWS + 1)]

    def policy(self) -> dict[str, Any]:
        if self.kind.data != "total":
            return {"kind": "count"}
        return {"kind": "total", "thresholds": [
            {"band": band.data.strip(), "min_total": low.data.strip(), "max_total": high.data.strip()}
            for band, low, high in self.rows() if any(f.data and f.data.strip() for f in (band, low, high))]}

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.kind.data != "total":
            return valid
        for number, (band, low, high) in enumerate(self.rows(), start=1):
            entered = [f for f in (band, low, high) if f.data and f.data.strip()]
            if not entered:
                continue
            if not (band.data or "").strip():
                band.errors = [*band.errors, f"Enter a name for band {number}"]
            for field, which in ((low, "lowest"), (high, "highest")):
                text = (field.data or "").strip()
                if not text:
                    field.errors = [*field.errors, f"Enter the {which} total for band {number}"]
                elif not text.isdigit() or int(text) > HIGHEST_TOTAL:
                    field.errors = [*field.errors,
                                    f"The {which} total for band {number} must be a whole number from 0 to {HIGHEST_TOTAL}"]
        if any(f.errors for row in self.rows() for f in row):
            return False
        try:
            policy_from_dict(self.policy())  # the domain's own check: bands run on from 0 to 130
        except DomainValidationError as error:
            self.form_errors.append(error.message)
            return False
        return valid


for _i in range(1, BAND_ROWS + 1):
    setattr(AdoptPolicyForm, f"band_{_i}", StringField(f"Band {_i} name"))
    setattr(AdoptPolicyForm, f"min_total_{_i}", StringField(f"Band {_i} lowest total"))
    setattr(AdoptPolicyForm, f"max_total_{_i}", StringField(f"Band {_i} highest total"))
AdoptPolicyForm.effective_from = DayMonthYearField(
    "Takes effect from", called="The date the policy takes effect",
    description="For example, 1 4 2026. You can choose a date in the past: payments already approved from that "
                "date will be adjusted in the next payment run.",
    validators=[Required("Enter the date the policy takes effect")])


def _prefill(form: AdoptPolicyForm, policy: BandingPolicy | None) -> None:
    """Start from the policy in force: its kind and, for a total-score policy, its bands
    (else the example bands A to E, to edit)."""
    form.kind.data = policy.kind if policy is not None else None
    thresholds = policy.thresholds if isinstance(policy, TotalBanding) else EXAMPLE_TOTAL_BANDING.thresholds
    for (band, low, high), t in zip(form.rows(), thresholds):
        band.data, low.data, high.data = t.band, str(t.min_total), str(t.max_total)


@bp.route("/fees/banding")
@requires_role(*COUNCIL_ROLES)
@councils_only
def fees_banding():
    today = clock.today()
    with reads().connect() as conn:
        entries = fee_schedules.policy_entries(conn, council_id())
    return render_template("commissioning/banding.html", today=today,
                           current=fee_schedules.policy_in_force(entries, today),
                           upcoming=[e for e in entries if e.effective_from > today and not e.superseded],
                           history=list(reversed(entries)), describe=describe)


@bp.route("/fees/banding/adopt", methods=["GET", "POST"])
@requires_role(*COUNCIL_ROLES)
@councils_only
def fees_banding_adopt():
    council = council_id()
    form = AdoptPolicyForm()
    if request.method == "GET":
        with reads().connect() as conn:
            current = fee_schedules.policy_in_force(fee_schedules.policy_entries(conn, council), clock.today())
        _prefill(form, current.policy if current else None)
    if form.validate_on_submit() and action() != "change":
        policy = form.policy()
        if action() == "confirm":
            with command(form) as app:
                app.adopt_banding_policy(council, policy, form.effective_from.data, actor())
            if form.accepted:
                flash(f"The banding policy takes effect from {long_date(form.effective_from.data)}.", "success")
                return redirect(url_for("commissioning.fees_banding"))
        else:
            proposed = ProposedPolicy(policy_from_dict(policy), form.effective_from.data)
            with reads().connect() as conn:
                impact = fee_schedules.impact_of_policy(conn, council, proposed)
            return render_template("commissioning/banding_preview.html", proposed=proposed, impact=impact,
                                   description=describe(proposed.policy), form=form, carried=carried_fields(),
                                   backdated=backdating(council, proposed.effective_from))
    return render_template("commissioning/banding_adopt.html", form=form, highest=HIGHEST_TOTAL)
