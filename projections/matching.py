"""Matching a referral to providers: which providers are best placed to meet one child's
needs, with the reasons, so a commissioner releases a referral to a chosen few rather
than to everyone; and the pseudonymised profile a referral raised today would carry (the
preview of what providers will see).

No tables of its own: the queries read the other views' tables.
- `board_referrals`, `board_providers`, `board_homes`, `board_releases`, `board_policies`
  (projections/board.py): the referral's needs and placement types, providers (suspended
  or not), their homes' placement types, places and capacity profiles, who the referral
  has already gone to, and the councils' banding policies.
- `organisations` (projections/organisations.py): councils' and providers' regions, and
  whose in-house service a provider is.
- `audit_placements` (projections/audit.py): the placements at each home, for its
  vacancies (places minus the children placed there on the day).
- `cohort_children`, `cohort_assessments` (projections/cohort.py): a child's age, sex and
  latest assessment.

The ranking is a pure function (`rank_providers`) over plain rows, so its order can be
reasoned about and tested without a database:

1. A home is suitable when it offers one of the placement types sought. A provider with
   no suitable home, a suspended provider, and another council's in-house service are
   left out (with the reason, in `ProviderFits.left_out`).
2. Each suitable home is scored: a free place first; then fewer domains where the child's
   need is above what the home is ready to meet (its "gaps"); then the smaller total
   shortfall over those domains; then a home in the location sought; then more free
   places.
3. A provider ranks by its best home; among equals, a provider in the council's region
   first, then by name.

Queries: `providers_by_fit`, `referral_preview`, `child_references`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection, Engine

from domain.codes import PLACE_CODES
from domain.needs import NeedsProfile, PolicyHistory, PolicyVersion, framework, level, policy_from_dict
from projections import audit, board, cohort, organisations, schedules
from projections.board import CapacityMatch, DomainNeed, capacity_against_needs
from projections.sql import connect as _connect

# How many providers the release page ticks to begin with.
DEFAULT_RELEASE_COUNT = 5

SUSPENDED = "suspended"
NO_SUITABLE_HOME = "no_suitable_home"
OTHER_COUNCILS_SERVICE = "other_councils_service"
LEFT_OUT_REASONS = {
    SUSPENDED: "Suspended",
    NO_SUITABLE_HOME: "No home offering the placement types sought",
    OTHER_COUNCILS_SERVICE: "Another council's own service",
}


def _same_place(a: str, b: str) -> bool:
    return bool(a.strip()) and a.strip().casefold() == b.strip().casefold()


def location_matches(sought: str, home_location: str) -> bool:
    """A home is in the location sought when its town is named there ("Norwich" in
    "Norwich or within 20 miles")."""
    home = home_location.strip().casefold()
    return bool(home) and home in sought.casefold()


# ---------------------------------------------------------------------------------------
# Plain rows in, ranked fits out


@dataclass(frozen=True)
class ProviderRow:
    provider_id: UUID
    name: str
    region: str
    suspended: bool
    council_id: UUID | None  # set for a council's own in-house service


@dataclass(frozen=True)
class HomeRow:
    home_id: UUID
    provider_id: UUID
    name: str
    place_codes: Sequence[str]
    places: int
    capacity: Mapping[str, int]
    location: str


@dataclass(frozen=True)
class HomeFit:
    home_id: UUID
    name: str
    place_codes: list[str]  # the types sought that this home offers
    places: int
    placed: int  # children placed there on the day
    location: str
    location_match: bool
    capacity: list[CapacityMatch]

    @property
    def vacancies(self) -> int:
        return max(self.places - self.placed, 0)

    @property
    def gaps(self) -> list[CapacityMatch]:
        """The domains where the child's need is above what the home is ready to meet."""
        return [c for c in self.capacity if not c.met]

    @property
    def shortfall(self) -> int:
        return sum(c.gap for c in self.capacity)

    @property
    def place_types(self) -> list[tuple[str, str]]:
        return [(code, PLACE_CODES.get(code, code)) for code in self.place_codes]

    def rank_key(self) -> tuple:
        return (self.vacancies == 0, len(self.gaps), self.shortfall, not self.location_match, -self.vacancies,
                self.name.casefold(), str(self.home_id))


