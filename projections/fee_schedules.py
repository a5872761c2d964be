"""Fee schedules and banding policies as a commissioner reads them, and what a proposed
change would do, all from the cohort read model's tables (projections/cohort.py) without
loading an aggregate.

Queries:
- `fee_schedules`, `fee_entries`, `schedule_owners`: a council's own schedule and its
  providers' framework schedules, and every entry ever recorded in them (a set fee or a
  withdrawal, effective from a date);
- `policy_entries`: the council's banding policies, in the order they were adopted.
Pure helpers: `fees_in_force`, `upcoming_fees`, `policy_in_force`.

The impact of a proposed change (`impact_of_fee`, `impact_of_policy`) is a replay, never an
edit: the cohort on the night the change takes effect (`cohort_as_at`), each banded
placement priced twice by the domain's own rule (`domain.payments.weekly_rate_on`), once
with the policies and fees as recorded and once with the proposed fee or policy added as
the latest-recorded fact. Spot placements do not follow fees or bands, so they count in
the weekly spend unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from domain import clock
from domain.money import ZERO
from domain.needs import DOMAIN_KEYS, BandingPolicy, NeedsProfile, policy_from_dict
from domain.payments import (
    BANDED,
    AssessmentFact,
    BandingPolicies,
    FeeFact,
    FeeSchedules,
    PlacementFact,
    PolicyFact,
    Price,
    weekly_rate_on,
)
from projections import schedules
from projections.cohort import T, CohortRow, cohort_as_at
from projections.sql import pounds, utc as aware
from projections.sql import connect as _connected

WEEKS_IN_YEAR = 52  # as projections/insight.py: an annual figure is 52 weeks

# ---------------------------------------------------------------------------------------
# Schedules and their entries


@dataclass(frozen=True)
class Schedule:
    schedule_id: str
    council_id: str
    provider_id: str | None  # None: the council's own schedule
    provider_ref: str | None
    provider_name: str | None

    @property
    def is_council(self) -> bool:
        return self.provider_id is None


@dataclass(frozen=True)
class FeeEntry:
    """One recorded statement in a schedule: from `effective_from`, the weekly fee for
    (placement type, band) is `weekly_fee` (None: withdrawn, no fee from that date)."""

    schedule_id: str
    provider_id: str | None
    place_code: str
    band: str
    weekly_fee: Decimal | None
    effective_from: date
    recorded_at: datetime
    position: int

    @property
    def withdrawn(self) -> bool:
        return self.weekly_fee is None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.schedule_id, self.place_code, self.band)


def fee_schedules(conn: Connection, council_id: UUID | str) -> list[Schedule]:
    """The council's own schedule (if it has one) first, then its providers' framework
    schedules by provider name."""
    s, p = T.fee_schedules.c, T.providers.c
    rows = conn.execute(select(s.schedule_id, s.council_id, s.provider_id, p.ref, p.name)
                        .select_from(T.fee_schedules.outerjoin(T.providers, p.provider_id == s.provider_id))
                        .where(s.council_id == str(council_id))).all()
    found = [Schedule(*row) for row in rows]
    return sorted(found, key=lambda x: (not x.is_council, (x.provider_name or "").lower(), x.provider_ref or ""))


def schedule(conn: Connection, schedule_id: UUID | str) -> Schedule | None:
    s, p = T.fee_schedules.c, T.providers.c
    row = conn.execute(select(s.schedule_id, s.council_id, s.provider_id, p.ref, p.name)
                       .select_from(T.fee_schedules.outerjoin(T.providers, p.provider_id == s.provider_id))
                       .where(s.schedule_id == str(schedule_id))).first()
    return None if row is None else Schedule(*row)


def schedule_owners(conn: Connection | Engine, schedule_id: UUID | str) -> str | None:
    """The council a fee schedule belongs to (a provider's framework schedule is the
    council's too: the council sets it), or None: the portal's scope check."""
    with _connected(conn) as c:
        return c.execute(select(T.fee_schedules.c.council_id)
                         .where(T.fee_schedules.c.schedule_id == str(schedule_id))).scalar_one_or_none()


def fee_entries(conn: Connection, council_id: UUID | str, schedule_id: UUID | str | None = None) -> list[FeeEntry]:
    """Every entry of the council's schedules (of one, with `schedule_id`), in the order
    they were recorded."""
    f = T.fees.c
    q = select(f.schedule_id, f.provider_id, f.place_code, f.band, f.weekly_fee_pence, f.effective_from,
               f.recorded_at, f.position).where(f.council_id == str(council_id))
    if schedule_id is not None:
        q = q.where(f.schedule_id == str(schedule_id))
    return [FeeEntry(sid, provider, code, band, pounds(fee), effective, aware(recorded), position)  # type: ignore[arg-type]
            for sid, provider, code, band, fee, effective, recorded, position in conn.execute(q.order_by(f.position))]


def _in_force_order(entry: FeeEntry) -> tuple[date, datetime, int]:
    # As domain.payments' fee timelines: the latest effective on or before the night; of
    # several effective the same day, the latest recorded.
    return (entry.effective_from, entry.recorded_at, entry.position)


def fees_in_force(entries: list[FeeEntry], on: date) -> list[FeeEntry]:
    """The fee in force on a night for each (schedule, placement type, band) that has one
    (a withdrawn fee is not in force), by schedule, placement type and band."""
    latest: dict[tuple[str, str, str], FeeEntry] = {}
    for e in entries:
        if e.effective_from <= on:
            seen = latest.get(e.key)
            if seen is None or _in_force_order(e) > _in_force_order(seen):
                latest[e.key] = e
    return sorted((e for e in latest.values() if not e.withdrawn), key=lambda e: e.key)


def upcoming_fees(entries: list[FeeEntry], after: date) -> list[FeeEntry]:
    """Entries that take effect after a night, soonest first."""
    return sorted((e for e in entries if e.effective_from > after), key=_in_force_order)


# ---------------------------------------------------------------------------------------
# Banding policies


@dataclass(frozen=True)
class PolicyEntry:
    effective_from: date
    policy: BandingPolicy
    recorded_at: datetime
    position: int
    superseded: bool  # a later adoption for the same date replaced it

    @property
    def bands(self) -> tuple[str, ...]:
        return self.policy.bands


def policy_entries(conn: Connection, council_id: UUID | str) -> list[PolicyEntry]:
    """The council's banding policy adoptions, by effective date (then as recorded)."""
    pol = T.policies.c
    rows = conn.execute(select(pol.effective_from, pol.policy, pol.recorded_at, pol.position)
                        .where(pol.council_id == str(council_id)).order_by(pol.position)).all()
    last_for_date = {effective: position for effective, _, _, position in rows}
    entries = [PolicyEntry(effective, policy_from_dict(json.loads(policy)), aware(recorded), position,  # type: ignore[arg-type]
                           superseded=last_for_date[effective] != position)
               for effective, policy, recorded, position in rows]
    return sorted(entries, key=lambda e: (e.effective_from, e.position))


def policy_in_force(entries: list[PolicyEntry], on: date) -> PolicyEntry | None:
    """The policy in force on a night: the latest effective on or before it (as Council.policy_history)."""
    current = [e for e in entries if e.effective_from <= on and not e.superseded]
    return current[-1] if current else None


# ---------------------------------------------------------------------------------------
# The impact of a proposed change


@dataclass(frozen=True)
class ProposedFee:
    """Set (`weekly_fee`) or withdraw (None) a fee in the council's schedule or, with
    `provider_id`, in that provider's framework schedule."""

    place_code: str
    band: str
    weekly_fee: Decimal | None
    effective_from: date
    provider_id: str | None = None


@dataclass(frozen=True)
class ProposedPolicy:
    policy: BandingPolicy
    effective_from: date


@dataclass(frozen=True)
class RateChange:
    """A placement whose band or weekly rate would change on the night the change takes effect."""

    child_id: str
    child_ref: str | None
    placement_id: str
    provider_id: str
    provider_ref: str | None
    provider_name: str | None
    place_code: str
    old_band: str | None
    old_rate: Decimal | None  # None: could not be priced
    old_reason: str | None
    new_band: str | None
    new_rate: Decimal | None
    new_reason: str | None

    @property
    def difference(self) -> Decimal:
        return (self.new_rate or ZERO) - (self.old_rate or ZERO)


@dataclass(frozen=True)
class Impact:
    as_at: date  # the night the change takes effect
    placements: int  # children in a placement that night
    banded: int  # of them, paid by band
    changes: list[RateChange]
    weekly_spend_before: Decimal
    weekly_spend_after: Decimal

    @property
    def weekly_difference(self) -> Decimal:
        return self.weekly_spend_after - self.weekly_spend_before

    @property
    def annual_difference(self) -> Decimal:
        return self.weekly_difference * WEEKS_IN_YEAR

    @property
    def newly_unpriced(self) -> list[RateChange]:
        return [c for c in self.changes if c.new_rate is None and c.old_rate is not None]


_LONG_AGO = datetime(2000, 1, 1, tzinfo=timezone.utc)  # when the replay's placements and assessments "were recorded"


def _recorded_facts(conn: Connection, council_id: str) -> tuple[list[PolicyFact], list[FeeFact], datetime]:
    policies = [PolicyFact(effective_from=e.effective_from, policy=e.policy, recorded_at=e.recorded_at,
                           event_ref=f"policy {e.position}")
                for e in policy_entries(conn, council_id)]
    fees = [FeeFact(provider_id=e.provider_id, place_code=e.place_code, band=e.band, weekly_fee=e.weekly_fee,
                    effective_from=e.effective_from, recorded_at=e.recorded_at, event_ref=f"fee {e.position}")
            for e in fee_entries(conn, council_id)]
    latest = max([clock.now(), *(p.recorded_at for p in policies), *(f.recorded_at for f in fees)])
    # The proposal is recorded after everything: of two facts effective the same day, it wins.
    return policies, fees, latest + timedelta(microseconds=1)


def impact_of_fee(conn: Connection, council_id: UUID | str, change: ProposedFee) -> Impact:
    """What setting or withdrawing a fee would change, on the night it takes effect."""
    policies, fees, proposed_at = _recorded_facts(conn, str(council_id))
    proposed = FeeFact(provider_id=change.provider_id, place_code=change.place_code, band=change.band,
                       weekly_fee=change.weekly_fee, effective_from=change.effective_from,
                       recorded_at=proposed_at, event_ref="proposed fee")
    return _impact(conn, str(council_id), change.effective_from, BandingPolicies(policies), FeeSchedules(fees),
                   BandingPolicies(policies), FeeSchedules([*fees, proposed]))


def impact_of_policy(conn: Connection, council_id: UUID | str, change: ProposedPolicy) -> Impact:
    """What adopting a banding policy would change, on the night it takes effect."""
    policies, fees, proposed_at = _recorded_facts(conn, str(council_id))
    proposed = PolicyFact(effective_from=change.effective_from, policy=change.policy, recorded_at=proposed_at,
                          event_ref="proposed policy")
    fee_index = FeeSchedules(fees)
    return _impact(conn, str(council_id), change.effective_from, BandingPolicies(policies), fee_index,
                   BandingPolicies([*policies, proposed]), fee_index)


def _impact(conn: Connection, council_id: str, night: date, policies_before: BandingPolicies,
            fees_before: FeeSchedules, policies_after: BandingPolicies, fees_after: FeeSchedules) -> Impact:
    rows = cohort_as_at(conn, council_id, night)
    before_total = after_total = ZERO
    changed: list[tuple[CohortRow, Price, Price]] = []
    banded = 0
    for row in rows:
        if row.pricing != BANDED:
            before_total += row.weekly_cost
            after_total += row.weekly_cost
            continue
        banded += 1
        placement = PlacementFact(placement_id=row.placement_id, child_id=row.child_id, provider_id=row.provider_id,
                                  place_code=row.place_code, pricing=BANDED, start=row.placement_start,
                                  started_recorded_at=_LONG_AGO)
        assessments = [] if row.scores is None else [AssessmentFact(
            assessment_id=row.assessment_id or "", child_id=row.child_id, effective_date=row.assessment_date,
            recorded_at=_LONG_AGO, profile=NeedsProfile(dict(zip(DOMAIN_KEYS, row.scores))))]
        before = weekly_rate_on(night, placement, assessments, policies_before, fees_before)
        after = weekly_rate_on(night, placement, assessments, policies_after, fees_after)
        before_total += before.weekly_rate or ZERO
        after_total += after.weekly_rate or ZERO
        if (before.band, before.weekly_rate) != (after.band, after.weekly_rate):
            changed.append((row, before, after))
    refs = _child_refs(conn, [row.child_id for row, _, _ in changed])
    providers = _providers(conn, {row.provider_id for row, _, _ in changed})
    changes = [RateChange(
        child_id=row.child_id, child_ref=refs.get(row.child_id), placement_id=row.placement_id,
        provider_id=row.provider_id, provider_ref=providers.get(row.provider_id, (None, None))[0],
        provider_name=providers.get(row.provider_id, (None, None))[1], place_code=row.place_code,
        old_band=before.band, old_rate=before.weekly_rate, old_reason=before.unpriced_reason,
        new_band=after.band, new_rate=after.weekly_rate, new_reason=after.unpriced_reason,
    ) for row, before, after in changed]
    changes.sort(key=lambda c: ((c.provider_name or "").lower(), c.child_ref or "", c.placement_id))
    return Impact(night, len(rows), banded, changes, before_total, after_total)


def _child_refs(conn: Connection, child_ids: list[str]) -> dict[str, str]:
    """The council's own references for children (the schedules view keeps them: finance
    and commissioners name children by them, never by name)."""
    ch = schedules.T.children.c
    found: dict[str, str] = {}
    for start in range(0, len(child_ids), 500):
        chunk = child_ids[start:start + 500]
        found.update(conn.execute(select(ch.child_id, ch.reference).where(ch.child_id.in_(chunk))).all())
    return found


def _providers(conn: Connection, provider_ids: set[str]) -> dict[str, tuple[str, str]]:
    p = T.providers.c
    if not provider_ids:
        return {}
    return {pid: (ref, name) for pid, ref, name in
            conn.execute(select(p.provider_id, p.ref, p.name).where(p.provider_id.in_(sorted(provider_ids)))).all()}


def providers(conn: Connection) -> list[tuple[str, str, str]]:
    """Every registered provider as (provider_id, ref, name), by name: who a council can
    give a framework schedule."""
    p = T.providers.c
    return [tuple(r) for r in conn.execute(select(p.provider_id, p.ref, p.name).order_by(p.name, p.ref))]  # type: ignore[misc]
