"""Realistic data for projection tests, built only through the application's commands (the
same ones users call): councils with a banding policy and fees, providers with homes,
children with assessments, referrals with offers, placements with their history.

Each helper takes the application service (`ledger.app`) and returns the id it made.
History is recorded with `domain.clock.recorded_at`, as the seed and the import do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

from domain import clock
from domain.base import Actor
from domain.fees import NORFOLK_2024_FOSTERING
from domain.needs import DOMAIN_KEYS

SYSTEM = Actor.system("test")
POLICY_FROM = date(2024, 4, 1)


def scores(base: int = 2, **overrides: int) -> dict[str, int]:
    """Every domain at `base`, with the named ones overridden."""
    values = dict.fromkeys(DOMAIN_KEYS, base)
    values.update(overrides)
    return values


def capacity(base: int = 6, **overrides: int) -> dict[str, int]:
    """A home's capacity profile: the highest score it is ready to meet, per domain."""
    return scores(base, **overrides)


def commissioner(council: UUID) -> Actor:
    return Actor(user_id=f"commissioner@{council}", org_id=str(council), role="commissioner")


def social_worker(council: UUID) -> Actor:
    return Actor(user_id=f"social.worker@{council}", org_id=str(council), role="social_worker")


def provider_user(provider: UUID) -> Actor:
    return Actor(user_id=f"bids@{provider}", org_id=str(provider), role="provider")


def today() -> date:
    return clock.today()


def council(app, code: str = "NFK", name: str = "Norfolk", *, policy: Mapping | None = None,
            policy_from: date = POLICY_FROM, fees: Mapping[str, Decimal] | None = None,
            place_codes: Iterable[str] = ("U4", "U6")) -> UUID:
    """A council with a banding policy (count-based by default) and a fee schedule for the
    given placement types (Norfolk's 2024 carer fees by default), all from April 2024."""
    cid = app.register_council(code, name, "East of England", SYSTEM)
    app.adopt_banding_policy(cid, dict(policy or {"kind": "count"}), policy_from, commissioner(cid))
    for code_ in place_codes:
        for band, fee in (fees or NORFOLK_2024_FOSTERING).items():
            app.set_fee(cid, code_, band, fee, policy_from, commissioner(cid))
    return cid


def provider(app, ref: str, name: str | None = None, *, kind: str = "PR4",
             place_codes: Iterable[str] = ("U4", "U6", "K2")) -> UUID:
    return app.register_provider(ref, name or f"{ref.title()} Fostering", kind, f"SC{sum(map(ord, ref)):06d}",
                                 list(place_codes), "East of England", SYSTEM)


def home(app, provider_id: UUID, ref: str = "H1", *, name: str | None = None, place_codes: Iterable[str] = ("U4",),
         places: int = 2, capacity_profile: Mapping[str, int] | None = None, location: str = "Norwich") -> UUID:
    return app.add_home(provider_id, ref, name or f"Home {ref}", list(place_codes), places,
                        dict(capacity_profile or capacity()), location, provider_user(provider_id))


def child(app, council_id: UUID, reference: str, *, date_of_birth: date = date(2012, 5, 14), sex: str = "male",
          ethnicity: str = "WBRI", registered_on: date | None = None) -> UUID:
    def register() -> UUID:
        return app.register_child(council_id, reference, date_of_birth, sex, ethnicity, False, False, False,
                                  social_worker(council_id))

    if registered_on is None:
        return register()
    with clock.recorded_at(registered_on):
        return register()


def assess(app, child_id: UUID, effective: date, profile: Mapping[str, int], *, recorded: date | None = None,
           council_id: UUID | None = None) -> UUID:
    """A needs assessment effective on `effective`, recorded on `recorded` (default: the
    same day when it is in the past, else now)."""
    by = social_worker(council_id) if council_id is not None else SYSTEM
    when = recorded if recorded is not None else (effective if effective < today() else None)

    def record() -> UUID:
        return app.assess_needs(child_id, effective, dict(profile), by, strengths=["Loves football", "Kind to others"],
                                aspirations=["To stay at the same school"], contributors=["child", "social_worker"],
                                child_voice="I want to see my brother", assessor="A. Worker")

    if when is None:
        return record()
    with clock.recorded_at(when):
        return record()


def referral(app, child_id: UUID, council_id: UUID, *, place_codes: Iterable[str] = ("U4",),
             needed_in_days: int = 14, location: str = "Norwich",
             summary: str = "Needs a stable long-term foster home near school") -> UUID:
    return app.raise_referral(child_id, list(place_codes), today() + timedelta(days=needed_in_days), location,
                              summary, commissioner(council_id))


def release(app, referral_id: UUID, council_id: UUID, providers: Iterable[UUID], *, closes_in_days: int = 7) -> None:
    closes = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=closes_in_days)
    app.release_referral(referral_id, list(providers), closes, commissioner(council_id))


def how_needs_met(app, referral_id: UUID) -> dict[str, str]:
    """An answer for every need at moderate or above, as the offer form asks."""
    profile = app.get_referral(referral_id).profile
    return {k: f"Our plan for {k.replace('_', ' ')}" for k, s in profile.items() if s >= 4}


def offer(app, referral_id: UUID, provider_id: UUID, home_id: UUID, price: str, *,
          start_in_days: int = 14, note: str = "") -> UUID:
    return app.make_offer(referral_id, provider_id, home_id, Decimal(price), today() + timedelta(days=start_in_days),
                          how_needs_met(app, referral_id), provider_user(provider_id), note=note)


