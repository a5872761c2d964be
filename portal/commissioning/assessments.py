"""A child's needs assessments: recording one (13 scores, strengths, aspirations, who
contributed, the child's voice), checking the answers before it is recorded, the
confirmation, one assessment's page, and correcting one (new scores and the reason, kept
in the audit trail).

The check-answers page carries the answers in hidden fields rather than the session: the
session is a cookie, and a child's assessment must not travel in one.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSelect, GovTextArea, GovTextInput
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from domain import clock
from domain.codes import CONTRIBUTORS
from domain.needs import DOMAINS, MAX_SCORE
from portal.commissioning import bp
from portal.commissioning.children import (
    CHILDREN_ROLES,
    CONTRIBUTOR_LABELS,
    DayMonthYearField,
    child_date,
    level_label,
    levels_of,
    profile_chart,
)
from portal.forms import Form
from portal.views.common import actor, command, org_scoped, reads, requires_role
from projections import audit, cohort

SCORE_CHOICES = [SelectChoice("", "Choose a score"), *(SelectChoice(str(s), level_label(s)) for s in range(MAX_SCORE + 1))]
HOW_MANY = 3  # strengths and aspirations: 2 or 3 of each
TEXT_LIMIT = 500


class ScoreField(SelectField):
    """A domain's score, 0 to 10, each choice labelled with its level ("7 - severe and complex")."""

    def __init__(self, label: str, **kwargs: Any):
        super().__init__(label, choices=SCORE_CHOICES, widget=GovSelect(),
                         validators=[InputRequired(f"Choose a score for {label.lower()}")], **kwargs)

    def pre_validate(self, form: Any) -> None:
        # A choice the list does not offer (an 11 from a tampered form): refused here,
        # before any command is run.
        if self.data not in {choice.value for choice in SCORE_CHOICES}:
            raise ValidationError(f"Choose a score from 0 to {MAX_SCORE} for {self.label.text.lower()}")


class ScoresForm(Form):
    """The 13 domain scores, a field each, named by domain key as the domain's errors name them."""

    def scores(self) -> dict[str, int]:
        return {d.key: int(self[d.key].data) for d in DOMAINS}

    def score_fields(self) -> list[tuple[Any, str]]:
        """(field, the domain's "covers" text as a hint) in the framework's order."""
        return [(self[d.key], d.covers[0].upper() + d.covers[1:] + ".") for d in DOMAINS]


# Made before the score fields: WTForms orders fields by when they were made, and the date
# comes first on the page and so in the error summary.
EFFECTIVE_DATE = DayMonthYearField(
    "Date the assessment takes effect", description="The date the team around the child agreed these scores. "
                                                    "For example, 27 3 2025",
    missing="Enter the date the assessment takes effect",
    invalid="Date the assessment takes effect must be a real date")

for _domain in DOMAINS:
    setattr(ScoresForm, _domain.key, ScoreField(_domain.label))


def _text(label: str, optional: bool = False) -> StringField:
    return StringField(f"{label} (optional)" if optional else label,
                       validators=[Optional(), Length(max=TEXT_LIMIT,
                                                      message=f"{label} must be {TEXT_LIMIT} characters or fewer")],
                       widget=GovTextInput())


class AssessmentForm(ScoresForm):
    effective_date = EFFECTIVE_DATE
    strengths_1 = _text("Strength 1")
    strengths_2 = _text("Strength 2")
    strengths_3 = _text("Strength 3", optional=True)
    aspirations_1 = _text("Aspiration 1")
    aspirations_2 = _text("Aspiration 2")
    aspirations_3 = _text("Aspiration 3", optional=True)
    contributors = SelectMultipleField(
        "Who contributed to this assessment?", description="Select all that apply.",
        choices=[SelectChoice(c, CONTRIBUTOR_LABELS[c]) for c in CONTRIBUTORS],
        validators=[InputRequired("Select who contributed to this assessment")], widget=GovCheckboxesInput())
    child_voice = TextAreaField(
        "The child's voice",
        description="In the child's own words where you can: how they see their needs, and what they want "
                    "the people caring for them to know.",
        validators=[Optional(), Length(max=2000, message="The child's voice must be 2000 characters or fewer")],
        widget=GovTextArea())

    domain_fields: ClassVar[dict[str, str]] = {"strengths": "strengths_1", "aspirations": "aspirations_1"}

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for kind, message in (("strengths", "Enter at least 2 strengths"),
                              ("aspirations", "Enter at least 2 aspirations")):
            empty = [self[f"{kind}_{i}"] for i in (1, 2) if not (self[f"{kind}_{i}"].data or "").strip()]
            if empty and not empty[0].errors:
                empty[0].errors = [*empty[0].errors, message]
                valid = False
        return valid

    def listed(self, kind: str) -> list[str]:
        return [v.strip() for i in range(1, HOW_MANY + 1) if (v := self[f"{kind}_{i}"].data or "").strip()]

    def hidden_values(self) -> list[tuple[str, str]]:
        """Every answer as (name, value) pairs, as the form posted them: the check-answers
        page posts them back unchanged."""
        pairs = []
        for field in self:
            if field.name == "csrf_token":
                continue
            for value in field.raw_data or ():
                pairs.append((field.name, value))
        return pairs


