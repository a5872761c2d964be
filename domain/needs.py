"""The needs framework: the 13 domains (versioned reference data), levels, totals,
"action needed" counts, and the two kinds of banding policy, effective-dated.

See shared/design/NEEDS.md. Everything here is a pure function or a frozen dataclass.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from domain.errors import ValidationError


@dataclass(frozen=True)
class Domain:
    key: str
    label: str
    covers: str


@dataclass(frozen=True)
class Framework:
    """One version of the domain list. An assessment records the version it was made
    under, so a later correction of wording or an added domain rewrites no history."""

    version: str
    domains: tuple[Domain, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(d.key for d in self.domains)

    def label(self, key: str) -> str:
        for d in self.domains:
            if d.key == key:
                return d.label
        raise KeyError(key)


FRAMEWORK_V1 = Framework(
    version="vc13-1",
    domains=(
        Domain("physical_health", "Physical health", "health conditions, development, access to health care"),
        Domain("emotional_health", "Emotional health and wellbeing", "anxiety, low mood, trauma, mental health"),
        Domain("attachments", "Positive and healthy attachments", "secure relationships with trusted adults"),
        Domain("managing_emotions", "Managing emotions and behaviour", "regulation, and the behaviour that follows from it"),
        Domain("life_story", "Understanding life story", "knowing and making sense of their history"),
        Domain("identity", "Identity and self-esteem", "sense of self, culture, faith, self-worth"),
        Domain("family_relationships", "Positive family relationships", "contact and relationships with birth family and siblings"),
        Domain("educational_progress", "Educational progress", "attendance, attainment, exclusion"),
        Domain("learning_disability", "Learning difficulties and disabilities", "SEND, communication, cognitive needs"),
        Domain("expressing_views", "Expressing opinions and feelings", "being heard, voice of the child"),
        Domain("community", "Engaging in the community", "friends, activities, belonging"),
        Domain("safe_decisions", "Safe decision making", "exploitation, missing episodes, risky behaviour"),
        Domain("independence", "Self-care and independent living", "age-appropriate self-care, preparing for adulthood"),
    ),
)

FRAMEWORKS: dict[str, Framework] = {FRAMEWORK_V1.version: FRAMEWORK_V1}
CURRENT_FRAMEWORK = FRAMEWORK_V1
DOMAIN_KEYS: tuple[str, ...] = CURRENT_FRAMEWORK.keys
DOMAINS: tuple[Domain, ...] = CURRENT_FRAMEWORK.domains
MAX_SCORE = 10


def framework(version: str) -> Framework:
    try:
        return FRAMEWORKS[version]
    except KeyError:
        raise ValidationError("framework_version", f"Unknown needs framework version {version!r}") from None


class Level(Enum):
    NONE = "none"
    MINOR = "minor"
    MODERATE = "moderate"
    SEVERE = "severe"

    @property
    def label(self) -> str:
        return {"none": "None", "minor": "Minor", "moderate": "Moderate", "severe": "Severe and complex"}[self.value]

    @property
    def needs_action(self) -> bool:
        return self in (Level.MODERATE, Level.SEVERE)


def level(score: int) -> Level:
    """0 none; 1-3 minor (watch, prevent); 4-6 moderate (requires action); 7-10 severe."""
    if score == 0:
        return Level.NONE
    if score <= 3:
        return Level.MINOR
    if score <= 6:
        return Level.MODERATE
    return Level.SEVERE


def validate_score(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            text = str(value).strip()
            if not text.lstrip("-").isdigit():
                raise ValueError
            value = int(text)
        except ValueError:
            raise ValidationError(key, f"Enter a whole number from 0 to {MAX_SCORE} for {_label(key)}") from None
    if not 0 <= value <= MAX_SCORE:
        raise ValidationError(key, f"{_label(key)} must be from 0 to {MAX_SCORE} (got {value})")
    return value


def _label(key: str) -> str:
    try:
        return CURRENT_FRAMEWORK.label(key)
    except KeyError:
        return key


@dataclass(frozen=True)
class NeedsProfile:
    """A child's 13 scores under one framework version."""

    scores: Mapping[str, int]
    framework_version: str = CURRENT_FRAMEWORK.version

    @classmethod
    def from_scores(cls, scores: Mapping[str, object], framework_version: str = CURRENT_FRAMEWORK.version) -> NeedsProfile:
        """Validated: every domain of the framework present, each a whole number 0-10."""
        fw = framework(framework_version)
        unknown = sorted(set(scores) - set(fw.keys))
        if unknown:
            raise ValidationError(unknown[0], f"{unknown[0]!r} is not a needs domain in framework {fw.version}")
        clean: dict[str, int] = {}
        for key in fw.keys:
            if key not in scores or scores[key] is None or scores[key] == "":
                raise ValidationError(key, f"Enter a score for {fw.label(key)}")
            clean[key] = validate_score(key, scores[key])
        return cls(scores=clean, framework_version=fw.version)

    def __hash__(self) -> int:
        return hash((self.framework_version, tuple(sorted(self.scores.items()))))

    @property
    def total(self) -> int:
        return sum(self.scores.values())

    def level(self, key: str) -> Level:
        return level(self.scores[key])

    @property
    def severe_count(self) -> int:
        return sum(1 for s in self.scores.values() if s >= 7)

    @property
    def action_needed_count(self) -> int:
        """Domains at moderate or severe: the ones that require action."""
        return sum(1 for s in self.scores.values() if s >= 4)

    @property
    def has_severe(self) -> bool:
        return self.severe_count > 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.scores)


