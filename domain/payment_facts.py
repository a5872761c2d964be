"""What a payment run reads, taken from the aggregates: the bridge between the records
(Child, Placement, FeeSchedule, Council, PaymentRun) and the pure calculation in
domain/payments.py. Also the stored form of a line (PaymentRun events hold plain dicts)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from domain.calendar import Period
from domain.children import Child
from domain.councils import Council
from domain.fees import FeeSchedule
from domain.needs import NeedsProfile, policy_from_dict
from domain.payment_runs import PaymentRun
from domain.payments import (
    ApprovedRun,
    AssessmentFact,
    FeeFact,
    Line,
    PlacementFact,
    PolicyFact,
    RateFact,
    Unpriced,
)
from domain.placements import Placement


def assessment_facts(child: Child) -> list[AssessmentFact]:
    return [
        AssessmentFact(
            assessment_id=str(a["assessment_id"]), child_id=str(child.id), effective_date=a["effective_date"],
            recorded_at=a["recorded_at"], profile=NeedsProfile(a["scores"], a["framework_version"]),
            changed_at=a["changed_at"] if a["changed_at"] != a["recorded_at"] else None, event_ref=a["event_ref"],
        )
        for a in child.assessments.values()
    ]


def policy_facts(council: Council) -> list[PolicyFact]:
    return [
        PolicyFact(effective_from=p["effective_from"], policy=policy_from_dict(p["policy"]),
                   recorded_at=p["recorded_at"], event_ref=p["event_ref"])
        for p in council.policies
    ]


def fee_facts(schedule: FeeSchedule) -> list[FeeFact]:
    provider = str(schedule.provider_id) if schedule.provider_id else None
    return [
        FeeFact(provider_id=provider, place_code=e["place_code"], band=e["band"], weekly_fee=e["weekly_fee"],
                effective_from=e["effective_from"], recorded_at=e["recorded_at"], event_ref=e["event_ref"])
        for e in schedule.entries
    ]


def placement_fact(placement: Placement) -> PlacementFact:
    return PlacementFact(
        placement_id=str(placement.id), child_id=str(placement.child_id), provider_id=str(placement.provider_id),
        place_code=placement.place_code, pricing=placement.pricing, start=placement.start_date,
        started_recorded_at=placement.created_on, end=placement.end_date, end_recorded_at=placement.end_recorded_at,
        rates=tuple(RateFact(effective_from=r["effective_from"], weekly_rate=r["weekly_rate"],
                             recorded_at=r["recorded_at"], event_ref=r["event_ref"]) for r in placement.rates),
    )


_LINE_FIELDS = [f.name for f in fields(Line)]


def line_to_dict(line: Line) -> dict[str, Any]:
    data = asdict(line)
    data["causes"] = list(line.causes)
    return data


def line_from_dict(data: dict[str, Any]) -> Line:
    values = {name: data[name] for name in _LINE_FIELDS if name in data}
    values["causes"] = tuple(data.get("causes") or ())
    return Line(**values)


def unpriced_to_dict(item: Unpriced) -> dict[str, Any]:
    return asdict(item)


def approved_run(run: PaymentRun) -> ApprovedRun:
    assert run.approved_at is not None
    return ApprovedRun(run_id=str(run.id), period=Period(run.period_start, run.period_end),
                       calculated_at=run.created_on, approved_at=run.approved_at,
                       lines=tuple(line_from_dict(d) for d in run.lines))
