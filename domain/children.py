"""The Child aggregate. A child is known only by the council's own pseudonymous reference;
no name is ever recorded. It holds the characteristics insight needs, every needs
assessment (with strengths, aspirations and the child's own voice) and the spans of the
child's placements, so that two placements can never overlap."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain import clock
from domain.base import Actor, LedgerAggregate, stable_id
from domain.codes import CONTRIBUTORS, ETHNIC_CODES, SEXES
from domain.errors import InvalidTransition, NotFound, ValidationError
from domain.needs import CURRENT_FRAMEWORK, NeedsProfile
from domain.validation import optional_text, require_choice, require_date, require_text, text_list


def child_id(council_code: str, reference: str) -> UUID:
    return stable_id("child", council_code.strip().upper(), reference.strip())


def assessment_id(child: UUID, effective_date: date) -> UUID:
    return stable_id("assessment", str(child), effective_date.isoformat())


class Child(LedgerAggregate):
    class Registered(LedgerAggregate.Created):
        council_id: UUID
        council_code: str
        reference: str
        date_of_birth: date
        sex: str
        ethnicity: str
        disability: bool
        ehcp: bool
        excluded: bool

    def __init__(self, council_id: UUID, council_code: str, reference: str, date_of_birth: date, sex: str,
                 ethnicity: str, disability: bool, ehcp: bool, excluded: bool):
        self.council_id = council_id
        self.council_code = council_code
        self.reference = reference
        self.date_of_birth = date_of_birth
        self.sex = sex
        self.ethnicity = ethnicity
        self.disability = disability
        self.ehcp = ehcp
        self.excluded = excluded
        self.assessments: dict[UUID, dict[str, Any]] = {}
        self.placements: dict[UUID, dict[str, Any]] = {}
        self.erased = False

    @classmethod
    def register(cls, council_id: UUID, council_code: str, reference: str, date_of_birth: date, sex: str,
                 ethnicity: str, disability: bool, ehcp: bool, excluded: bool, by: Actor) -> Child:
        reference = require_text("reference", reference, max_length=40, label="the child's reference")
        dob = require_date("date_of_birth", date_of_birth)
        if dob > clock.today():
            raise ValidationError("date_of_birth", "Date of birth must be in the past")
        return cls._create(
            cls.Registered,
            id=child_id(council_code, reference),
            actor=by.user_id,
            org=by.org_id,
            council_id=council_id,
            council_code=council_code,
            reference=reference,
            date_of_birth=dob,
            sex=require_choice("sex", sex, SEXES.values(), label="sex"),
            ethnicity=require_choice("ethnicity", ethnicity, ETHNIC_CODES, label="ethnicity code"),
            disability=bool(disability),
            ehcp=bool(ehcp),
            excluded=bool(excluded),
        )

    def age_on(self, on: date) -> int:
        years = on.year - self.date_of_birth.year
        return years - ((on.month, on.day) < (self.date_of_birth.month, self.date_of_birth.day))

    class CharacteristicsChanged(LedgerAggregate.Event):
        disability: bool
        ehcp: bool
        excluded: bool

        def apply(self, child: Child) -> None:
            child.disability, child.ehcp, child.excluded = self.disability, self.ehcp, self.excluded

    def change_characteristics(self, disability: bool, ehcp: bool, excluded: bool, by: Actor) -> None:
        self._check_not_erased()
        new = (bool(disability), bool(ehcp), bool(excluded))
        if new != (self.disability, self.ehcp, self.excluded):
            self._record(self.CharacteristicsChanged, by, disability=new[0], ehcp=new[1], excluded=new[2])

    # -- assessments -------------------------------------------------------------------

    class NeedsAssessed(LedgerAggregate.Event):
        assessment_id: UUID
        effective_date: date
        framework_version: str
        scores: dict
        strengths: list[str]
        aspirations: list[str]
        contributors: list[str]
        child_voice: str
        assessor: str

        def apply(self, child: Child) -> None:
            child.assessments[self.assessment_id] = {
                "assessment_id": self.assessment_id, "effective_date": self.effective_date,
                "framework_version": self.framework_version, "scores": dict(self.scores),
                "strengths": list(self.strengths), "aspirations": list(self.aspirations),
                "contributors": list(self.contributors), "child_voice": self.child_voice, "assessor": self.assessor,
                "recorded_at": self.timestamp, "changed_at": self.timestamp,
                "event_ref": f"assessment effective {self.effective_date.isoformat()}",
            }

    def assess_needs(self, effective_date: date, scores: dict, by: Actor, *, strengths: list | None = None,
                     aspirations: list | None = None, contributors: list | None = None, child_voice: str = "",
                     assessor: str = "", framework_version: str = CURRENT_FRAMEWORK.version) -> UUID:
        self._check_not_erased()
        effective = require_date("effective_date", effective_date)
        if effective > clock.today():
            raise ValidationError("effective_date", "An assessment cannot take effect in the future")
        if effective < self.date_of_birth:
            raise ValidationError("effective_date", "An assessment cannot take effect before the child's date of birth")
        aid = assessment_id(self.id, effective)
        if aid in self.assessments:
            raise InvalidTransition(
                "effective_date",
                f"There is already an assessment effective {effective.isoformat()}: correct it instead",
            )
        profile = NeedsProfile.from_scores(scores, framework_version)
        for who in contributors or []:
            require_choice("contributors", who, CONTRIBUTORS, label="contributor")
        self._record(
            self.NeedsAssessed, by, assessment_id=aid, effective_date=effective,
            framework_version=profile.framework_version, scores=profile.as_dict(),
            strengths=text_list("strengths", strengths), aspirations=text_list("aspirations", aspirations),
            contributors=sorted(set(contributors or [])), child_voice=optional_text("child_voice", child_voice),
            assessor=optional_text("assessor", assessor, max_length=100),
        )
        return aid

    class AssessmentCorrected(LedgerAggregate.Event):
        assessment_id: UUID
        scores: dict
        reason: str

        def apply(self, child: Child) -> None:
            a = child.assessments[self.assessment_id]
            a["previous_scores"] = a["scores"]
            a["scores"] = dict(self.scores)
            a["changed_at"] = self.timestamp
            a["event_ref"] = f"correction of assessment effective {a['effective_date'].isoformat()}"

    def correct_assessment(self, assessment: UUID, scores: dict, reason: str, by: Actor) -> None:
        self._check_not_erased()
        current = self.assessment(assessment)
        profile = NeedsProfile.from_scores(scores, current["framework_version"])
        reason = require_text("reason", reason, max_length=500, label="why the assessment is corrected")
        if profile.as_dict() == current["scores"]:
            raise ValidationError("scores", "The corrected scores are the same as the recorded ones")
        self._record(self.AssessmentCorrected, by, assessment_id=assessment, scores=profile.as_dict(), reason=reason)

    def assessment(self, assessment: UUID) -> dict[str, Any]:
        try:
            return self.assessments[assessment]
        except KeyError:
            raise NotFound("assessment_id", "No such assessment for this child") from None

    def assessments_in_order(self) -> list[dict[str, Any]]:
        return sorted(self.assessments.values(), key=lambda a: a["effective_date"])

    def latest_assessment(self, on: date | None = None) -> dict[str, Any] | None:
        found = [a for a in self.assessments_in_order() if on is None or a["effective_date"] <= on]
        return found[-1] if found else None

    # -- placements (their spans only; the Placement aggregate holds the rest) ----------

    class PlacementBegan(LedgerAggregate.Event):
        placement_id: UUID
        start_date: date

        def apply(self, child: Child) -> None:
            child.placements[self.placement_id] = {"start": self.start_date, "end": None}

    def begin_placement(self, placement: UUID, start: date, by: Actor, end: date | None = None) -> None:
        """Placements are half-open spans [start, end); a new one may not overlap any other."""
        self._check_not_erased()
        new_end = end or date.max
        for span in self.placements.values():
            if span["start"] < new_end and start < (span["end"] or date.max):
                raise InvalidTransition(
                    "start_date",
                    f"The child is already placed from {span['start'].isoformat()}"
                    + (f" to {span['end'].isoformat()}" if span["end"] else "")
                    + ": end that placement first",
                )
        self._record(self.PlacementBegan, by, placement_id=placement, start_date=start)

    class PlacementFinished(LedgerAggregate.Event):
        placement_id: UUID
        end_date: date

        def apply(self, child: Child) -> None:
            child.placements[self.placement_id]["end"] = self.end_date

    def finish_placement(self, placement: UUID, end: date, by: Actor) -> None:
        self._record(self.PlacementFinished, by, placement_id=placement, end_date=end)

    def current_placement(self, on: date) -> UUID | None:
        for pid, span in self.placements.items():
            if span["start"] <= on and (span["end"] is None or on < span["end"]):
                return pid
        return None

    # -- erasure ----------------------------------------------------------------------

    class Erased(LedgerAggregate.Event):
        reason: str

        def apply(self, child: Child) -> None:
            child.erased = True

    def erase(self, reason: str, by: Actor) -> None:
        self._check_not_erased()
        self._record(self.Erased, by, reason=require_text("reason", reason, max_length=500, label="the reason"))

    def _check_not_erased(self) -> None:
        if self.erased:
            raise InvalidTransition("child", "This child's record has been erased")