class CorrectionForm(ScoresForm):
    reason = TextAreaField(
        "Why are you correcting this assessment?",
        description="For example, a score was entered in the wrong domain. This is kept in the audit trail, with "
                    "the scores before and after.",
        validators=[InputRequired("Say why you are correcting this assessment"),
                    Length(max=500, message="The reason must be 500 characters or fewer")],
        widget=GovTextArea())


def _records(child_id: UUID) -> list[audit.AssessmentRecord]:
    return audit.assessments_for_child(reads(), child_id, council_id=UUID(current_user.org_id))


def _child(child_id: UUID) -> cohort.CouncilChild:
    child = cohort.council_child(reads(), child_id, clock.today())
    if child is None:
        abort(404)
    return child


def _erased(child_id: UUID) -> Any:
    flash("This child's record has been erased: nothing more can be recorded.", "error")
    return redirect(url_for("commissioning.children_show", child_id=child_id))


def _record(child_id: UUID, assessment_id: UUID) -> tuple[audit.AssessmentRecord, audit.AssessmentRecord | None]:
    """The child's assessment and the one before it; 404 when it is not this child's."""
    records = _records(child_id)
    for i, record in enumerate(records):
        if record.assessment_id == assessment_id:
            return record, records[i - 1] if i else None
    abort(404)


# -- recording an assessment -----------------------------------------------------------------


@bp.route("/children/<uuid:child_id>/assessments/new", methods=["GET", "POST"])
@requires_role(*CHILDREN_ROLES)
@org_scoped(child_id="child")
def children_assess(child_id: UUID):
    """The form; "Continue" shows the answers to check; "Record assessment" records them;
    "Change your answers" goes back to the form, filled in."""
    child = _child(child_id)
    if child.erased:
        return _erased(child_id)
    form = AssessmentForm()
    step = request.form.get("step", "check")
    if request.method == "POST" and step == "change":
        return _assessment_form(child, form)
    if form.validate_on_submit():
        if step != "record":
            return render_template("commissioning/assessment_check.html", child=child, form=form,
                                   strengths=form.listed("strengths"), aspirations=form.listed("aspirations"),
                                   contributor_labels=CONTRIBUTOR_LABELS, level_label=level_label)
        with command(form) as app:
            assessment_id = app.assess_needs(
                child_id, form.effective_date.data, form.scores(), actor(), strengths=form.listed("strengths"),
                aspirations=form.listed("aspirations"), contributors=form.contributors.data,
                child_voice=form.child_voice.data or "", assessor=current_user.email)
        if form.accepted:
            return redirect(url_for("commissioning.children_assessment_recorded", child_id=child_id,
                                    assessment_id=assessment_id))
    return _assessment_form(child, form)


def _assessment_form(child: cohort.CouncilChild, form: AssessmentForm) -> str:
    records = _records(UUID(child.child_id))
    return render_template("commissioning/assessment_new.html", child=child, form=form,
                           latest=records[-1] if records else None, level_label=level_label)


@bp.route("/children/<uuid:child_id>/assessments/<uuid:assessment_id>/recorded")
@requires_role(*CHILDREN_ROLES)
@org_scoped(child_id="child", assessment_id="assessment")
def children_assessment_recorded(child_id: UUID, assessment_id: UUID):
    record, previous = _record(child_id, assessment_id)
    return render_template("commissioning/assessment_recorded.html", child=_child(child_id), record=record,
                           previous=previous, max_total=MAX_SCORE * len(DOMAINS))


# -- one assessment, and correcting it -----------------------------------------------------


@bp.route("/children/<uuid:child_id>/assessments/<uuid:assessment_id>")
@requires_role(*CHILDREN_ROLES)
@org_scoped(child_id="child", assessment_id="assessment")
def children_assessment(child_id: UUID, assessment_id: UUID):
    record, previous = _record(child_id, assessment_id)
    rows = [(d, record.scores.get(d.key), previous.scores.get(d.key) if previous else None) for d in DOMAINS]
    return render_template("commissioning/assessment_show.html", child=_child(child_id), record=record,
                           previous=previous, rows=rows, level_label=level_label, levels=levels_of(record.scores),
                           profile=profile_chart(record, previous), max_total=MAX_SCORE * len(DOMAINS),
                           contributor_labels=CONTRIBUTOR_LABELS)


@bp.route("/children/<uuid:child_id>/assessments/<uuid:assessment_id>/correct", methods=["GET", "POST"])
@requires_role(*CHILDREN_ROLES)
@org_scoped(child_id="child", assessment_id="assessment")
def children_assessment_correct(child_id: UUID, assessment_id: UUID):
    record, _ = _record(child_id, assessment_id)
    if _child(child_id).erased:
        return _erased(child_id)
    form = CorrectionForm(data={key: str(score) for key, score in record.scores.items()})
    if form.validate_on_submit():
        with command(form) as app:
            app.correct_assessment(child_id, assessment_id, form.scores(), form.reason.data, actor())
        if form.accepted:
            flash(f"The assessment of {child_date(record.effective_date)} has been corrected. The scores it had "
                  "before are kept in the audit trail.", "success")
            return redirect(url_for("commissioning.children_assessment", child_id=child_id,
                                    assessment_id=assessment_id))
    return render_template("commissioning/assessment_correct.html", child=_child(child_id), record=record, form=form,
                           level_label=level_label)
