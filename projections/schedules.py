"""Payment schedules: every payment run's lines, as calculated and as approved, read by
commissioners (a council's runs), providers (what they were paid) and finance (the CSV
export), without loading a PaymentRun aggregate.

Tables: runs (period, state, totals, who calculated and approved, when), lines (every
regular and adjustment line with the events that caused it), unpriced nights, per
provider per run totals, per placement per paid period amounts, exports, each council's
payment calendar; plus the council codes, provider references and children's references
the export names (from their Registered events).

Money is stored as whole pence and returned as `Decimal` pounds; ids as UUID strings.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text, func, select, update
from sqlalchemy.engine import Connection, Engine

from domain.children import Child
from domain.calendar import PaymentCalendar
from domain.councils import DEFAULT_ANCHOR, DEFAULT_PERIOD_DAYS, Council
from domain.payment_runs import APPROVED, CALCULATED, PaymentRun
from domain.payments import ADJUSTMENT, REGULAR
from domain.providers import Provider
from projections.base import METADATA, View, handles
from projections.cohort import upsert
from projections.sql import pence, pounds, utc as aware

CSV_COLUMNS = (
    "run_id", "council", "provider_ref", "child", "placement_id", "period_start", "period_end", "line_start",
    "line_end", "nights", "band", "weekly_rate", "amount", "kind", "adjusts_period_start",
)


def make_tables(metadata: MetaData, suffix: str = "") -> SimpleNamespace:
    councils = Table(
        f"sched_councils{suffix}", metadata,
        Column("council_id", String(36), primary_key=True),
        Column("code", String(10), nullable=False),
        Column("name", String(200), nullable=False),
    )
    providers = Table(
        f"sched_providers{suffix}", metadata,
        Column("provider_id", String(36), primary_key=True),
        Column("ref", String(30), nullable=False),
        Column("name", String(200), nullable=False),
    )
    children = Table(
        f"sched_children{suffix}", metadata,
        Column("child_id", String(36), primary_key=True),
        Column("council_id", String(36), nullable=False),
        Column("reference", String(40), nullable=False),
    )
    runs = Table(
        f"sched_runs{suffix}", metadata,
        Column("run_id", String(36), primary_key=True),
        Column("council_id", String(36), nullable=False),
        Column("period_start", Date, nullable=False),
        Column("period_end", Date, nullable=False),
        Column("state", String(12), nullable=False),
        Column("total_pence", BigInteger, nullable=False),
        Column("regular_pence", BigInteger, nullable=False),
        Column("adjustment_pence", BigInteger, nullable=False),
        Column("lines", Integer, nullable=False),
        Column("unpriced", Integer, nullable=False),
        Column("calculated_at", DateTime(timezone=True), nullable=False),
        Column("calculated_by", String(80), nullable=False),
        Column("approved_at", DateTime(timezone=True), nullable=True),
        Column("approved_by", String(80), nullable=True),
        Column("exports", Integer, nullable=False),
        Column("position", BigInteger, nullable=False),
        Index(f"ix_sched_runs_council{suffix}", "council_id", "period_start"),
    )
    lines = Table(
        f"sched_lines{suffix}", metadata,
        Column("run_id", String(36), primary_key=True),
        Column("line_no", Integer, primary_key=True, autoincrement=False),
        Column("placement_id", String(36), nullable=False),
        Column("child_id", String(36), nullable=False),
        Column("provider_id", String(36), nullable=False),
        Column("place_code", String(2), nullable=False),
        Column("period_start", Date, nullable=False),
        Column("period_end", Date, nullable=False),
        Column("line_start", Date, nullable=False),
        Column("line_end", Date, nullable=False),
        Column("nights", Integer, nullable=False),
        Column("band", String(20), nullable=True),
        Column("weekly_rate_pence", BigInteger, nullable=True),
        Column("amount_pence", BigInteger, nullable=False),
        Column("kind", String(10), nullable=False),
        Column("adjusts_period_start", Date, nullable=True),
        Column("causes", Text, nullable=False),  # JSON list of str
        Index(f"ix_sched_lines_provider{suffix}", "provider_id", "run_id"),
        Index(f"ix_sched_lines_placement{suffix}", "placement_id"),
    )
    unpriced = Table(
        f"sched_unpriced{suffix}", metadata,
        Column("run_id", String(36), primary_key=True),
        Column("item_no", Integer, primary_key=True, autoincrement=False),
        Column("placement_id", String(36), nullable=False),
        Column("child_id", String(36), nullable=False),
        Column("line_start", Date, nullable=False),
        Column("line_end", Date, nullable=False),
        Column("reason", Text, nullable=False),
    )
    provider_totals = Table(
        f"sched_provider_totals{suffix}", metadata,
        Column("run_id", String(36), primary_key=True),
        Column("provider_id", String(36), primary_key=True),
        Column("council_id", String(36), nullable=False),
        Column("lines", Integer, nullable=False),
        Column("regular_pence", BigInteger, nullable=False),
        Column("adjustment_pence", BigInteger, nullable=False),
        Column("total_pence", BigInteger, nullable=False),
        Index(f"ix_sched_provider_totals_provider{suffix}", "provider_id"),
    )
    # What each run pays for each placement's nights in one period (its own period, or an
    # earlier one it adjusts).
    placement_periods = Table(
        f"sched_placement_periods{suffix}", metadata,
        Column("placement_id", String(36), primary_key=True),
        Column("period_start", Date, primary_key=True),
        Column("run_id", String(36), primary_key=True),
        Column("period_end", Date, nullable=False),
        Column("run_period_start", Date, nullable=False),
        Column("lines", Integer, nullable=False),
        Column("nights", Integer, nullable=False),
        Column("regular_pence", BigInteger, nullable=False),
        Column("adjustment_pence", BigInteger, nullable=False),
    )
    # Each council's payment calendar (which periods it can run), from Registered (the
    # default calendar) and PaymentCalendarSet.
    calendars = Table(
        f"sched_calendars{suffix}", metadata,
        Column("council_id", String(36), primary_key=True),
        Column("period_days", Integer, nullable=False),
        Column("anchor", Date, nullable=False),
    )
    exports = Table(
        f"sched_exports{suffix}", metadata,
        Column("run_id", String(36), primary_key=True),
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("format", String(8), nullable=False),
        Column("provider_ref", String(30), nullable=False),
        Column("exported_at", DateTime(timezone=True), nullable=False),
        Column("exported_by", String(80), nullable=False),
    )
    return SimpleNamespace(councils=councils, providers=providers, children=children, runs=runs, lines=lines,
                           unpriced=unpriced, provider_totals=provider_totals, placement_periods=placement_periods,
                           exports=exports, calendars=calendars)


T = make_tables(METADATA)


def _date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _money(value: Decimal | str | int | None) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def _line_row(run_id: str, line_no: int, line: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "run_id": run_id, "line_no": line_no, "placement_id": str(line["placement_id"]),
        "child_id": str(line["child_id"]), "provider_id": str(line["provider_id"]), "place_code": line["place_code"],
        "period_start": _date(line["period_start"]), "period_end": _date(line["period_end"]),
        "line_start": _date(line["line_start"]), "line_end": _date(line["line_end"]), "nights": int(line["nights"]),
        "band": line.get("band"), "weekly_rate_pence": pence(_money(line.get("weekly_rate"))),
        "amount_pence": pence(_money(line["amount"])), "kind": line.get("kind") or REGULAR,
        "adjusts_period_start": _date(line.get("adjusts_period_start")),
        "causes": json.dumps(list(line.get("causes") or [])),
    }


class SchedulesView(View):
    name = "schedules"
    make_tables = staticmethod(make_tables)
    tables = T
    worked = {"children": ()}  # one for every child: the rest are few

    @handles(Council.Registered)
    def council_registered(self, conn: Connection, e: Council.Registered, position: int) -> None:
        upsert(conn, self.t.councils, {"council_id": str(e.originator_id), "code": e.code, "name": e.name})
        upsert(conn, self.t.calendars, {"council_id": str(e.originator_id), "period_days": DEFAULT_PERIOD_DAYS,
                                        "anchor": DEFAULT_ANCHOR})

    @handles(Council.PaymentCalendarSet)
    def calendar_set(self, conn: Connection, e: Council.PaymentCalendarSet, position: int) -> None:
        upsert(conn, self.t.calendars, {"council_id": str(e.originator_id), "period_days": e.period_days,
                                        "anchor": e.anchor})

    @handles(Council.Renamed)
    def council_renamed(self, conn: Connection, e: Council.Renamed, position: int) -> None:
        conn.execute(update(self.t.councils).where(self.t.councils.c.council_id == str(e.originator_id))
                     .values(name=e.name))

    @handles(Provider.Registered)
    def provider_registered(self, conn: Connection, e: Provider.Registered, position: int) -> None:
        upsert(conn, self.t.providers, {"provider_id": str(e.originator_id), "ref": e.ref, "name": e.name})

    @handles(Provider.DetailsChanged)
    def provider_details_changed(self, conn: Connection, e: Provider.DetailsChanged, position: int) -> None:
        conn.execute(update(self.t.providers).where(self.t.providers.c.provider_id == str(e.originator_id))
                     .values(name=e.name))

    @handles(Child.Registered)
    def child_registered(self, conn: Connection, e: Child.Registered, position: int) -> None:
        # The council's own pseudonymous reference: finance matches payments by it.
        self.rows.children.put(conn, {"child_id": str(e.originator_id), "council_id": str(e.council_id),
                                      "reference": e.reference})

    @handles(PaymentRun.Calculated)
    def run_calculated(self, conn: Connection, e: PaymentRun.Calculated, position: int) -> None:
        run_id = str(e.originator_id)
        lines = [_line_row(run_id, i, line) for i, line in enumerate(e.lines, start=1)]
        regular = sum(r["amount_pence"] for r in lines if r["kind"] != ADJUSTMENT)
        adjustment = sum(r["amount_pence"] for r in lines if r["kind"] == ADJUSTMENT)
        upsert(conn, self.t.runs, {
            "run_id": run_id, "council_id": str(e.council_id), "period_start": e.period_start,
            "period_end": e.period_end, "state": CALCULATED, "total_pence": pence(_money(e.total)),
            "regular_pence": regular, "adjustment_pence": adjustment, "lines": len(lines),
            "unpriced": len(e.unpriced), "calculated_at": e.timestamp, "calculated_by": e.actor,
            "approved_at": None, "approved_by": None, "exports": 0, "position": position,
        })
        upsert(conn, self.t.lines, lines)
        upsert(conn, self.t.unpriced, [{
            "run_id": run_id, "item_no": i, "placement_id": str(u["placement_id"]), "child_id": str(u["child_id"]),
            "line_start": _date(u["line_start"]), "line_end": _date(u["line_end"]), "reason": str(u["reason"]),
        } for i, u in enumerate(e.unpriced, start=1)])

        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        periods: dict[tuple[str, date], dict[str, Any]] = {}
        period_days = e.period_end - e.period_start
        for r in lines:
            adjusting = r["kind"] == ADJUSTMENT
            t = totals[r["provider_id"]]
            t[0] += 1
            t[1 if not adjusting else 2] += r["amount_pence"]
            # A calendar cannot change once a run is approved, so an adjusted period is as
            # long as this one.
            paid_start = r["adjusts_period_start"] if adjusting and r["adjusts_period_start"] else r["period_start"]
            p = periods.setdefault((r["placement_id"], paid_start), {
                "placement_id": r["placement_id"], "period_start": paid_start, "run_id": run_id,
                "period_end": paid_start + period_days if adjusting else r["period_end"],
                "run_period_start": e.period_start, "lines": 0, "nights": 0, "regular_pence": 0,
                "adjustment_pence": 0,
            })
            p["lines"] += 1
            p["nights"] += r["nights"]
            p["adjustment_pence" if adjusting else "regular_pence"] += r["amount_pence"]
        upsert(conn, self.t.provider_totals, [{
            "run_id": run_id, "provider_id": provider, "council_id": str(e.council_id), "lines": n,
            "regular_pence": reg, "adjustment_pence": adj, "total_pence": reg + adj,
        } for provider, (n, reg, adj) in sorted(totals.items())])
        upsert(conn, self.t.placement_periods, [periods[k] for k in sorted(periods)])

    @handles(PaymentRun.Approved)
    def run_approved(self, conn: Connection, e: PaymentRun.Approved, position: int) -> None:
        conn.execute(update(self.t.runs).where(self.t.runs.c.run_id == str(e.originator_id))
                     .values(state=APPROVED, approved_at=e.timestamp, approved_by=e.actor))

    @handles(PaymentRun.Exported)
    def run_exported(self, conn: Connection, e: PaymentRun.Exported, position: int) -> None:
        run_id = str(e.originator_id)
        upsert(conn, self.t.exports, {"run_id": run_id, "position": position, "format": e.format,
                                      "provider_ref": e.provider_ref, "exported_at": e.timestamp,
                                      "exported_by": e.actor})
        count = select(func.count()).select_from(self.t.exports).where(self.t.exports.c.run_id == run_id)
        conn.execute(update(self.t.runs).where(self.t.runs.c.run_id == run_id).values(exports=count.scalar_subquery()))


# ---------------------------------------------------------------------------------------
# Queries


@dataclass(frozen=True)
class Run:
    run_id: str
    council_id: str
    council_code: str | None
    period_start: date
    period_end: date  # exclusive
    state: str
    total: Decimal
    regular_total: Decimal
    adjustment_total: Decimal
    lines: int
    unpriced: int
    calculated_at: datetime
    calculated_by: str
    approved_at: datetime | None
    approved_by: str | None
    exports: int

    @property
    def approved(self) -> bool:
        return self.state == APPROVED


@dataclass(frozen=True)
class ScheduleLine:
    run_id: str
    line_no: int
    placement_id: str
    child_id: str
    child_ref: str | None
    provider_id: str
    provider_ref: str | None
    place_code: str
    period_start: date
    period_end: date
    line_start: date
    line_end: date  # exclusive
    nights: int
    band: str | None
    weekly_rate: Decimal | None
    amount: Decimal
    kind: str
    adjusts_period_start: date | None
    causes: tuple[str, ...]


@dataclass(frozen=True)
class Unpriced:
    run_id: str
    placement_id: str
    child_id: str
    child_ref: str | None
    line_start: date
    line_end: date
    reason: str


@dataclass(frozen=True)
class ProviderTotal:
    run_id: str
    provider_id: str
    provider_ref: str | None
    provider_name: str | None
    lines: int
    regular: Decimal
    adjustments: Decimal
    total: Decimal


@dataclass(frozen=True)
class ProviderPayment:
    """What one approved run paid one provider."""

    run_id: str
    council_id: str
    council_code: str | None
    period_start: date
    period_end: date
    approved_at: datetime | None
    lines: int
    regular: Decimal
    adjustments: Decimal
    total: Decimal


@dataclass(frozen=True)
class PlacementPeriod:
    """What one run pays for one placement's nights in one period: `regular` in the
    period's own run, `adjustments` in a later run."""

    placement_id: str
    period_start: date
    period_end: date
    run_id: str
    run_period_start: date
    run_state: str | None
    lines: int
    nights: int
    regular: Decimal
    adjustments: Decimal

    @property
    def amount(self) -> Decimal:
        return self.regular + self.adjustments


