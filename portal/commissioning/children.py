"""Children, for a council's social workers, commissioners and admins: finding a child (by
reference, place group and band, a page at a time), registering one, and a child's page
(who they are, where they live, their latest needs assessment with the previous one
overlaid, and how their needs have changed with each provider).

A child is known only by the council's pseudonymous reference: no name is ever recorded.
Assessments (recording, checking, correcting) are in assessments.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovDateInput, GovRadioInput, GovSelect, GovTextInput
from wtforms import DateField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, StopValidation

from domain import clock
from domain.codes import ETHNIC_CODES, PLACE_CODES, PLACE_GROUP_NAMES
from domain.needs import DOMAINS, MAX_SCORE, level
from portal import charts
from portal.commissioning import bp
from portal.forms import Form
from portal.views.common import actor, command, org_scoped, reads, requires_role
from projections import audit, cohort

CHILDREN_ROLES = ("social_worker", "commissioner", "admin")
PER_PAGE = 25

PLACE_GROUP_LABELS = {
    "fostering": "Fostering",
    "residential": "Residential care",
    "supported": "Supported accommodation or independent living",
    "with_family": "With parents or placed for adoption",
    "other": "Other placements",
    cohort.NOT_PLACED: "Not in a placement",
}

# SSDA903 ethnicity codes, in the return's words.
ETHNICITY_LABELS = {
    "WBRI": "White British", "WIRI": "White Irish", "WOTH": "Any other White background",
    "WIRT": "Traveller of Irish heritage", "WROM": "Gypsy or Roma", "MWBC": "White and Black Caribbean",
    "MWBA": "White and Black African", "MWAS": "White and Asian", "MOTH": "Any other mixed background",
    "AIND": "Indian", "APKN": "Pakistani", "ABAN": "Bangladeshi", "AOTH": "Any other Asian background",
    "BCRB": "Caribbean", "BAFR": "African", "BOTH": "Any other Black background", "CHNE": "Chinese",
    "OOTH": "Any other ethnic group", "REFU": "Refused", "NOBT": "Information not yet obtained",
}

SEX_LABELS = {"male": "Male", "female": "Female"}

CONTRIBUTOR_LABELS = {
    "child": "The child",
    "carer": "Carer",
    "social_worker": "Social worker",
    "iro": "Independent reviewing officer (IRO)",
    "parent": "Parent",
    "teacher": "Teacher",
    "health": "Health professional",
}


@bp.app_template_filter("child_date")
def child_date(day: date | None) -> str:
    """5 March 2025."""
    return "" if day is None else f"{day.day} {day.strftime('%B %Y')}"


@bp.app_template_filter("child_change")
def child_change(change: int | None) -> str:
    """+3, −3 (a true minus sign) or "no change"."""
    if change is None:
        return ""
    return "no change" if change == 0 else f"+{change}" if change > 0 else f"\u2212{-change}"


def level_label(score: int) -> str:
    """"7 - severe and complex": a score with its level, as the forms and pages say it."""
    return f"{score} - {level(score).label.lower()}"


# -- finding a child -----------------------------------------------------------------------


@bp.route("/children")
@requires_role(*CHILDREN_ROLES)
def children():
    today = clock.today()
    search = request.args.get("reference", "").strip()[:40]
    group = request.args.get("group", "")
    group = group if group in PLACE_GROUP_LABELS else ""
    band = request.args.get("band", "").strip()[:20]
    page_number = request.args.get("page", "1")
    page_number = int(page_number) if page_number.isdigit() else 1
    found = cohort.children_of_council(reads(), current_user.org_id, today, reference=search,
                                       place_group=group or None, band=band or None, page=page_number,
                                       per_page=PER_PAGE)
    if band and band not in found.bands:
        band = ""
        found = cohort.children_of_council(reads(), current_user.org_id, today, reference=search,
                                           place_group=group or None, page=page_number, per_page=PER_PAGE)
    filters = {key: value for key, value in (("reference", search), ("group", group), ("band", band)) if value}
    return render_template("commissioning/children.html", found=found, search=search, group=group, band=band,
                           filters=filters, pagination=_pagination(found, filters),
                           group_labels=PLACE_GROUP_LABELS, place_groups=(*PLACE_GROUP_NAMES, cohort.NOT_PLACED))


def _pagination(found: cohort.ChildrenPage, filters: dict[str, str]) -> dict[str, Any] | None:
    """The GOV.UK pagination component's parameters (None for a single page)."""
    if found.pages <= 1:
        return None

    def href(number: int) -> str:
        return url_for("commissioning.children", **filters, page=number)

    shown = sorted({1, found.pages, *range(max(1, found.page - 2), min(found.pages, found.page + 2) + 1)})
    items: list[dict[str, Any]] = []
    for number in shown:
        if items and number - items[-1].get("number", number) > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": href(number), "current": number == found.page})
    params: dict[str, Any] = {"items": items, "landmarkLabel": "Pages of children"}
    if found.page > 1:
        params["previous"] = {"href": href(found.page - 1)}
    if found.page < found.pages:
        params["next"] = {"href": href(found.page + 1)}
    return params


# -- registering a child -------------------------------------------------------------------


class DayMonthYearField(DateField):
    """A GOV.UK date input (day, month, year boxes) with GOV.UK's messages."""

    def __init__(self, label: str, *, missing: str, invalid: str, **kwargs: Any):
        super().__init__(label, format="%d %m %Y", widget=GovDateInput(), **kwargs)
        self.missing, self.invalid = missing, invalid

    def process_formdata(self, valuelist: list[str]) -> None:
        if len(valuelist) != 3:
            self.raw_data = None  # the widget draws day, month and year from exactly three
        if len(valuelist) != 3 or not any(v.strip() for v in valuelist):
            self.data = None
            return
        try:
            super().process_formdata([v.strip() for v in valuelist])
        except ValueError:
            self.data = None
            raise ValueError(self.invalid) from None

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()  # the "real date" message is already there
        if self.data is None:
            raise StopValidation(self.missing)