def past_placement(app, child_id: UUID, provider_id: UUID, start: date, end: date | None = None, *,
                   place_code: str = "U4", home_id: UUID | None = None, recorded: date | None = None) -> UUID:
    """A placement recorded directly (as the SSDA903 import does), ended when `end` is given."""
    def record() -> UUID:
        return app.start_placement(child_id, provider_id, place_code, start, "banded", None, SYSTEM, home=home_id,
                                   end_date=end, end_reason="X1" if end else "")

    with clock.recorded_at(recorded or start):
        return record()


def end_placement(app, placement_id: UUID, end: date, *, recorded: date | None = None) -> None:
    with clock.recorded_at(recorded or end):
        app.end_placement(placement_id, end, "E4A", SYSTEM)


def shifted(profile: Mapping[str, int], change: int) -> dict[str, int]:
    """The profile with its total moved by `change`, one point per domain at a time, in
    domain order (so the figures can be worked out by hand)."""
    out = dict(profile)
    step = 1 if change > 0 else -1
    remaining = abs(change)
    while remaining:
        moved = False
        for key in DOMAIN_KEYS:
            if remaining and 0 <= out[key] + step <= 10:
                out[key] += step
                remaining -= 1
                moved = True
        if not moved:
            raise ValueError(f"cannot move the total by {change}")
    return out


def children_placed_with(app, council_id: UUID, provider_id: UUID, changes: Iterable[int], *, prefix: str = "T",
                         start: date = date(2024, 1, 1), end: date = date(2024, 12, 31),
                         base: Mapping[str, int] | None = None) -> list[UUID]:
    """One child per change: placed with the provider from `start` to `end` (365 days in
    2024), assessed a month before the start (total 65 by default) and a month before the
    end, the second assessment's total moved by the change."""
    made = []
    baseline = dict(base or scores(5))
    for n, change in enumerate(changes, 1):
        kid = child(app, council_id, f"{prefix}{n:03d}", registered_on=start - timedelta(days=60))
        assess(app, kid, start - timedelta(days=31), baseline)
        placement = past_placement(app, kid, provider_id, start)
        assess(app, kid, end - timedelta(days=30), shifted(baseline, change))
        end_placement(app, placement, end)
        made.append(kid)
    return made


# -- cohort insight and payment schedules (test_cohort.py, test_insight.py, test_schedules.py) --


def needs(severe: int = 0, moderate: int = 0, minor: int = 1) -> dict[str, int]:
    """A profile with `severe` domains at 8, the next `moderate` at 5 and the rest at
    `minor`: total 8 x severe + 5 x moderate + minor x the rest."""
    values = [8] * severe + [5] * moderate
    values += [minor] * (len(DOMAIN_KEYS) - len(values))
    return dict(zip(DOMAIN_KEYS, values))


def registered_child(app, council_id: UUID, reference: str, *, date_of_birth: date = date(2012, 5, 14),
                     sex: str = "male", ethnicity: str = "WBRI", disability: bool = False, ehcp: bool = False,
                     excluded: bool = False, registered_on: date = date(2024, 1, 2)) -> UUID:
    """A child with the characteristics insight reports by, recorded on `registered_on`."""
    with clock.recorded_at(registered_on):
        return app.register_child(council_id, reference, date_of_birth, sex, ethnicity, disability, ehcp, excluded,
                                  social_worker(council_id))


def spot_placement(app, child_id: UUID, provider_id: UUID, start: date, weekly_rate: str, *,
                   end: date | None = None, place_code: str = "U4", recorded: date | None = None) -> UUID:
    """A placement at an agreed weekly rate, recorded on `recorded` (default: its start)."""
    with clock.recorded_at(recorded or start):
        return app.start_placement(child_id, provider_id, place_code, start, "spot", Decimal(weekly_rate), SYSTEM,
                                   end_date=end, end_reason="X1" if end else "")


def vary_spot_rate(app, placement_id: UUID, weekly_rate: str, effective: date, *, recorded: date | None = None) -> None:
    with clock.recorded_at(recorded or effective):
        app.vary_placement_fee(placement_id, Decimal(weekly_rate), effective, "Annual uplift", SYSTEM)


def set_fee(app, council_id: UUID, place_code: str, band: str, weekly_fee: str, effective: date, *,
            provider_id: UUID | None = None, recorded: date | None = None) -> None:
    """A fee in the council's schedule (or a provider's framework schedule with the council)."""
    with clock.recorded_at(recorded or min(effective, today())):
        app.set_fee(council_id, place_code, band, Decimal(weekly_fee), effective, commissioner(council_id),
                    provider=provider_id)


def withdraw_fee(app, council_id: UUID, place_code: str, band: str, effective: date, *,
                 provider_id: UUID | None = None, recorded: date | None = None) -> None:
    with clock.recorded_at(recorded or min(effective, today())):
        app.withdraw_fee(council_id, place_code, band, effective, commissioner(council_id), provider=provider_id)


def correct_assessment(app, child_id: UUID, assessment_id: UUID, profile: Mapping[str, int], *,
                       recorded: date, reason: str = "Scores entered against the wrong domains") -> None:
    with clock.recorded_at(recorded):
        app.correct_assessment(child_id, assessment_id, dict(profile), reason, SYSTEM)