def _run_columns() -> list[Any]:
    r, c = T.runs.c, T.councils.c
    return [r.run_id, r.council_id, c.code, r.period_start, r.period_end, r.state, r.total_pence, r.regular_pence,
            r.adjustment_pence, r.lines, r.unpriced, r.calculated_at, r.calculated_by, r.approved_at, r.approved_by,
            r.exports]


def _run(row: Any) -> Run:
    return Run(row[0], row[1], row[2], row[3], row[4], row[5], pounds(row[6]), pounds(row[7]),  # type: ignore[arg-type]
               pounds(row[8]), row[9], row[10], aware(row[11]), row[12], aware(row[13]), row[14], row[15])  # type: ignore[arg-type]


def _runs_joined() -> Any:
    return T.runs.outerjoin(T.councils, T.councils.c.council_id == T.runs.c.council_id)


def run(conn: Connection, run_id: UUID | str) -> Run | None:
    row = conn.execute(select(*_run_columns()).select_from(_runs_joined())
                       .where(T.runs.c.run_id == str(run_id))).first()
    return None if row is None else _run(row)


def runs_for_council(conn: Connection, council_id: UUID | str) -> list[Run]:
    """A council's runs, the latest period first (and, for one period, the latest calculated first)."""
    r = T.runs.c
    rows = conn.execute(select(*_run_columns()).select_from(_runs_joined()).where(r.council_id == str(council_id))
                        .order_by(r.period_start.desc(), r.position.desc()))
    return [_run(row) for row in rows]