CHARACTERISTICS = (
    ("disability", "The child has a disability"),
    ("ehcp", "The child has an education, health and care plan (EHCP)"),
    ("excluded", "The child has been permanently excluded from school"),
)


class RegisterChildForm(Form):
    reference = StringField(
        "The child's reference",
        description="Your council's own reference for the child, as in your case management system. Never a "
                    "name: Needs Ledger records no names.",
        validators=[InputRequired("Enter the child's reference"),
                    Length(max=40, message="The child's reference must be 40 characters or fewer")],
        widget=GovTextInput())
    date_of_birth = DayMonthYearField("Date of birth", description="For example, 27 3 2012",
                                      missing="Enter the child's date of birth",
                                      invalid="Date of birth must be a real date")
    sex = RadioField("Sex", choices=[SelectChoice(value, label) for value, label in SEX_LABELS.items()], validators=[InputRequired("Select the child's sex")],
                     widget=GovRadioInput())
    ethnicity = SelectField("Ethnicity", choices=[SelectChoice("", "Choose an ethnicity"),
                                                  *(SelectChoice(code, f"{ETHNICITY_LABELS[code]} ({code})")
                                                    for code in ETHNIC_CODES)],
                            validators=[InputRequired("Choose the child's ethnicity")], widget=GovSelect())
    characteristics = SelectMultipleField("Which of these apply?", description="Select all that apply.",
                                          choices=[SelectChoice(value, label) for value, label in CHARACTERISTICS],
                                          widget=GovCheckboxesInput())


@bp.route("/children/new", methods=["GET", "POST"])
@requires_role(*CHILDREN_ROLES)
def children_new():
    form = RegisterChildForm()
    if form.validate_on_submit():
        chosen = set(form.characteristics.data or ())
        with command(form) as app:
            child_id = app.register_child(UUID(current_user.org_id), form.reference.data, form.date_of_birth.data,
                                          form.sex.data, form.ethnicity.data, "disability" in chosen,
                                          "ehcp" in chosen, "excluded" in chosen, actor())
        if form.accepted:
            flash(f"Child {form.reference.data.strip()} registered. Record their first needs assessment next.",
                  "success")
            return redirect(url_for("commissioning.children_show", child_id=child_id))
    return render_template("commissioning/children_new.html", form=form)


# -- a child's page ------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelGroup:
    level: str  # "severe", "moderate", "minor", "none"
    label: str
    domains: list[tuple[str, int]]  # (domain label, score)


def levels_of(scores: dict[str, int]) -> list[LevelGroup]:
    """The domains grouped by level, most severe first, each by score."""
    groups = []
    for name, label in (("severe", "Severe and complex (7 to 10)"), ("moderate", "Moderate (4 to 6)"),
                        ("minor", "Minor (1 to 3)"), ("none", "None (0)")):
        domains = sorted(((d.label, scores[d.key]) for d in DOMAINS
                          if d.key in scores and level(scores[d.key]).value == name), key=lambda x: -x[1])
        groups.append(LevelGroup(name, label, domains))
    return groups


def profile_chart(latest: audit.AssessmentRecord, previous: audit.AssessmentRecord | None) -> charts.Chart:
    return charts.needs_profile_chart(
        [(d.key, d.label) for d in DOMAINS], latest.scores, previous.scores if previous else None,
        f"Needs profile at the assessment of {child_date(latest.effective_date)}", id="needs-profile",
        current_label=f"Assessment of {child_date(latest.effective_date)}",
        previous_label=f"Previous, {child_date(previous.effective_date)}" if previous else "Previous assessment")


def trajectory(records: list[audit.AssessmentRecord], provider_names: dict[str, str]) -> charts.Chart:
    points = [(r.effective_date, r.total, provider_names.get(str(r.provider_id)) if r.provider_id else None)
              for r in records]
    per_domain = {d.key: [(r.effective_date, r.scores[d.key]) for r in records if d.key in r.scores]
                  for d in DOMAINS} if len(records) > 1 else None
    return charts.trajectory_chart(points, per_domain, "Total needs at each assessment, by provider",
                                   id="needs-over-time", domain_labels={d.key: d.label for d in DOMAINS},
                                   max_total=None, no_provider="Not in a placement")


@bp.route("/children/<uuid:child_id>")
@requires_role(*CHILDREN_ROLES)
@org_scoped(child_id="child")
def children_show(child_id: UUID):
    today = clock.today()
    child = cohort.council_child(reads(), child_id, today)
    records = audit.assessments_for_child(reads(), child_id, council_id=UUID(current_user.org_id))
    placements = cohort.child_placements(reads(), child_id)
    provider_names = {p.provider_id: p.provider_name for p in placements}
    latest = records[-1] if records else None
    previous = records[-2] if len(records) > 1 else None
    history = [(record, None if i == 0 else record.total - records[i - 1].total)
               for i, record in enumerate(records)]
    return render_template(
        "commissioning/children_show.html", child=child, latest=latest, previous=previous,
        history=list(reversed(history)), placements=list(reversed(placements)), provider_names=provider_names,
        profile=profile_chart(latest, previous) if latest else None,
        trajectory=trajectory(records, provider_names) if records else None,
        levels=levels_of(latest.scores) if latest else [], max_total=MAX_SCORE * len(DOMAINS),
        group_labels=PLACE_GROUP_LABELS, place_codes=PLACE_CODES, ethnicity_labels=ETHNICITY_LABELS,
        sex_labels=SEX_LABELS, contributor_labels=CONTRIBUTOR_LABELS)
