"""The cohort read model: who is placed where, at what weekly rate, with what needs, on
any night, as the record stands now or as it stood on an earlier day.

Tables (normalised, effective-dated, each row carrying the day it was recorded, so that
"as at" and "as known on" are both answered without reading the event store):
councils, providers, children (characteristics; personal fields cleared on erasure),
placements (provider kind PR0-PR5, place code and group, span, pricing), spot rates (the
agreed rate and every variation), assessments (13 scores with total and counts; a
correction replaces the scores and keeps the ones it replaced in score history), banding
policies, fee schedules and their entries.

Assessments and spot rates also carry the date the next one takes effect (kept up to date
as they arrive, in any order), so the one in force on a night is a plain range test and no
GROUP BY over the whole history is needed.

The query `cohort_as_at` gives one `CohortRow` per child in a placement on a night. As the
record stands, it is one SELECT that follows indexes out from the placements open that
night (so its cost grows with the cohort, not with the years of history), plus the
council's policies and fees; children are banded with the domain's own pieces
(`PolicyHistory`, `policy_from_dict`, the policies' `band_for`). A national cohort
(~82,000 children) is drawn in about a second on SQLite. As known on an earlier day it
takes a few more SELECTs.

Money is stored as whole pence (exact on SQLite and PostgreSQL alike) and returned as
`Decimal` pounds. Ids are stored as UUID strings.
"""

from __future__ import annotations

import gc
import json
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, NamedTuple
from uuid import UUID
from weakref import WeakKeyDictionary

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from domain.children import Child
from domain.codes import place_group
from domain.councils import Council
from domain.fees import FeeSchedule
from domain.money import ZERO
from domain.needs import DOMAIN_KEYS, NeedsProfile, PolicyHistory, PolicyVersion, policy_from_dict
from domain.payments import BANDED, NO_ASSESSMENT, NO_POLICY, NO_SPOT_RATE, SPOT
from domain.placements import Placement
from domain.providers import Provider
from projections.base import METADATA, View, handles, positions
from projections.sql import connect as _connected, pence, utc as aware

IN_HOUSE_KIND = "PR1"


# ---------------------------------------------------------------------------------------
# Helpers shared with the other views


def upsert(conn: Connection, table: Table, rows: dict[str, Any] | list[dict[str, Any]]) -> None:
    """Insert rows, or overwrite the non-key columns of rows with the same primary key:
    applying an event twice leaves the same rows as applying it once. (The schedules
    view's handlers write with it; this module's own work on copies, `View.rows`.)"""
    rows = rows if isinstance(rows, list) else [rows]
    if not rows:
        return
    keys = [c.name for c in table.primary_key.columns]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    others = [name for name in rows[0] if name not in keys]
    if others:
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_={name: stmt.excluded[name] for name in others})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    conn.execute(stmt, rows)


def ident(value: UUID | str | None) -> str | None:
    return None if value is None else str(value)


def age_on(date_of_birth: date, on: date) -> int:
    """Whole years (a birthday counts on the day itself), as `Child.age_on`."""
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))


# ---------------------------------------------------------------------------------------
# Tables


def _scores_columns() -> list[Column]:
    return [Column(key, SmallInteger, nullable=False) for key in DOMAIN_KEYS]