def run_lines(conn: Connection, run_id: UUID | str, provider_id: UUID | str | None = None) -> list[ScheduleLine]:
    """A run's lines (one provider's with `provider_id`), by provider reference, child
    reference, placement, then in the run's order (regular lines before adjustments)."""
    ln, ch, pr = T.lines.c, T.children.c, T.providers.c
    q = (select(ln.run_id, ln.line_no, ln.placement_id, ln.child_id, ch.reference, ln.provider_id, pr.ref,
                ln.place_code, ln.period_start, ln.period_end, ln.line_start, ln.line_end, ln.nights, ln.band,
                ln.weekly_rate_pence, ln.amount_pence, ln.kind, ln.adjusts_period_start, ln.causes)
         .select_from(T.lines.outerjoin(T.children, ch.child_id == ln.child_id)
                      .outerjoin(T.providers, pr.provider_id == ln.provider_id))
         .where(ln.run_id == str(run_id)))
    if provider_id is not None:
        q = q.where(ln.provider_id == str(provider_id))
    rows = conn.execute(q).all()
    lines = [ScheduleLine(*row[:14], pounds(row[14]), pounds(row[15]), row[16], row[17],  # type: ignore[arg-type]
                          tuple(json.loads(row[18]))) for row in rows]
    lines.sort(key=lambda x: (x.provider_ref or "", x.child_ref or "", x.placement_id, x.line_no))
    return lines