@dataclass(frozen=True)
class ProviderFit:
    provider_id: UUID
    name: str
    region: str
    region_match: bool
    homes: list[HomeFit]  # suitable homes, best first
    released: bool  # the referral has already gone to this provider

    @property
    def best(self) -> HomeFit:
        return self.homes[0]

    @property
    def has_vacancy(self) -> bool:
        return self.best.vacancies > 0

    def rank_key(self) -> tuple:
        return (*self.best.rank_key()[:4], not self.region_match, self.name.casefold(), str(self.provider_id))


@dataclass(frozen=True)
class LeftOut:
    provider_id: UUID
    name: str
    reason: str

    @property
    def reason_label(self) -> str:
        return LEFT_OUT_REASONS[self.reason]


@dataclass(frozen=True)
class ProviderFits:
    """Providers ranked by fit for one referral, and those left out (with why)."""

    ranked: list[ProviderFit]
    left_out: list[LeftOut] = field(default_factory=list)

    @property
    def not_yet_released(self) -> list[ProviderFit]:
        return [p for p in self.ranked if not p.released]

    @property
    def released(self) -> list[ProviderFit]:
        return [p for p in self.ranked if p.released]

    def default_choice(self, count: int = DEFAULT_RELEASE_COUNT) -> list[UUID]:
        """The best `count` providers not yet released to that have a free place."""
        return [p.provider_id for p in self.not_yet_released if p.has_vacancy][:count]


def rank_providers(needs: Mapping[str, int], framework_version: str, place_codes: Sequence[str], location: str,
                   council_id: UUID, council_region: str, providers: Iterable[ProviderRow], homes: Iterable[HomeRow],
                   placed: Mapping[UUID, int], released: Iterable[UUID] = ()) -> ProviderFits:
    """Rank providers by how well their homes fit the child's needs (see the module's
    docstring for the order). `placed`: children placed at each home on the day."""
    sought = list(place_codes)
    already = set(released)
    homes_of: dict[UUID, list[HomeRow]] = {}
    for home in homes:
        homes_of.setdefault(home.provider_id, []).append(home)
    ranked: list[ProviderFit] = []
    left_out: list[LeftOut] = []
    for p in providers:
        if p.suspended:
            left_out.append(LeftOut(p.provider_id, p.name, SUSPENDED))
            continue
        if p.council_id is not None and p.council_id != council_id:
            left_out.append(LeftOut(p.provider_id, p.name, OTHER_COUNCILS_SERVICE))
            continue
        fits = []
        for h in homes_of.get(p.provider_id, []):
            codes = [c for c in sought if c in set(h.place_codes)]
            if not codes:
                continue
            fits.append(HomeFit(
                home_id=h.home_id, name=h.name, place_codes=codes, places=h.places, placed=placed.get(h.home_id, 0),
                location=h.location, location_match=location_matches(location, h.location),
                capacity=capacity_against_needs(dict(needs), dict(h.capacity), framework_version)))
        if not fits:
            left_out.append(LeftOut(p.provider_id, p.name, NO_SUITABLE_HOME))
            continue
        fits.sort(key=HomeFit.rank_key)
        ranked.append(ProviderFit(p.provider_id, p.name, p.region, _same_place(p.region, council_region), fits,
                                  p.provider_id in already))
    ranked.sort(key=ProviderFit.rank_key)
    left_out.sort(key=lambda x: (x.reason, x.name.casefold(), str(x.provider_id)))
    return ProviderFits(ranked, left_out)


# ---------------------------------------------------------------------------------------
# Queries


def placed_at_homes(conn: Connection | Engine, home_ids: Iterable[UUID], on: date) -> dict[UUID, int]:
    """Children placed at each home on the night of `on` (placements are [start, end))."""
    ids = list(dict.fromkeys(home_ids))
    if not ids:
        return {}
    p = audit.T.placements
    with _connect(conn) as c:
        rows = c.execute(
            select(p.c.home_id, func.count()).where(
                p.c.home_id.in_(ids), p.c.start_date <= on, or_(p.c.end_date.is_(None), p.c.end_date > on))
            .group_by(p.c.home_id)).all()
    return {home_id: n for home_id, n in rows}