def make_tables(metadata: MetaData, suffix: str = "") -> SimpleNamespace:
    councils = Table(
        f"cohort_councils{suffix}", metadata,
        Column("council_id", String(36), primary_key=True),
        Column("code", String(10), nullable=False),
        Column("name", String(200), nullable=False),
        Index(f"ix_cohort_councils_code{suffix}", "code"),
    )
    providers = Table(
        f"cohort_providers{suffix}", metadata,
        Column("provider_id", String(36), primary_key=True),
        Column("ref", String(30), nullable=False),
        Column("name", String(200), nullable=False),
        Column("kind", String(3), nullable=False),
        Column("council_id", String(36), nullable=True),  # the council whose in-house service it is
    )
    children = Table(
        f"cohort_children{suffix}", metadata,
        Column("child_id", String(36), primary_key=True),
        Column("council_id", String(36), nullable=False),
        # Personal fields: cleared (None) when the child's record is erased.
        Column("date_of_birth", Date, nullable=True),
        Column("sex", String(10), nullable=True),  # "male" or "female"
        Column("ethnicity", String(4), nullable=True),
        Column("disability", Boolean, nullable=True),
        Column("ehcp", Boolean, nullable=True),
        Column("excluded", Boolean, nullable=True),
        Column("erased", Boolean, nullable=False),
        Column("first_start", Date, nullable=True),  # the start of the child's first placement
        Column("recorded_on", Date, nullable=False),
        # The log position of the last event that changed anything of this child's that
        # `cohort_as_at` reads (its row, placements, assessments, rates): a kept cohort
        # is brought up to date by reading again only the children changed since.
        Column("changed_at", BigInteger, nullable=False),
        Index(f"ix_cohort_children_council{suffix}", "council_id"),
        Index(f"ix_cohort_children_changed{suffix}", "changed_at"),
    )
    placements = Table(
        f"cohort_placements{suffix}", metadata,
        Column("placement_id", String(36), primary_key=True),
        Column("child_id", String(36), nullable=False),
        Column("council_id", String(36), nullable=False),
        Column("provider_id", String(36), nullable=False),
        Column("provider_kind", String(3), nullable=False),  # PLACE_PROVIDER, PR0-PR5
        Column("in_house", Boolean, nullable=False),  # PR1: the council's own provision
        Column("place_code", String(2), nullable=False),
        Column("place_group", String(12), nullable=False),  # domain.codes.place_group
        Column("pricing", String(6), nullable=False),
        Column("start_date", Date, nullable=False),
        Column("end_date", Date, nullable=True),
        Column("started_on", Date, nullable=False),  # the day the start was recorded
        Column("end_recorded_on", Date, nullable=True),
        Index(f"ix_cohort_placements_council{suffix}", "council_id"),
        Index(f"ix_cohort_placements_child{suffix}", "child_id", "start_date"),
        # Finds the placements still open on a night without reading the ended ones.
        Index(f"ix_cohort_placements_end{suffix}", "end_date"),
    )
    spot_rates = Table(
        f"cohort_spot_rates{suffix}", metadata,
        Column("placement_id", String(36), primary_key=True),
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("effective_from", Date, nullable=False),
        # When the next rate takes effect (None: none yet). A later-recorded rate for the
        # same day supersedes: the earlier one's range is then empty.
        Column("next_from", Date, nullable=True),
        Column("weekly_rate_pence", BigInteger, nullable=False),
        Column("recorded_on", Date, nullable=False),
    )
    assessments = Table(
        f"cohort_assessments{suffix}", metadata,
        Column("assessment_id", String(36), primary_key=True),
        Column("child_id", String(36), nullable=False),
        Column("council_id", String(36), nullable=False),
        Column("effective_date", Date, nullable=False),
        Column("next_effective", Date, nullable=True),  # the child's next assessment's date
        Column("framework_version", String(20), nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Column("recorded_on", Date, nullable=False),
        Column("changed_on", Date, nullable=False),  # the day the scores were last set (a correction)
        *_scores_columns(),
        # The 13 scores again, packed one byte each in DOMAIN_KEYS order: a national cohort's
        # bulk read takes one column instead of thirteen.
        Column("scores", LargeBinary(len(DOMAIN_KEYS)), nullable=False),
        Column("total", SmallInteger, nullable=False),
        Column("severe_count", SmallInteger, nullable=False),
        Column("action_needed_count", SmallInteger, nullable=False),
        Index(f"ix_cohort_assessments_child_effective{suffix}", "child_id", "effective_date", unique=True),
        Index(f"ix_cohort_assessments_council{suffix}", "council_id"),
    )
    # Scores a correction replaced: `superseded_on` is the day the correction was recorded.
    score_history = Table(
        f"cohort_score_history{suffix}", metadata,
        Column("assessment_id", String(36), primary_key=True),
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("superseded_on", Date, nullable=False),
        *_scores_columns(),
    )
    policies = Table(
        f"cohort_policies{suffix}", metadata,
        Column("council_id", String(36), primary_key=True),
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("effective_from", Date, nullable=False),
        Column("policy", Text, nullable=False),  # JSON, as domain.needs.policy_from_dict reads it
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Column("recorded_on", Date, nullable=False),
    )
    fee_schedules = Table(
        f"cohort_fee_schedules{suffix}", metadata,
        Column("schedule_id", String(36), primary_key=True),
        Column("council_id", String(36), nullable=False),
        Column("provider_id", String(36), nullable=True),  # None: the council's own schedule
    )
    fees = Table(
        f"cohort_fees{suffix}", metadata,
        Column("schedule_id", String(36), primary_key=True),
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("council_id", String(36), nullable=False),
        Column("provider_id", String(36), nullable=True),
        Column("place_code", String(2), nullable=False),
        Column("band", String(20), nullable=False),
        Column("weekly_fee_pence", BigInteger, nullable=True),  # None: withdrawn from that date
        Column("effective_from", Date, nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Column("recorded_on", Date, nullable=False),
        Index(f"ix_cohort_fees_council{suffix}", "council_id"),
    )
    return SimpleNamespace(
        councils=councils, providers=providers, children=children, placements=placements, spot_rates=spot_rates,
        assessments=assessments, score_history=score_history, policies=policies, fee_schedules=fee_schedules,
        fees=fees,
    )


T = make_tables(METADATA)


# ---------------------------------------------------------------------------------------
# The projection


def _recorded(event: Any) -> dict[str, Any]:
    return {"recorded_at": event.timestamp, "recorded_on": event.timestamp.date()}


def _profile_columns(scores: dict[str, int], framework_version: str) -> dict[str, int]:
    profile = NeedsProfile(dict(scores), framework_version)
    return {**{key: int(scores[key]) for key in DOMAIN_KEYS}, "scores": bytes(int(scores[key]) for key in DOMAIN_KEYS),
            "total": profile.total,
            "severe_count": profile.severe_count, "action_needed_count": profile.action_needed_count}


class CohortView(View):
    name = "cohort"
    make_tables = staticmethod(make_tables)
    tables = T
    # Every table is worked on in memory (projections/rows.py): a few SQL statements an
    # event were most of a rebuild's time. Rows are looked up by a child's placements (for
    # the first start) and assessments, and by a placement's spot rates: a new assessment
    # or rate is placed among the others, which carry when the next one takes effect.
    worked = {
        "councils": (), "providers": (), "children": (), "placements": ("child_id",),
        "spot_rates": ("placement_id",), "assessments": ("child_id",), "fee_schedules": (),
    }
    # Never read or changed here, and keyed by the event's position, so never written twice.
    appended = ("policies", "score_history", "fees")

    # -- councils, providers -------------------------------------------------------------

    @handles(Council.Registered)
    def council_registered(self, conn: Connection, e: Council.Registered, position: int) -> None:
        # `put`, as the upsert it replaces: applying the event twice leaves the same row.
        self.rows.councils.put(conn, {"council_id": str(e.originator_id), "code": e.code, "name": e.name})

    @handles(Council.Renamed)
    def council_renamed(self, conn: Connection, e: Council.Renamed, position: int) -> None:
        self.rows.councils.update_if_present(conn, str(e.originator_id), name=e.name)

    @handles(Council.BandingPolicyAdopted)
    def policy_adopted(self, conn: Connection, e: Council.BandingPolicyAdopted, position: int) -> None:
        self.rows.policies.insert({
            "council_id": str(e.originator_id), "position": position, "effective_from": e.effective_from,
            "policy": json.dumps(e.policy, sort_keys=True), **_recorded(e),
        })

    @handles(Provider.Registered)
    def provider_registered(self, conn: Connection, e: Provider.Registered, position: int) -> None:
        self.rows.providers.put(conn, {"provider_id": str(e.originator_id), "ref": e.ref, "name": e.name,
                                       "kind": e.kind, "council_id": ident(e.council_id)})

    @handles(Provider.DetailsChanged)
    def provider_details_changed(self, conn: Connection, e: Provider.DetailsChanged, position: int) -> None:
        self.rows.providers.update_if_present(conn, str(e.originator_id), name=e.name)

    # -- children and assessments ----------------------------------------------------------

    @handles(Child.Registered)
    def child_registered(self, conn: Connection, e: Child.Registered, position: int) -> None:
        child = str(e.originator_id)
        # A placement saved with the registration may have been applied first.
        first = min((p["start_date"] for p in self.rows.placements.where(conn, "child_id", child)), default=None)
        self.rows.children.put(conn, {
            "child_id": child, "council_id": str(e.council_id), "date_of_birth": e.date_of_birth,
            "sex": e.sex, "ethnicity": e.ethnicity, "disability": e.disability, "ehcp": e.ehcp,
            "excluded": e.excluded, "erased": False, "first_start": first, "recorded_on": e.timestamp.date(),
            "changed_at": position,
        })

    def _changed(self, conn: Connection, child: str, position: int) -> None:
        """Mark the child's cohort row changed at this position (see `changed_at`). A
        child whose row is still to come is marked by its registration."""
        self.rows.children.update_if_present(conn, child, changed_at=position)

    @handles(Child.CharacteristicsChanged)
    def characteristics_changed(self, conn: Connection, e: Child.CharacteristicsChanged, position: int) -> None:
        child = str(e.originator_id)
        row = self.rows.children.get(conn, child)
        if row is not None and not row["erased"]:  # an erased record keeps nothing personal
            self.rows.children.update(conn, child, disability=e.disability, ehcp=e.ehcp, excluded=e.excluded,
                                      changed_at=position)

    @handles(Child.Erased)
    def child_erased(self, conn: Connection, e: Child.Erased, position: int) -> None:
        # The placement and its cost stay in the figures; what could identify the child goes.
        self.rows.children.update_if_present(conn, str(e.originator_id), erased=True, date_of_birth=None, sex=None,
                                             ethnicity=None, disability=None, ehcp=None, excluded=None,
                                             changed_at=position)

    @handles(Child.NeedsAssessed)
    def needs_assessed(self, conn: Connection, e: Child.NeedsAssessed, position: int) -> None:
        child, effective = str(e.originator_id), e.effective_date
        assessments = self.rows.assessments
        # Registered is this aggregate's first event, so the child's row is already here.
        council = self.rows.children.one(conn, child)["council_id"]
        # Assessments arrive in any order: this one runs until the earliest later one, and
        # ends every earlier one that ran past its date.
        following = None
        for other in assessments.where(conn, "child_id", child):
            other_date, other_next = other["effective_date"], other["next_effective"]
            if other_date > effective:
                following = other_date if following is None else min(following, other_date)
            elif other_date < effective and (other_next is None or other_next > effective):
                assessments.update(conn, other["assessment_id"], next_effective=effective)
        assessments.put(conn, {
            "assessment_id": str(e.assessment_id), "child_id": child, "council_id": council,
            "effective_date": effective, "next_effective": following, "framework_version": e.framework_version,
            **_recorded(e), "changed_on": e.timestamp.date(), **_profile_columns(e.scores, e.framework_version),
        })
        self._changed(conn, child, position)

    @handles(Child.AssessmentCorrected)
    def assessment_corrected(self, conn: Connection, e: Child.AssessmentCorrected, position: int) -> None:
        aid = str(e.assessment_id)
        old = self.rows.assessments.one(conn, aid)
        self.rows.score_history.insert({
            "assessment_id": aid, "position": position, "superseded_on": e.timestamp.date(),
            **{key: old[key] for key in DOMAIN_KEYS},
        })
        self.rows.assessments.update(conn, aid, changed_on=e.timestamp.date(),
                                     **_profile_columns(e.scores, old["framework_version"]))
        self._changed(conn, old["child_id"], position)

    # -- placements -----------------------------------------------------------------------

    @handles(Placement.Started)
    def placement_started(self, conn: Connection, e: Placement.Started, position: int) -> None:
        pid, child = str(e.originator_id), str(e.child_id)
        self.rows.placements.put(conn, {
            "placement_id": pid, "child_id": child, "council_id": str(e.council_id),
            "provider_id": str(e.provider_id), "provider_kind": e.place_provider,
            "in_house": e.place_provider == IN_HOUSE_KIND, "place_code": e.place_code,
            "place_group": place_group(e.place_code), "pricing": e.pricing, "start_date": e.start_date,
            "end_date": None, "started_on": e.timestamp.date(), "end_recorded_on": None,
        })
        # The child's row may not be here yet (see child_registered): it then takes the
        # first start from its placements.
        kid = self.rows.children.get(conn, child)
        if kid is not None and (kid["first_start"] is None or kid["first_start"] > e.start_date):
            self.rows.children.update(conn, child, first_start=e.start_date)
        if e.pricing == SPOT and e.weekly_rate is not None:
            self._add_rate(conn, pid, position, e.start_date, e.weekly_rate, e.timestamp.date())
        self._changed(conn, child, position)

    @handles(Placement.FeeVaried)
    def fee_varied(self, conn: Connection, e: Placement.FeeVaried, position: int) -> None:
        self._add_rate(conn, str(e.originator_id), position, e.effective_from, e.weekly_rate, e.timestamp.date())
        placement = self.rows.placements.get(conn, str(e.originator_id))
        if placement is not None:
            self._changed(conn, placement["child_id"], position)

    def _add_rate(self, conn: Connection, pid: str, position: int, effective: date, rate: Decimal,
                  recorded_on: date) -> None:
        rates = self.rows.spot_rates
        following = None
        for other in rates.where(conn, "placement_id", pid):
            other_from, other_next = other["effective_from"], other["next_from"]
            if other_from > effective:
                following = other_from if following is None else min(following, other_from)
            # Every rate this one now follows (including one for the same day, which it supersedes).
            elif other["position"] != position and (other_next is None or other_next > effective):
                rates.update(conn, (pid, other["position"]), next_from=effective)
        # Keyed by this event's position: a new row.
        rates.insert({"placement_id": pid, "position": position, "effective_from": effective,
                      "next_from": following, "weekly_rate_pence": pence(rate), "recorded_on": recorded_on})

    @handles(Placement.Ended)
    def placement_ended(self, conn: Connection, e: Placement.Ended, position: int) -> None:
        placement = self.rows.placements.get(conn, str(e.originator_id))
        if placement is not None:
            self.rows.placements.update(conn, str(e.originator_id), end_date=e.end_date,
                                        end_recorded_on=e.timestamp.date())
            self._changed(conn, placement["child_id"], position)

    # -- fee schedules ----------------------------------------------------------------------

    @handles(FeeSchedule.Created)
    def schedule_opened(self, conn: Connection, e: FeeSchedule.Created, position: int) -> None:
        self.rows.fee_schedules.put(conn, {"schedule_id": str(e.originator_id), "council_id": str(e.council_id),
                                           "provider_id": ident(e.provider_id)})

    @handles(FeeSchedule.FeeSet, FeeSchedule.FeeWithdrawn)
    def fee_set(self, conn: Connection, e: FeeSchedule.FeeSet, position: int) -> None:
        # Created is this aggregate's first event, so the schedule's row is already here.
        schedule = self.rows.fee_schedules.one(conn, str(e.originator_id))
        self.rows.fees.insert({
            "schedule_id": str(e.originator_id), "position": position, "council_id": schedule["council_id"],
            "provider_id": schedule["provider_id"], "place_code": e.place_code, "band": e.band,
            "weekly_fee_pence": pence(e.weekly_fee), "effective_from": e.effective_from, **_recorded(e),
        })


# ---------------------------------------------------------------------------------------
# Queries

DOMAIN_INDEX = {key: i for i, key in enumerate(DOMAIN_KEYS)}


@dataclass(slots=True)
class CohortRow:
    """One child in a placement on the as-at night (treat as read-only: not frozen, because
    a national cohort is 82,000 of them and frozen dataclasses are eight times slower to make).

    `weekly_rate` is the rate in force that night: banded, the fee for the child's band
    under the policy in force (the provider's framework fee where it has one, else the
    council's); spot, the agreed rate as varied. None, with `unpriced_reason`, when it
    cannot be priced; `weekly_cost` is then £0.00 (unpriced nights are not paid).
    `scores` are the latest assessment's, in `DOMAIN_KEYS` order (None: no assessment)."""

    child_id: str
    council_id: str
    placement_id: str
    provider_id: str
    provider_kind: str
    place_code: str
    place_group: str
    pricing: str
    placement_start: date
    weekly_rate: Decimal | None
    weekly_cost: Decimal
    band: str | None
    unpriced_reason: str | None
    assessment_id: str | None
    assessment_date: date | None
    total_need: int | None
    scores: tuple[int, ...] | None
    severe_count: int | None
    action_needed_count: int | None
    date_of_birth: date | None
    age: int | None
    sex: str | None
    ethnicity: str | None
    disability: bool | None
    ehcp: bool | None
    excluded: bool | None
    erased: bool
    days_in_care: int

    @property
    def in_house(self) -> bool:
        return self.provider_kind == IN_HOUSE_KIND

    @property
    def assessed(self) -> bool:
        return self.total_need is not None

    @property
    def has_severe(self) -> bool | None:
        """Any domain at 7 or more (None: no assessment)."""
        return None if self.severe_count is None else self.severe_count > 0

    def score(self, key: str) -> int | None:
        return None if self.scores is None else self.scores[DOMAIN_INDEX[key]]


def council_by_code(conn: Connection, code: str) -> str | None:
    """The council id for a council code, or None when no such council is registered."""
    c = T.councils.c
    return conn.execute(select(c.council_id).where(c.code == code.strip().upper())).scalar_one_or_none()


def councils(conn: Connection) -> list[tuple[str, str, str]]:
    """Every council as (council_id, code, name), by code."""
    c = T.councils.c
    return [tuple(r) for r in conn.execute(select(c.council_id, c.code, c.name).order_by(c.code))]


def cohort_as_at(conn: Connection, council_id: UUID | str | None, as_at: date,
                 as_known_on: date | None = None) -> list[CohortRow]:
    """One row per child in a placement on the night of `as_at` (of one council, or of every
    council with None), by child id, with the weekly rate in force that night, the latest
    assessment effective on or before it, the child's characteristics, age that day and
    days since their first placement started.

    With `as_known_on`, as the record stood at the end of that day: only what had been
    recorded by then counts (placements and their ends, assessments and corrections,
    spot rates, policies, fees).

    A cohort once read is kept (per database, a few at a time) and brought up to date on
    the next call by reading again only the children changed since (`changed_at`); a
    change of banding policy or fees, which may move anyone, reads it whole again."""
    with _bulk_build():
        return _KEPT.cohort(conn, ident(council_id), as_at, as_known_on)


class _Kept(NamedTuple):
    position: int  # the cohort view's position when it was read
    fees_at: int  # the last banding policy or fee change by then
    rows: list[CohortRow]  # by child id
    by_child: dict[str, CohortRow]


class _KeptCohorts:
    """Cohorts already read, per database (engine), the most recently used first, up to
    `MAX_ROWS` rows in all. Reading a national cohort whole takes over a second; most
    changes between two reads touch a handful of children. Safe under threads: the worst
    a race does is read a cohort twice."""

    MAX_ROWS = 400_000  # ~100 MB of rows at most
    REREAD_SHARE = 0.2  # past this share of children changed, reading whole is as quick

    def __init__(self) -> None:
        self._kept: WeakKeyDictionary[Any, OrderedDict[tuple[Any, ...], _Kept]] = WeakKeyDictionary()
        self._lock = threading.Lock()

    def cohort(self, conn: Connection, council: str | None, as_at: date, known: date | None) -> list[CohortRow]:
        position = conn.execute(select(positions.c.position).where(positions.c.name == CohortView.name)).scalar()
        if position is None:  # no cohort view being kept here: nothing to go by
            return _cohort(conn, council, as_at, known)
        fees_at = max(conn.execute(select(func.max(T.policies.c.position))).scalar() or 0,
                      conn.execute(select(func.max(T.fees.c.position))).scalar() or 0)
        key = (council, as_at, known)
        with self._lock:
            kept = self._kept.setdefault(conn.engine, OrderedDict()).get(key)
        if kept is not None and (kept.position, kept.fees_at) == (position, fees_at):
            fresh = kept
        elif kept is not None and kept.fees_at == fees_at and kept.position < position:
            fresh = self._bring_up_to_date(conn, kept, council, as_at, known, position)
        else:
            fresh = _Kept(position, fees_at, *self._whole(conn, council, as_at, known))
        self._keep(conn.engine, key, fresh)
        return list(fresh.rows)  # the caller's own list: the kept one must not change

    @staticmethod
    def _whole(conn: Connection, council: str | None, as_at: date,
               known: date | None) -> tuple[list[CohortRow], dict[str, CohortRow]]:
        rows = _cohort(conn, council, as_at, known)
        return rows, {r.child_id: r for r in rows}

    def _bring_up_to_date(self, conn: Connection, kept: _Kept, council: str | None, as_at: date,
                          known: date | None, position: int) -> _Kept:
        ch = T.children.c
        changed = list(conn.execute(select(ch.child_id).where(ch.changed_at > kept.position,
                                                              *_council_filter(ch.council_id, council))).scalars())
        if len(changed) > max(100, self.REREAD_SHARE * len(kept.rows)):
            return _Kept(position, kept.fees_at, *self._whole(conn, council, as_at, known))
        by_child = dict(kept.by_child)
        for child in changed:
            by_child.pop(child, None)
        for first in range(0, len(changed), 500):
            for row in _cohort(conn, council, as_at, known, changed[first:first + 500]):
                by_child[row.child_id] = row
        return _Kept(position, kept.fees_at, [by_child[c] for c in sorted(by_child)], by_child)

    def _keep(self, engine: Any, key: tuple[Any, ...], fresh: _Kept) -> None:
        with self._lock:
            kept = self._kept.setdefault(engine, OrderedDict())
            kept[key] = fresh
            kept.move_to_end(key, last=False)
            while len(kept) > 1 and sum(len(k.rows) for k in kept.values()) > self.MAX_ROWS:
                kept.popitem()


_KEPT = _KeptCohorts()


@contextmanager
def _bulk_build() -> Iterator[None]:
    """Pause the cyclic garbage collector while a cohort is built: 82,000 rows of tuples
    would otherwise set off collections that walk every one of them again and again (a
    third of the time). Nothing built here is cyclic; collection resumes straight after."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _cohort(conn: Connection, council: str | None, as_at: date, known: date | None,
            children: list[str] | None = None) -> list[CohortRow]:
    """The cohort read afresh: of every child, or only of `children` (up to 500)."""
    rows = (_placed_as_stands(conn, as_at, council, children) if known is None
            else _placed_as_known(conn, as_at, known, council, children))
    by_child = {r[0]: r for r in rows}
    if len(by_child) < len(rows):
        # One row per child. The domain never lets two placements overlap; as known on an
        # earlier day an end may not be known yet, and then the later start is in force.
        by_child = {}
        for r in rows:
            seen = by_child.get(r[0])
            if seen is None or (str(r[7]), r[1]) > (str(seen[7]), seen[1]):
                by_child[r[0]] = r
    if not by_child:
        return []
    policies = _policies_on(conn, as_at, known, council)
    fees = _fees_on(conn, as_at, known, council)

    fromiso = date.fromisoformat
    band_memo: dict[tuple[str, _Counts], str] = {}
    fee_memo: dict[tuple[str, str, str, str], Decimal | None] = {}
    group_of: dict[str, str] = {}
    out: list[CohortRow] = []
    append = out.append
    for child in sorted(by_child):
        (_, pid, cid, provider, kind, code, pricing, start, dob, sex, ethnicity, disability, ehcp, excluded, erased,
         first, aid, effective, scores, total, severe, action, spot_pence) = by_child[child]
        # SQLite's driver gives dates as ISO text (see _fetch); converted inline, as this
        # loop runs once per child in the country.
        if start.__class__ is str:
            start = fromiso(start)
        if dob.__class__ is str:
            dob = fromiso(dob)
        if first.__class__ is str:
            first = fromiso(first)
        if effective.__class__ is str:
            effective = fromiso(effective)
        band = reason = None
        if pricing == BANDED:
            rate = None
            policy = policies.get(cid)
            if aid is None:
                reason = NO_ASSESSMENT
            elif policy is None:
                reason = NO_POLICY
            else:
                counts = _Counts(total, severe, action)
                band = band_memo.get((cid, counts))
                if band is None:
                    band = band_memo[(cid, counts)] = policy.band_for(counts)
                key = (cid, provider, code, band)
                if key in fee_memo:
                    rate = fee_memo[key]
                else:
                    rate = fee_memo[key] = _banded_fee(fees, cid, provider, code, band)
                if rate is None:
                    reason = f"no {code} fee for band {band} in force"
        elif spot_pence is None:
            rate, reason = None, NO_SPOT_RATE
        else:
            rate = Decimal(spot_pence).scaleb(-2)
        group = group_of.get(code)
        if group is None:
            group = group_of[code] = place_group(code)
        append(CohortRow(
            child, cid, pid, provider, kind, code, group, pricing, start, rate, ZERO if rate is None else rate,
            band, reason, aid, effective, total, None if scores is None else tuple(scores), severe, action,
            dob, None if dob is None else age_on(dob, as_at), sex, ethnicity,
            None if disability is None else bool(disability), None if ehcp is None else bool(ehcp),
            None if excluded is None else bool(excluded), bool(erased),
            (as_at - (first if first is not None and first < start else start)).days,
        ))
    return out


class _Counts(NamedTuple):
    """What a banding policy reads of a needs profile (domain.needs: CountBanding reads the
    severe and action-needed counts, TotalBanding the total), as the view stores them, so a
    national cohort is banded without rebuilding 82,000 profiles. A policy that read
    anything else would fail here loudly rather than band wrongly."""

    total: int
    severe_count: int
    action_needed_count: int


def _fetch(conn: Connection, stmt: Any) -> list[tuple[Any, ...]]:
    """Plain tuples straight from the database driver, in the connection's transaction. For
    the bulk read of a national cohort, making SQLAlchemy Row objects costs as much as the
    query itself. On SQLite dates then come back as ISO text and booleans as 0/1: the
    caller reads them."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    if conn.dialect.name == "sqlite":
        params: Any = tuple(_sqlite_param(compiled.params[name]) for name in compiled.positiontup or ())
    else:
        params = compiled.params
    cursor = conn.connection.cursor()
    try:
        cursor.execute(compiled.string, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _sqlite_param(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _council_filter(column: Any, council: str | None) -> list[Any]:
    return [] if council is None else [column == council]


def _in_placement(as_at: date, known: date | None, council: str | None, placements: Any = None,
                  children: list[str] | None = None) -> list[Any]:
    """The conditions on a placement for its child (one of `children`, if given) to be in it
    on the night of `as_at`."""
    p = (T.placements if placements is None else placements).c
    still_open = [p.end_date.is_(None), p.end_date > as_at]
    conds = [p.start_date <= as_at, *_council_filter(p.council_id, council)]
    if children is not None:
        conds.append(p.child_id.in_(children))
    if known is not None:
        still_open.append(p.end_recorded_on > known)  # its end was not yet known
        conds.append(p.started_on <= known)
    return [*conds, or_(*still_open)]


def _placement_columns() -> list[Any]:
    p, ch = T.placements.c, T.children.c
    return [p.child_id, p.placement_id, p.council_id, p.provider_id, p.provider_kind, p.place_code, p.pricing,
            p.start_date, ch.date_of_birth, ch.sex, ch.ethnicity, ch.disability, ch.ehcp, ch.excluded, ch.erased,
            ch.first_start]


def _placed_as_stands(conn: Connection, as_at: date, council: str | None,
                      children: list[str] | None = None) -> list[tuple[Any, ...]]:
    """One query: each placement in force on `as_at` with its child, the assessment whose
    range [effective, next) holds the night and, for a spot placement, the rate whose range
    holds it. Every join follows an index from the placement, so the cost grows with the
    cohort, not with the years of history behind it."""
    p, ch, a, r = T.placements.c, T.children.c, T.assessments.c, T.spot_rates.c
    joined = (
        T.placements
        .outerjoin(T.children, ch.child_id == p.child_id)
        .outerjoin(T.assessments, and_(a.child_id == p.child_id, a.effective_date <= as_at,
                                       or_(a.next_effective.is_(None), a.next_effective > as_at)))
        .outerjoin(T.spot_rates, and_(r.placement_id == p.placement_id, r.effective_from <= as_at,
                                      or_(r.next_from.is_(None), r.next_from > as_at)))
    )
    return _fetch(conn, select(*_placement_columns(), a.assessment_id, a.effective_date, a.scores, a.total,
                               a.severe_count, a.action_needed_count, r.weekly_rate_pence)
                  .select_from(joined).where(*_in_placement(as_at, None, council, children=children)))


def _placed_as_known(conn: Connection, as_at: date, known: date, council: str | None,
                     children: list[str] | None = None) -> list[tuple[Any, ...]]:
    """As `_placed_as_stands`, as the record stood at the end of `known`: the stored ranges
    reflect what is known now, so the assessment and rate in force are found afresh among
    the rows recorded by then."""
    p, ch = T.placements.c, T.children.c
    current = _in_placement(as_at, known, council, children=children)
    placed = _fetch(conn, select(*_placement_columns())
                    .select_from(T.placements.outerjoin(T.children, ch.child_id == p.child_id)).where(*current))
    # The same conditions on an alias, so the subqueries never correlate with an outer placements.
    q = T.placements.alias("current_placements")
    in_force = _in_placement(as_at, known, council, q, children)
    children = select(q.c.child_id).where(*in_force)
    first_starts = dict(conn.execute(
        select(p.child_id, func.min(p.start_date))
        .where(p.start_date <= as_at, p.started_on <= known, p.child_id.in_(children))
        .group_by(p.child_id)).all())
    assessments = _assessments_as_known(conn, as_at, known, children)
    rates = _rates_as_known(conn, as_at, known, select(q.c.placement_id).where(*in_force))
    none = (None,) * 6
    return [(*row[:15], first_starts.get(row[0], row[15]), *assessments.get(row[0], none), rates.get(row[1]))
            for row in placed]


def _assessments_as_known(conn: Connection, as_at: date, known: date, children: Any) -> dict[str, tuple[Any, ...]]:
    """child -> (assessment id, effective date, scores, total, severe, action-needed) of the
    latest assessment effective on or before `as_at` among those recorded by `known`, with
    the scores it had then."""
    a = T.assessments.c
    latest = (select(a.child_id.label("child"), func.max(a.effective_date).label("effective"))
              .where(a.effective_date <= as_at, a.recorded_on <= known, a.child_id.in_(children))
              .group_by(a.child_id).subquery())
    rows = conn.execute(
        select(a.child_id, a.assessment_id, a.effective_date, a.scores, a.total, a.severe_count,
               a.action_needed_count, a.changed_on, a.framework_version)
        .join(latest, and_(a.child_id == latest.c.child, a.effective_date == latest.c.effective))).all()
    found = {row[0]: tuple(row[1:7]) for row in rows}
    corrected_later = {row[1]: (row[0], row[8]) for row in rows if row[7] > known}
    if corrected_later:
        h = T.score_history.c
        earliest: dict[str, tuple[int, ...]] = {}
        ids = sorted(corrected_later)
        for chunk in range(0, len(ids), 500):
            for row in conn.execute(
                    select(h.assessment_id, *(h[key] for key in DOMAIN_KEYS))
                    .where(h.assessment_id.in_(ids[chunk:chunk + 500]), h.superseded_on > known)
                    .order_by(h.assessment_id, h.position)).all():
                earliest.setdefault(row[0], tuple(row[1:]))
        for aid, scores in earliest.items():
            # The scores before the first correction recorded after `known`.
            child, version = corrected_later[aid]
            profile = NeedsProfile(dict(zip(DOMAIN_KEYS, scores)), version)
            aid_, effective = found[child][:2]
            found[child] = (aid_, effective, bytes(scores), profile.total, profile.severe_count,
                            profile.action_needed_count)
    return found


def _rates_as_known(conn: Connection, as_at: date, known: date, placements: Any) -> dict[str, int]:
    """placement -> the spot rate (pence) in force on `as_at` among those recorded by
    `known`: the latest effective on or before it; of two the same day, the later recorded."""
    r = T.spot_rates.c
    best: dict[str, tuple[date, int, int]] = {}
    for pid, effective, position, rate in conn.execute(
            select(r.placement_id, r.effective_from, r.position, r.weekly_rate_pence)
            .where(r.effective_from <= as_at, r.recorded_on <= known, r.placement_id.in_(placements))).all():
        seen = best.get(pid)
        if seen is None or (effective, position) > seen[:2]:
            best[pid] = (effective, position, rate)
    return {pid: v[2] for pid, v in best.items()}


def _policies_on(conn: Connection, as_at: date, known: date | None, council: str | None) -> dict[str, Any]:
    """council -> the banding policy in force on `as_at` (a council with none is absent)."""
    pol = T.policies.c
    conds = [pol.effective_from <= as_at, *_council_filter(pol.council_id, council)]
    if known is not None:
        conds.append(pol.recorded_on <= known)
    versions: dict[str, dict[date, PolicyVersion]] = defaultdict(dict)
    for cid, effective, policy in conn.execute(
            select(pol.council_id, pol.effective_from, pol.policy).where(*conds).order_by(pol.position)).all():
        # As Council.policy_history: a later adoption with the same effective date replaces the earlier.
        versions[cid][effective] = PolicyVersion(effective, policy_from_dict(json.loads(policy)))
    found = {}
    for cid, by_date in versions.items():
        policy = PolicyHistory(by_date.values()).on(as_at)
        if policy is not None:
            found[cid] = policy
    return found


FeeKey = tuple[str, "str | None", str, str]  # council, provider (None: the council's own), place code, band


def _fees_on(conn: Connection, as_at: date, known: date | None, council: str | None) -> dict[FeeKey, int | None]:
    """(council, provider or None, place code, band) -> the entry in force on `as_at` in
    that schedule, in pence (None: withdrawn). As domain.payments' fee timelines: the
    latest effective on or before the night; of several effective the same day, the latest
    recorded."""
    f = T.fees.c
    conds = [f.effective_from <= as_at, *_council_filter(f.council_id, council)]
    if known is not None:
        conds.append(f.recorded_on <= known)
    best: dict[FeeKey, tuple[Any, ...]] = {}
    for cid, provider, code, band, fee, effective, recorded_at, position in conn.execute(
            select(f.council_id, f.provider_id, f.place_code, f.band, f.weekly_fee_pence, f.effective_from,
                   f.recorded_at, f.position).where(*conds)).all():
        key = (cid, provider, code, band)
        order = (effective, aware(recorded_at), position)
        seen = best.get(key)
        if seen is None or order > seen[0]:
            best[key] = (order, fee)
    return {key: fee for key, (_, fee) in best.items()}


def _banded_fee(fees: dict[FeeKey, int | None], council: str, provider: str, place_code: str,
                band: str) -> Decimal | None:
    """The weekly fee for a banded night, by domain.payments' rule: the provider's framework
    schedule where it has a fee in force, else the council's (a withdrawal from the
    provider's schedule falls back to the council's). tests/projections/test_cohort.py
    checks this against `domain.payments.weekly_rate_on`."""
    for schedule in (provider, None):
        fee = fees.get((council, schedule, place_code, band))
        if fee is not None:
            return Decimal(fee).scaleb(-2)
    return None


def first_placement_start(conn: Connection, council_id: UUID | str) -> date | None:
    """The day the council's earliest recorded placement started (None: no placements yet):
    where its payment periods begin."""
    p = T.placements.c
    return conn.execute(select(func.min(p.start_date)).where(p.council_id == str(council_id))).scalar()


# ---------------------------------------------------------------------------------------
# A council's children, for the social worker's pages: the list to find a child in, one
# child's summary, and their placements. The council's own pseudonymous reference is kept
# by the payments view (finance matches payments by it); these queries join it from there.

NOT_PLACED = "not_placed"  # the place-group filter for children in no placement that day


@dataclass(frozen=True)
class CouncilChild:
    """A council's child on a day: reference and characteristics, the placement in force,
    and the latest assessment effective on or before the day with its band under the
    council's policy in force (None: no assessment, or no policy)."""

    child_id: str
    council_id: str
    reference: str | None  # None once the record is erased
    date_of_birth: date | None
    age: int | None
    sex: str | None
    ethnicity: str | None
    disability: bool | None
    ehcp: bool | None
    excluded: bool | None
    erased: bool
    placement_id: str | None
    provider_id: str | None
    provider_name: str | None
    place_code: str | None
    place_group: str | None
    placement_start: date | None
    assessment_id: str | None
    assessment_date: date | None
    total_need: int | None
    severe_count: int | None
    action_needed_count: int | None
    band: str | None

    @property
    def placed(self) -> bool:
        return self.placement_id is not None

    @property
    def assessed(self) -> bool:
        return self.assessment_id is not None


@dataclass(frozen=True)
class ChildrenPage:
    """One page of a council's children matching a search, by reference."""

    children: list[CouncilChild]
    matched: int  # children matching the search, on every page
    page: int
    pages: int
    per_page: int
    bands: tuple[str, ...]  # the bands of the council's policy in force (to filter by)


@dataclass(frozen=True)
class ChildPlacement:
    placement_id: str
    provider_id: str
    provider_name: str
    provider_kind: str
    place_code: str
    place_group: str
    pricing: str
    start_date: date
    end_date: date | None


def _references() -> Table:
    from projections.schedules import T as schedules  # schedules imports this module: import late

    return schedules.children


def _council_children_query(council: str, on: date) -> Any:
    ch, p, pr, a = T.children.c, T.placements.c, T.providers.c, T.assessments.c
    refs = _references()
    joined = (
        T.children
        .outerjoin(refs, refs.c.child_id == ch.child_id)
        .outerjoin(T.placements, and_(p.child_id == ch.child_id, p.start_date <= on,
                                      or_(p.end_date.is_(None), p.end_date > on)))
        .outerjoin(T.providers, pr.provider_id == p.provider_id)
        .outerjoin(T.assessments, and_(a.child_id == ch.child_id, a.effective_date <= on,
                                       or_(a.next_effective.is_(None), a.next_effective > on)))
    )
    return (select(ch.child_id, ch.council_id, refs.c.reference, ch.date_of_birth, ch.sex, ch.ethnicity,
                   ch.disability, ch.ehcp, ch.excluded, ch.erased, p.placement_id, p.provider_id, pr.name,
                   p.place_code, p.place_group, p.start_date, a.assessment_id, a.effective_date, a.total,
                   a.severe_count, a.action_needed_count)
            .select_from(joined).where(ch.council_id == council))


def _council_child(row: Any, on: date, policy: Any) -> CouncilChild:
    (child, council, reference, dob, sex, ethnicity, disability, ehcp, excluded, erased, pid, provider, name,
     code, group, start, aid, effective, total, severe, action) = row
    band = None
    if aid is not None and policy is not None:
        band = policy.band_for(_Counts(total, severe, action))
    return CouncilChild(
        child, council, None if erased else reference, dob, None if dob is None else age_on(dob, on), sex, ethnicity,
        disability, ehcp, excluded, bool(erased), pid, provider, name, code, group, start, aid, effective, total,
        severe, action, band)


def children_of_council(conn: Connection | Any, council_id: UUID | str, on: date, *, reference: str = "",
                        place_group: str | None = None, band: str | None = None, page: int = 1,
                        per_page: int = 25) -> ChildrenPage:
    """The council's children (not erased) whose reference contains `reference` (any case),
    in a place group that day (`NOT_PLACED`: in no placement) and band, by reference, a
    page at a time. One SELECT; the band is worked out here, so a band filter reads the
    council's matching children (a council has a few thousand) and pages them here."""
    council = str(council_id)
    ch, refs, p = T.children.c, _references().c, T.placements.c
    query = _council_children_query(council, on).where(ch.erased.is_(False))
    term = reference.strip()
    if term:
        query = query.where(func.lower(refs.reference).contains(term.lower(), autoescape=True))
    if place_group == NOT_PLACED:
        query = query.where(p.placement_id.is_(None))
    elif place_group:
        query = query.where(p.place_group == place_group)
    with _connected(conn) as c:
        policy = _policies_on(c, on, None, council).get(council)
        rows = c.execute(query.order_by(refs.reference, ch.child_id)).all()
    found = [_council_child(r, on, policy) for r in rows]
    if band:
        found = [child for child in found if child.band == band]
    per_page = max(1, per_page)
    pages = max(1, -(-len(found) // per_page))
    page = min(max(1, page), pages)
    return ChildrenPage(found[(page - 1) * per_page: page * per_page], len(found), page, pages, per_page,
                        tuple(policy.bands) if policy is not None else ())


def council_child(conn: Connection | Any, child_id: UUID | str, on: date) -> CouncilChild | None:
    """One child as `children_of_council` shows them (erased ones too), or None."""
    ch = T.children.c
    with _connected(conn) as c:
        council = c.execute(select(ch.council_id).where(ch.child_id == str(child_id))).scalar()
        if council is None:
            return None
        row = c.execute(_council_children_query(council, on).where(ch.child_id == str(child_id))).first()
        policy = _policies_on(c, on, None, council).get(council)
    return None if row is None else _council_child(row, on, policy)


def child_council(conn: Connection | Any, child_id: UUID | str) -> str | None:
    """The id of the council a child belongs to, or None when there is no such child."""
    ch = T.children.c
    with _connected(conn) as c:
        return c.execute(select(ch.council_id).where(ch.child_id == str(child_id))).scalar()


def assessment_council(conn: Connection | Any, assessment_id: UUID | str) -> str | None:
    """The id of the council whose child an assessment is of, or None when there is none."""
    a = T.assessments.c
    with _connected(conn) as c:
        return c.execute(select(a.council_id).where(a.assessment_id == str(assessment_id))).scalar()


def child_placements(conn: Connection | Any, child_id: UUID | str) -> list[ChildPlacement]:
    """Every placement of the child, with its provider's name, in start order."""
    p, pr = T.placements.c, T.providers.c
    with _connected(conn) as c:
        rows = c.execute(
            select(p.placement_id, p.provider_id, pr.name, p.provider_kind, p.place_code, p.place_group, p.pricing,
                   p.start_date, p.end_date)
            .select_from(T.placements.outerjoin(T.providers, pr.provider_id == p.provider_id))
            .where(p.child_id == str(child_id)).order_by(p.start_date, p.placement_id)).all()
    return [ChildPlacement(r[0], r[1], r[2] or "Unknown provider", *r[3:]) for r in rows]