def run_unpriced(conn: Connection, run_id: UUID | str) -> list[Unpriced]:
    u, ch = T.unpriced.c, T.children.c
    rows = conn.execute(
        select(u.run_id, u.placement_id, u.child_id, ch.reference, u.line_start, u.line_end, u.reason)
        .select_from(T.unpriced.outerjoin(T.children, ch.child_id == u.child_id))
        .where(u.run_id == str(run_id)).order_by(u.item_no))
    return [Unpriced(*row) for row in rows]


def provider_totals(conn: Connection, run_id: UUID | str) -> list[ProviderTotal]:
    """Each provider's lines and amounts in a run, by provider reference."""
    t, pr = T.provider_totals.c, T.providers.c
    rows = conn.execute(
        select(t.run_id, t.provider_id, pr.ref, pr.name, t.lines, t.regular_pence, t.adjustment_pence, t.total_pence)
        .select_from(T.provider_totals.outerjoin(T.providers, pr.provider_id == t.provider_id))
        .where(t.run_id == str(run_id)))
    totals = [ProviderTotal(*row[:5], pounds(row[5]), pounds(row[6]), pounds(row[7]))  # type: ignore[arg-type]
              for row in rows]
    return sorted(totals, key=lambda x: (x.provider_ref or "", x.provider_id))


