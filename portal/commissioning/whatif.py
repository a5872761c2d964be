"""What-ifs, for a council's commissioners and admins: today's children (or those of the
night chosen on the insight dashboard) priced again under a change, to see what it would
save or cost. Capping the highest weekly costs; another banding policy or fee schedule;
stepping children down from residential to foster care.

Every page is a GET form: it records nothing, and history (what was agreed, assessed and
paid) is never edited. The sums are projections/whatif.py's, over the same cohort the
dashboard draws (same scope, same as-at and as-known-on dates).

The headline results are exact (they are the council's own planning figures); the
breakdowns are tables, so counts of fewer than five children in them are hidden, as on the
dashboard. Lists of children show the user's own council's children only.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from flask import render_template, request
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovTextArea, GovTextInput
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional, ValidationError

from domain.codes import PLACE_CODES, place_group
from domain.errors import ValidationError as DomainValidationError
from domain.money import ZERO, parse_money
from domain.needs import CountBanding, policy_from_dict
from portal.commissioning import bp
from portal.commissioning.insight import (
    COUNCIL_ROLES, HIDDEN, PLACE_GROUP_LABELS, Column, FigureTable, Selection, SelectionForm, child_link, cohort_rows,
    place_label, read_selection, rules_in_force,
)
from portal.commissioning.referrals import councils_only
from portal.forms import Form
from portal.views.common import reads, requires_role
from projections import insight as stats
from projections import whatif
from projections.cohort import CohortRow

LISTED_AT_MOST = 200  # children listed on a what-if page; the sums are over all of them


class WhatIfForm(Form):
    """A GET form (it changes nothing), so no CSRF token."""

    class Meta:
        csrf = False


def money_field_value(field: StringField, *, label: str) -> Decimal | None:
    text = (field.data or "").strip()
    if not text:
        return None
    try:
        return parse_money(text, field.name, allow_zero=True)
    except DomainValidationError:
        raise ValidationError(f"Enter {label} in pounds, like 5000 or 5000.00") from None


def _selection_and(form_class: type[WhatIfForm]) -> tuple[Selection, SelectionForm, Any, bool]:
    """The dashboard's selection (carried in hidden fields), the what-if's form read from the
    query string, and whether it was submitted and is valid."""
    sel, selection_form = read_selection()
    form = form_class(formdata=request.args)
    submitted = form.submitted_field in request.args
    valid = form.validate() if submitted else False
    return sel, selection_form, form, valid


def _references(rows: Sequence[CohortRow]) -> tuple[dict[str, str | None], dict[str, str]]:
    with reads().connect() as conn:
        return stats.list_names(conn, [r.child_id for r in rows], [r.provider_id for r in rows])


def _counts_table(key: str, title: str, label: str, counts: dict[str, tuple[int, Decimal]],
                  money_heading: str) -> FigureTable:
    """A breakdown of placements (a count and a sum of money a row), small counts hidden."""
    hidden = stats.hidden_cells({k: n for k, (n, _) in counts.items()})
    rows = tuple((k, HIDDEN if k in hidden else n, HIDDEN if k in hidden else amount)
                 for k, (n, amount) in counts.items())
    return FigureTable(key, title, (Column(label), Column("Placements", "count"), Column(money_heading, "money")), rows)


# ---------------------------------------------------------------------------------------
# Capping the highest weekly costs


class CapForm(WhatIfForm):
    submitted_field = "cap"
    cap = StringField("Cap on the weekly cost", description="Every placement above this weekly figure is brought "
                      "down to it. The published Valuing Care figures use £5,000.", widget=GovTextInput())

    def validate_cap(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Enter the cap on the weekly cost")
        field.amount = money_field_value(field, label="the cap")


@bp.route("/insight/what-if/cap")
@requires_role(*COUNCIL_ROLES)
@councils_only
def insight_whatif_cap():
    sel, selection_form, form, valid = _selection_and(CapForm)
    submitted = CapForm.submitted_field in request.args
    if not submitted:
        form.cap.data = format(stats.CAP, "f")  # the published figures' cap, worked out straight away
    cap = form.cap.amount if valid else (None if submitted else stats.CAP)
    result = breakdown = None
    if cap is not None:
        rows = cohort_rows(sel)
        result = whatif.cap_weekly_costs(rows, cap)
        by_group: dict[str, list[Decimal]] = {name: [] for name in stats.PLACE_GROUP_NAMES}
        for r in result.affected:
            by_group[r.place_group].append(result.saving_for(r))
        breakdown = _counts_table(
            "cap-by-place-group", "Placements above the cap, by placement group", "Placement group",
            {_group_label(g): (len(v), sum(v, ZERO)) for g, v in by_group.items()}, "Weekly saving")
    return render_template("commissioning/whatif_cap.html", form=form, selection_form=selection_form, sel=sel,
                           result=result, breakdown=breakdown)


def _group_label(group: str) -> str:
    return PLACE_GROUP_LABELS.get(group, group)


# ---------------------------------------------------------------------------------------
# Another banding policy or fee schedule

KEEP, COUNT, TOTAL = "keep", "count", "total"
THRESHOLD = re.compile(r"^\s*(?P<band>[^\s,:]+)[\s,:]+(?P<low>\d+)\s*(?:-|to|,|\s)\s*(?P<high>\d+)\s*$", re.IGNORECASE)
FEE = re.compile(r"^\s*(?P<code>[A-Za-z]\d)[\s,]+(?P<band>[^\s,]+)[\s,]+(?P<fee>£?\s*[0-9][0-9,]*(?:\.[0-9]{1,2})?)\s*$")


class BandingForm(WhatIfForm):
    submitted_field = "policy"
    policy = RadioField("Banding policy", choices=[
        SelectChoice(KEEP, "Keep the banding policy in force"),
        SelectChoice(COUNT, "Count-based bands: complex (2 or more severe domains), enhanced (1 severe, or 3 or more "
                            "needing action), standard"),
        SelectChoice(TOTAL, "Bands by total score (give the bands below)"),
    ], default=KEEP, widget=GovRadioInput(), validate_choice=False)
    thresholds = TextAreaField(
        "Bands by total score", description="Only for bands by total score: one band a line, its name then the lowest "
        "and highest total, covering 0 to 130. For example: A 0-19", widget=GovTextArea())
    fees = TextAreaField(
        "Fee schedule", description="One fee a line: placement type, band, weekly fee. For example: U4 enhanced "
        "343.00. Leave it empty to keep the council's own fees in force. Providers' framework fees stay as they are.",
        widget=GovTextArea())

    def validate_policy(self, field: RadioField) -> None:
        if field.data not in (KEEP, COUNT, TOTAL):
            raise ValidationError("Choose a banding policy")
        field.chosen = None
        if field.data == COUNT:
            field.chosen = CountBanding()

    def validate_thresholds(self, field: TextAreaField) -> None:
        if self.policy.data != TOTAL:
            return
        lines = [line for line in (field.data or "").splitlines() if line.strip()]
        if not lines:
            raise ValidationError("Enter the bands by total score, one a line, like A 0-19")
        bands = []
        for number, line in enumerate(lines, 1):
            found = THRESHOLD.match(line)
            if not found:
                raise ValidationError(f"Line {number} of the bands: give a band's name, then its lowest and highest "
                                      "total, like A 0-19")
            bands.append({"band": found["band"], "min_total": int(found["low"]), "max_total": int(found["high"])})
        try:
            self.policy.chosen = policy_from_dict({"kind": "total", "thresholds": bands})
        except DomainValidationError as error:
            raise ValidationError(error.message) from None

    def validate_fees(self, field: TextAreaField) -> None:
        field.schedule = None
        lines = [line for line in (field.data or "").splitlines() if line.strip()]
        if not lines:
            return
        schedule: dict[tuple[str, str], Decimal] = {}
        for number, line in enumerate(lines, 1):
            found = FEE.match(line)
            if not found:
                raise ValidationError(f"Line {number} of the fees: give a placement type, a band and a weekly fee, "
                                      "like U4 enhanced 343.00")
            code = found["code"].upper()
            if code not in PLACE_CODES:
                raise ValidationError(f"Line {number} of the fees: {code} is not a placement type")
            try:
                fee = parse_money(found["fee"], "fees", allow_zero=True)
            except DomainValidationError as error:
                raise ValidationError(f"Line {number} of the fees: {error.message}") from None
            if (code, found["band"]) in schedule:
                raise ValidationError(f"Line {number} of the fees: {code} {found['band']} is given twice")
            schedule[(code, found["band"])] = fee
        field.schedule = schedule


@bp.route("/insight/what-if/banding")
@requires_role(*COUNCIL_ROLES)
@councils_only
def insight_whatif_banding():
    sel, selection_form, form, valid = _selection_and(BandingForm)
    rules = rules_in_force(sel)
    own_rules = rules.get(sel.own_council)
    current_fees = own_rules.council_fees() if own_rules is not None else {}
    result = moves = bands = None
    listed: list[whatif.Repriced] = []
    own_moved = 0
    if valid:
        rows = cohort_rows(sel)
        result = whatif.rebanding(rows, rules, sel.as_at, form.policy.chosen, form.fees.schedule)
        pairs = Counter((p.before.band or "No band", p.after.band or "No band") for p in result.moved)
        changes: dict[tuple[str, str], Decimal] = {}
        for p in result.moved:
            key = (p.before.band or "No band", p.after.band or "No band")
            changes[key] = changes.get(key, ZERO) + p.change
        moves = _counts_table("banding-moves", "Placements moving band", "From band to band",
                              {f"{a} to {b}": (n, changes[(a, b)]) for (a, b), n in sorted(pairs.items())},
                              "Weekly change")
        before, after = result.bands_before, result.bands_after
        hidden_before, hidden_after = stats.hidden_cells(before), stats.hidden_cells(after)
        bands = FigureTable("banding-bands", "Banded placements in each band", (
            Column("Band"), Column("Before", "count"), Column("After", "count")),
            tuple((name, HIDDEN if name in hidden_before else before.get(name, 0),
                   HIDDEN if name in hidden_after else after.get(name, 0))
                  for name in sorted(set(before) | set(after))))
        own = [p for p in result.moved if p.row.council_id == sel.own_council]
        own_moved, listed = len(own), own[:LISTED_AT_MOST]
    references, providers = _references([p.row for p in listed])
    return render_template("commissioning/whatif_banding.html", form=form, selection_form=selection_form, sel=sel,
                           result=result, moves=moves, bands=bands, listed=listed, own_moved=own_moved,
                           references=references, providers=providers, child_link=child_link,
                           current_policy=own_rules.policy if own_rules else None, current_fees=current_fees)


# ---------------------------------------------------------------------------------------
# Stepping children down from residential care


class StepDownForm(WhatIfForm):
    submitted_field = "children"
    children = IntegerField("How many children", description="Taken from the step-down candidates in order: lowest "
                            "total need first, then the costliest.", widget=GovTextInput(),
                            validators=[Optional(), NumberRange(min=0, max=100_000, message="Enter a number from 0 "
                                                                                            "to 100,000")])
    place_code = SelectField("Into which kind of foster care", widget=GovSelect(), validate_choice=True)
    support = StringField("Weekly support package for each child (optional)",
                          description="For example, therapy or extra support for the carers. Leave empty for none.",
                          widget=GovTextInput())

    def validate_children(self, field: IntegerField) -> None:
        if field.data is None:
            raise ValidationError("Enter how many children to move, as a whole number")

    def validate_support(self, field: StringField) -> None:
        field.amount = money_field_value(field, label="the support package") or ZERO


@bp.route("/insight/what-if/step-down")
@requires_role(*COUNCIL_ROLES)
@councils_only
def insight_whatif_step_down():
    sel, selection_form = read_selection()
    rules = rules_in_force(sel)
    own_rules = rules.get(sel.own_council)
    fostering = sorted({code for (code, _band) in (own_rules.council_fees() if own_rules else {})
                        if place_group(code) == "fostering"})
    codes = fostering or [whatif.FOSTERING_CODE]
    form = StepDownForm(formdata=request.args)
    form.place_code.choices = [SelectChoice(code, place_label(code)) for code in codes]
    if form.place_code.data not in codes:
        form.place_code.data = whatif.FOSTERING_CODE if whatif.FOSTERING_CODE in codes else codes[0]
    submitted = StepDownForm.submitted_field in request.args
    valid = form.validate() if submitted else False
    rows = cohort_rows(sel)
    candidates = stats.step_down_candidates(rows)
    if not submitted:
        form.children.data = min(10, len(candidates))
    result = listed = None
    references: dict[str, str | None] = {}
    providers: dict[str, str] = {}
    if valid:
        result = whatif.step_down(rows, rules, form.children.data, form.place_code.data, form.support.amount)
        listed = [m for m in result.moved if m.row.council_id == sel.own_council][:LISTED_AT_MOST]
        references, providers = _references([m.row for m in listed])
    return render_template("commissioning/whatif_step_down.html", form=form, selection_form=selection_form, sel=sel,
                           candidates=len(candidates), result=result, listed=listed, references=references,
                           providers=providers, child_link=child_link, place_label=place_label)