# ---------------------------------------------------------------------------------------
# Banding policies


@dataclass(frozen=True)
class CountBanding:
    """Norfolk's count-based bands (since April 2022):
    complex: 2 or more severe; enhanced: exactly 1 severe, or 3 or more needing action;
    standard: everything else."""

    kind: str = field(default="count", init=False)

    @property
    def bands(self) -> tuple[str, ...]:
        return ("standard", "enhanced", "complex")

    def band_for(self, profile: NeedsProfile) -> str:
        if profile.severe_count >= 2:
            return "complex"
        if profile.severe_count == 1 or profile.action_needed_count >= 3:
            return "enhanced"
        return "standard"

    def as_dict(self) -> dict:
        return {"kind": "count"}


@dataclass(frozen=True)
class TotalBand:
    band: str
    min_total: int
    max_total: int


@dataclass(frozen=True)
class TotalBanding:
    """Bands by total score, chosen by the council: contiguous, covering 0-130 exactly."""

    thresholds: tuple[TotalBand, ...]
    kind: str = field(default="total", init=False)

    def __post_init__(self) -> None:
        ordered = sorted(self.thresholds, key=lambda t: t.min_total)
        max_total = MAX_SCORE * len(DOMAIN_KEYS)
        if not ordered:
            raise ValidationError("thresholds", "A total-score policy needs at least one band")
        names = [t.band for t in ordered]
        if len(set(names)) != len(names):
            raise ValidationError("thresholds", "Each band may appear only once")
        expected = 0
        for t in ordered:
            if not t.band.strip():
                raise ValidationError("thresholds", "Every band needs a name")
            if t.min_total != expected:
                raise ValidationError(
                    "thresholds", f"Bands must run on from each other: band {t.band} starts at {t.min_total}, expected {expected}"
                )
            if t.max_total < t.min_total:
                raise ValidationError("thresholds", f"Band {t.band} ends ({t.max_total}) before it starts ({t.min_total})")
            expected = t.max_total + 1
        if expected != max_total + 1:
            raise ValidationError("thresholds", f"Bands must cover every total from 0 to {max_total}")
        object.__setattr__(self, "thresholds", tuple(ordered))

    @property
    def bands(self) -> tuple[str, ...]:
        return tuple(t.band for t in self.thresholds)

    def band_for(self, profile: NeedsProfile) -> str:
        total = profile.total
        for t in self.thresholds:
            if t.min_total <= total <= t.max_total:
                return t.band
        raise AssertionError("thresholds cover 0-130")  # guaranteed by __post_init__

    def as_dict(self) -> dict:
        return {
            "kind": "total",
            "thresholds": [{"band": t.band, "min_total": t.min_total, "max_total": t.max_total} for t in self.thresholds],
        }


BandingPolicy = CountBanding | TotalBanding

EXAMPLE_TOTAL_BANDING = TotalBanding(
    (TotalBand("A", 0, 19), TotalBand("B", 20, 39), TotalBand("C", 40, 59), TotalBand("D", 60, 79), TotalBand("E", 80, 130))
)


def policy_from_dict(data: Mapping) -> BandingPolicy:
    kind = data.get("kind")
    if kind == "count":
        return CountBanding()
    if kind == "total":
        try:
            bands = tuple(
                TotalBand(str(t["band"]), int(t["min_total"]), int(t["max_total"])) for t in data.get("thresholds", [])
            )
        except (KeyError, TypeError, ValueError):
            raise ValidationError("thresholds", "Each band needs a name, a minimum and a maximum total") from None
        return TotalBanding(bands)
    raise ValidationError("kind", "Choose a banding policy: 'count' or 'total'")


@dataclass(frozen=True)
class PolicyVersion:
    effective_from: date
    policy: BandingPolicy


class PolicyHistory:
    """A council's banding policies in effective order; the one in force on a night is the
    latest effective on or before it. Built afresh from events, so a backdated adoption
    simply takes its place in the order."""

    def __init__(self, versions: Iterable[PolicyVersion] = ()):
        self._versions = sorted(versions, key=lambda v: v.effective_from)
        self._starts = [v.effective_from for v in self._versions]

    def on(self, night: date) -> BandingPolicy | None:
        i = bisect.bisect_right(self._starts, night)
        return self._versions[i - 1].policy if i else None

    def change_dates(self) -> Sequence[date]:
        return tuple(self._starts)

    @property
    def versions(self) -> Sequence[PolicyVersion]:
        return tuple(self._versions)


def band_on(night: date, profile: NeedsProfile | None, policies: PolicyHistory) -> str | None:
    """The band on a night: the band of the given profile (the latest assessment effective
    on or before the night) under the policy in force that night."""
    if profile is None:
        return None
    policy = policies.on(night)
    return policy.band_for(profile) if policy is not None else None