def payments_for_provider(conn: Connection, provider_id: UUID | str) -> list[ProviderPayment]:
    """What approved runs paid a provider, the latest period first. Runs not yet approved
    are not payments."""
    t, r, c = T.provider_totals.c, T.runs.c, T.councils.c
    rows = conn.execute(
        select(r.run_id, r.council_id, c.code, r.period_start, r.period_end, r.approved_at, t.lines,
               t.regular_pence, t.adjustment_pence, t.total_pence)
        .select_from(T.provider_totals.join(T.runs, r.run_id == t.run_id)
                     .outerjoin(T.councils, c.council_id == r.council_id))
        .where(t.provider_id == str(provider_id), r.state == APPROVED)
        .order_by(r.period_start.desc(), c.code, r.run_id))
    return [ProviderPayment(row[0], row[1], row[2], row[3], row[4], aware(row[5]), row[6], pounds(row[7]),  # type: ignore[arg-type]
                            pounds(row[8]), pounds(row[9])) for row in rows]  # type: ignore[arg-type]


def placement_schedule(conn: Connection, placement_id: UUID | str) -> list[PlacementPeriod]:
    """Every run's payment for a placement, by the period paid for, then by run period:
    a period's own run, then the adjustments later runs made to it."""
    pp, r = T.placement_periods.c, T.runs.c
    rows = conn.execute(
        select(pp.placement_id, pp.period_start, pp.period_end, pp.run_id, pp.run_period_start, r.state, pp.lines,
               pp.nights, pp.regular_pence, pp.adjustment_pence)
        .select_from(T.placement_periods.outerjoin(T.runs, r.run_id == pp.run_id))
        .where(pp.placement_id == str(placement_id))
        .order_by(pp.period_start, pp.run_period_start, r.position))
    return [PlacementPeriod(*row[:8], pounds(row[8]), pounds(row[9])) for row in rows]  # type: ignore[arg-type]