def providers_by_fit(conn: Connection | Engine, council_id: UUID, referral_id: UUID, on: date) -> ProviderFits | None:
    """Every provider ranked by fit for the council's referral, vacancies as on `on`;
    None unless the referral is the council's."""
    r, bp, h, rel = board.T.referrals, board.T.providers, board.T.homes, board.T.releases
    o = organisations.T.organisations
    with _connect(conn) as c:
        referral = c.execute(select(r).where(r.c.referral_id == referral_id, r.c.council_id == council_id)).first()
        if referral is None:
            return None
        region = c.execute(select(o.c.region).where(o.c.org_id == council_id)).scalar() or ""
        providers = [ProviderRow(x.provider_id, x.name, x.region or "", bool(x.suspended), x.council_id)
                     for x in c.execute(
                         select(bp.c.provider_id, bp.c.name, bp.c.suspended, o.c.region, o.c.council_id)
                         .outerjoin(o, o.c.org_id == bp.c.provider_id))]
        homes = [HomeRow(x.home_id, x.provider_id, x.name, list(x.place_codes), x.places, dict(x.capacity),
                         x.location or "") for x in c.execute(select(h))]
        released = c.execute(select(rel.c.provider_id).where(rel.c.referral_id == referral_id)).scalars().all()
        placed = placed_at_homes(c, [x.home_id for x in homes], on)
    return rank_providers(dict(referral.scores), referral.framework_version, list(referral.place_codes),
                          referral.location, council_id, region, providers, homes, placed, released)


@dataclass(frozen=True)
class ProfilePreview:
    """What a referral raised now would show providers of the child: the latest
    assessment's scores and levels, its total, the band today, age and sex. Never the
    child's id or reference."""

    assessment_id: UUID
    assessment_date: date
    framework_version: str
    needs: list[DomainNeed]
    total: int
    severe_count: int
    action_needed_count: int
    band: str | None
    age: int
    sex: str

    @property
    def moderate_or_above(self) -> list[DomainNeed]:
        return [n for n in self.needs if n.score >= 4]


def referral_preview(conn: Connection | Engine, council_id: UUID, child_id: UUID, on: date) -> ProfilePreview | None:
    """The profile a referral for the council's child would carry if raised on `on`; None
    when the child is not the council's, is erased, or has no assessment yet."""
    ch, a = cohort.T.children, cohort.T.assessments
    pol = board.T.policies
    with _connect(conn) as c:
        child = c.execute(select(ch.c.date_of_birth, ch.c.sex, ch.c.erased)
                          .where(ch.c.child_id == str(child_id), ch.c.council_id == str(council_id))).first()
        if child is None or child.erased or child.date_of_birth is None:
            return None
        latest = c.execute(select(a).where(a.c.child_id == str(child_id))
                           .order_by(a.c.effective_date.desc()).limit(1)).first()
        if latest is None:
            return None
        policies = c.execute(select(pol.c.effective_from, pol.c.policy).where(pol.c.council_id == council_id)).all()
    fw = framework(latest.framework_version)
    scores = {k: int(getattr(latest, k)) for k in fw.keys}
    profile = NeedsProfile(scores, latest.framework_version)
    # The band the domain gives a referral: the assessment in force today, under today's policy.
    history = PolicyHistory(PolicyVersion(x.effective_from, policy_from_dict(x.policy)) for x in policies)
    policy = history.on(on)
    band = policy.band_for(profile) if policy is not None and latest.effective_date <= on else None
    return ProfilePreview(
        assessment_id=UUID(latest.assessment_id), assessment_date=latest.effective_date,
        framework_version=latest.framework_version,
        needs=[DomainNeed(k, fw.label(k), scores[k], level(scores[k]).value) for k in fw.keys],
        total=profile.total, severe_count=profile.severe_count, action_needed_count=profile.action_needed_count,
        band=band, age=cohort.age_on(child.date_of_birth, on), sex=child.sex or "")


def child_references(conn: Connection | Engine, council_id: UUID, child_ids: Iterable[UUID]) -> dict[UUID, str]:
    """The council's own references for its children (for the council's pages only:
    providers never see them), from the payment schedules view, which keeps them; an
    erased child has none."""
    ids = [str(i) for i in dict.fromkeys(child_ids)]
    if not ids:
        return {}
    refs, ch = schedules.T.children, cohort.T.children
    with _connect(conn) as c:
        rows = c.execute(select(refs.c.child_id, refs.c.reference)
                         .join(ch, ch.c.child_id == refs.c.child_id)
                         .where(refs.c.child_id.in_(ids), refs.c.council_id == str(council_id),
                                ch.c.erased.is_(False))).all()
    return {UUID(child_id): reference for child_id, reference in rows}


__all__ = [
    "DEFAULT_RELEASE_COUNT", "HomeFit", "HomeRow", "LeftOut", "ProfilePreview", "ProviderFit", "ProviderFits",
    "ProviderRow", "child_references", "location_matches", "placed_at_homes", "providers_by_fit", "rank_providers", "referral_preview",
]