def _iso(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _pounds_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def run_csv_rows(conn: Connection, run_id: UUID | str, provider_id: UUID | str | None = None) -> list[dict[str, str]]:
    """A run's lines as CONTRACT.md's payment export CSV: one dict per line, keys in
    `CSV_COLUMNS` order (for csv.DictWriter). Dates ISO, money with two decimals,
    `line_end` exclusive; band, weekly rate and adjusted period blank where they do not apply."""
    found = run(conn, run_id)
    if found is None:
        return []
    council = found.council_code or ""
    return [{
        "run_id": line.run_id, "council": council, "provider_ref": line.provider_ref or "",
        "child": line.child_ref or "", "placement_id": line.placement_id,
        "period_start": _iso(line.period_start), "period_end": _iso(line.period_end),
        "line_start": _iso(line.line_start), "line_end": _iso(line.line_end), "nights": str(line.nights),
        "band": line.band or "", "weekly_rate": _pounds_text(line.weekly_rate), "amount": _pounds_text(line.amount),
        "kind": line.kind, "adjusts_period_start": _iso(line.adjusts_period_start),
    } for line in run_lines(conn, run_id, provider_id)]


def exported(conn: Connection, run_id: UUID | str) -> list[tuple[str, str, datetime, str]]:
    """A run's exports: (format, provider_ref, when, by whom), in order."""
    x = T.exports.c
    rows = conn.execute(select(x.format, x.provider_ref, x.exported_at, x.exported_by)
                        .where(x.run_id == str(run_id)).order_by(x.position))
    return [(f, ref, aware(at), by) for f, ref, at, by in rows]  # type: ignore[misc]



def run_owners(conn: Connection | Engine, run_id: UUID | str) -> str | None:
    """The organisation a payment run belongs to (its council), or None if there is no such
    run: the portal's organisation scope check for "payment_run"."""
    query = select(T.runs.c.council_id).where(T.runs.c.run_id == str(run_id))
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return c.execute(query).scalar_one_or_none()
    return conn.execute(query).scalar_one_or_none()


def payment_calendar(conn: Connection, council_id: UUID | str) -> PaymentCalendar | None:
    """The council's payment calendar (None: no such council)."""
    c = T.calendars.c
    row = conn.execute(select(c.anchor, c.period_days).where(c.council_id == str(council_id))).first()
    return None if row is None else PaymentCalendar(row[0], row[1])
