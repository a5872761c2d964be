"""The council's referral board: each referral with every offer side by side. For each
offer: the provider and home, the price, the banded fee for the child's band and the
offer's placement type on the offer's start date, the difference, the home's capacity
against the child's needs domain by domain, and the provider's track record. Beside the
offers, who the referral was released to and who viewed, declined or stayed silent.

Tables:
- `board_referrals`: one row per referral (the profile it was raised with, its state).
- `board_releases`: one row per (referral, provider released to): viewed, declined.
- `board_offers`: every offer, in every state (live, withdrawn, accepted, unsuccessful).
- `board_providers`, `board_homes`: names, and each home's placement types and capacity.
- `board_policies`, `board_fees`: the councils' banding policies and every fee schedule
  entry (the council's and providers' framework schedules), effective-dated.

Fee figures and capacity are worked out when the board is read, from those tables and the
domain's own rules (`domain.needs`), so a backdated policy or fee, or a home's new
capacity, shows at once without rewriting offers. The banded fee follows the payment
rule: the provider's framework schedule where it has a fee in force, else the council's.

The track record is the audit view's provider outcomes (one definition, one figure,
wherever a provider's outcomes are shown).

Queries: `board_for_council`, `referral_board`, `provider_track_record`, `referral_owners`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from uuid import UUID

from sqlalchemy import (
    BigInteger, Boolean, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text, select,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import Uuid

from domain.codes import DECLINE_REASONS
from domain.councils import Council
from domain.fees import FeeSchedule, fee_schedule_id
from domain.needs import CURRENT_FRAMEWORK, NeedsProfile, PolicyHistory, PolicyVersion, framework, level, policy_from_dict
from domain.providers import Provider
from domain.referrals import Referral
from projections import audit
from projections.base import METADATA, View, handles
from projections.sql import connect as _connect, JSONType, pence as _pence, pounds as _pounds, utc as _utc


OFFERED, DECLINED, VIEWED, SILENT = "offered", "declined", "viewed", "silent"


def make_tables(metadata: MetaData, suffix: str = "") -> SimpleNamespace:
    referrals = Table(
        f"board_referrals{suffix}",
        metadata,
        Column("referral_id", Uuid, primary_key=True),
        Column("council_id", Uuid, nullable=False),
        Column("child_id", Uuid, nullable=False),
        Column("assessment_id", Uuid, nullable=False),
        Column("framework_version", String(20), nullable=False),
        Column("scores", JSONType, nullable=False),
        Column("total", Integer, nullable=False),
        Column("band", String(20), nullable=True),  # when raised, under the policy then
        Column("age", Integer, nullable=False),
        Column("sex", String(10), nullable=False),
        Column("place_codes", JSONType, nullable=False),
        Column("needed_by", Date, nullable=False),
        Column("location", String(100), nullable=False),
        Column("summary", Text, nullable=False),
        Column("state", String(20), nullable=False),
        Column("raised_at", DateTime(timezone=True), nullable=False),
        Column("raised_position", BigInteger, nullable=False),
        Column("released_at", DateTime(timezone=True), nullable=True),
        Column("offers_close_at", DateTime(timezone=True), nullable=True),
        Column("awarded_offer_id", Uuid, nullable=True),
        Column("placement_id", Uuid, nullable=True),
        Column("ended_at", DateTime(timezone=True), nullable=True),  # awarded, withdrawn or closed
        Column("ended_reason", Text, nullable=True),
        Index(f"ix_board_referrals_council{suffix}", "council_id", "state"),
    )
    releases = Table(
        f"board_releases{suffix}",
        metadata,
        Column("referral_id", Uuid, primary_key=True),
        Column("provider_id", Uuid, primary_key=True),
        Column("released_at", DateTime(timezone=True), nullable=False),
        Column("viewed_at", DateTime(timezone=True), nullable=True),
        Column("declined_at", DateTime(timezone=True), nullable=True),
        Column("decline_reason", String(30), nullable=True),
        Column("decline_note", Text, nullable=True),
    )
    offers = Table(
        f"board_offers{suffix}",
        metadata,
        Column("offer_id", Uuid, primary_key=True),
        Column("referral_id", Uuid, nullable=False),
        Column("provider_id", Uuid, nullable=False),
        Column("home_id", Uuid, nullable=False),
        Column("weekly_price_pence", BigInteger, nullable=False),
        Column("start_date", Date, nullable=False),
        Column("how_needs_met", JSONType, nullable=False),
        Column("note", Text, nullable=False),
        Column("state", String(20), nullable=False),
        Column("made_at", DateTime(timezone=True), nullable=False),
        Column("amended_at", DateTime(timezone=True), nullable=True),
        Column("withdrawn_reason", Text, nullable=True),
        Column("feedback", Text, nullable=True),
        Index(f"ix_board_offers_referral{suffix}", "referral_id"),
    )
    providers = Table(
        f"board_providers{suffix}",
        metadata,
        Column("provider_id", Uuid, primary_key=True),
        Column("ref", String(30), nullable=False),
        Column("name", String(200), nullable=False),
        Column("kind", String(3), nullable=False),
        Column("suspended", Boolean, nullable=False),
    )
    homes = Table(
        f"board_homes{suffix}",
        metadata,
        Column("home_id", Uuid, primary_key=True),
        Column("provider_id", Uuid, nullable=False),
        Column("home_ref", String(30), nullable=False),
        Column("name", String(200), nullable=False),
        Column("place_codes", JSONType, nullable=False),
        Column("places", Integer, nullable=False),
        Column("capacity", JSONType, nullable=False),
        Column("location", String(100), nullable=False),
    )
    policies = Table(
        f"board_policies{suffix}",
        metadata,
        Column("council_id", Uuid, primary_key=True),
        Column("effective_from", Date, primary_key=True),
        Column("policy", JSONType, nullable=False),
    )
    fees = Table(
        f"board_fees{suffix}",
        metadata,
        Column("schedule_id", Uuid, primary_key=True),
        Column("place_code", String(4), primary_key=True),
        Column("band", String(20), primary_key=True),
        Column("effective_from", Date, primary_key=True),
        Column("weekly_fee_pence", BigInteger, nullable=True),  # None: withdrawn from this date
    )
    return SimpleNamespace(referrals=referrals, releases=releases, offers=offers, providers=providers, homes=homes,
                           policies=policies, fees=fees)


T = make_tables(METADATA)


class BoardView(View):
    name = "board"
    make_tables = staticmethod(make_tables)
    tables = T
    # Every table is worked on in memory (projections/rows.py): a referral's releases are
    # found by its id when it is released again, its offers when it is awarded.
    worked = {"referrals": (), "releases": ("referral_id",), "offers": ("referral_id",), "providers": (),
              "homes": (), "policies": (), "fees": ()}

    # -- providers, homes, policies, fees -----------------------------------------------------

    @handles(Provider.Registered)
    def provider_registered(self, conn: Connection, event: Provider.Registered, position: int) -> None:
        self.rows.providers.insert({"provider_id": event.originator_id, "ref": event.ref, "name": event.name,
                                    "kind": event.kind, "suspended": False})

    @handles(Provider.DetailsChanged)
    def provider_changed(self, conn: Connection, event: Provider.DetailsChanged, position: int) -> None:
        self.rows.providers.update_if_present(conn, event.originator_id, name=event.name)

    @handles(Provider.Suspended)
    def provider_suspended(self, conn: Connection, event: Provider.Suspended, position: int) -> None:
        self.rows.providers.update_if_present(conn, event.originator_id, suspended=True)

    @handles(Provider.Reinstated)
    def provider_reinstated(self, conn: Connection, event: Provider.Reinstated, position: int) -> None:
        self.rows.providers.update_if_present(conn, event.originator_id, suspended=False)

    @handles(Provider.HomeAdded)
    def home_added(self, conn: Connection, event: Provider.HomeAdded, position: int) -> None:
        self.rows.homes.insert(dict(
            home_id=event.home_id, provider_id=event.originator_id, home_ref=event.home_ref, name=event.name,
            place_codes=list(event.place_codes), places=event.places, capacity=dict(event.capacity),
            location=event.location))

    @handles(Provider.CapacityChanged)
    def capacity_changed(self, conn: Connection, event: Provider.CapacityChanged, position: int) -> None:
        self.rows.homes.update_if_present(conn, event.home_id, places=event.places, capacity=dict(event.capacity))

    # A re-statement for the same date replaces the entry: the latest word wins.

    @handles(Council.BandingPolicyAdopted)
    def policy_adopted(self, conn: Connection, event: Council.BandingPolicyAdopted, position: int) -> None:
        self.rows.policies.put(conn, {"council_id": event.originator_id, "effective_from": event.effective_from,
                                      "policy": dict(event.policy)})

    @handles(FeeSchedule.FeeSet, FeeSchedule.FeeWithdrawn)
    def fee_set(self, conn: Connection, event: FeeSchedule.FeeSet, position: int) -> None:
        self.rows.fees.put(conn, {"schedule_id": event.originator_id, "place_code": event.place_code,
                                  "band": event.band, "effective_from": event.effective_from,
                                  "weekly_fee_pence": None if event.weekly_fee is None else _pence(event.weekly_fee)})

    # -- referrals ---------------------------------------------------------------------------

    @handles(Referral.Raised)
    def raised(self, conn: Connection, event: Referral.Raised, position: int) -> None:
        scores = dict(event.profile)
        self.rows.referrals.insert(dict(
            referral_id=event.originator_id, council_id=event.council_id, child_id=event.child_id,
            assessment_id=event.assessment_id, framework_version=event.framework_version, scores=scores,
            total=sum(scores.values()), band=event.band, age=event.age, sex=event.sex,
            place_codes=list(event.place_codes), needed_by=event.needed_by, location=event.location,
            summary=event.summary, state="raised", raised_at=event.timestamp, raised_position=position))

    @handles(Referral.Released)
    def released(self, conn: Connection, event: Referral.Released, position: int) -> None:
        referral = self.rows.referrals.get(conn, event.originator_id)
        if referral is not None:  # released again, to more providers: released_at stays the first release's
            self.rows.referrals.update(conn, event.originator_id, state="released",
                                       offers_close_at=event.offers_close_at,
                                       released_at=referral["released_at"] or event.timestamp)
        releases = self.rows.releases
        already = {row["provider_id"] for row in releases.where(conn, "referral_id", event.originator_id)}
        for provider_id in event.provider_ids:
            if provider_id not in already:
                releases.insert({"referral_id": event.originator_id, "provider_id": provider_id,
                                 "released_at": event.timestamp})

    @handles(Referral.Viewed)
    def viewed(self, conn: Connection, event: Referral.Viewed, position: int) -> None:
        self.rows.releases.update_if_present(conn, (event.originator_id, event.provider_id), viewed_at=event.timestamp)

    @handles(Referral.Declined)
    def declined(self, conn: Connection, event: Referral.Declined, position: int) -> None:
        self.rows.releases.update_if_present(conn, (event.originator_id, event.provider_id),
                                             declined_at=event.timestamp, decline_reason=event.reason,
                                             decline_note=event.note)

    @handles(Referral.OfferMade)
    def offer_made(self, conn: Connection, event: Referral.OfferMade, position: int) -> None:
        self.rows.offers.insert(dict(
            offer_id=event.offer_id, referral_id=event.originator_id, provider_id=event.provider_id,
            home_id=event.home_id, weekly_price_pence=_pence(event.weekly_price), start_date=event.start_date,
            how_needs_met=dict(event.how_needs_met), note=event.note, state="live", made_at=event.timestamp))

    @handles(Referral.OfferAmended)
    def offer_amended(self, conn: Connection, event: Referral.OfferAmended, position: int) -> None:
        self.rows.offers.update_if_present(conn, event.offer_id, weekly_price_pence=_pence(event.weekly_price),
                                           start_date=event.start_date, how_needs_met=dict(event.how_needs_met),
                                           amended_at=event.timestamp)

    @handles(Referral.OfferWithdrawn)
    def offer_withdrawn(self, conn: Connection, event: Referral.OfferWithdrawn, position: int) -> None:
        self.rows.offers.update_if_present(conn, event.offer_id, state="withdrawn", withdrawn_reason=event.reason)

    @handles(Referral.Awarded)
    def awarded(self, conn: Connection, event: Referral.Awarded, position: int) -> None:
        offers = self.rows.offers
        for offer in offers.where(conn, "referral_id", event.originator_id):
            if offer["state"] != "live":  # withdrawn ones stay withdrawn
                continue
            if offer["offer_id"] == event.offer_id:
                offers.update(conn, offer["offer_id"], state="accepted")
            else:
                offers.update(conn, offer["offer_id"], state="unsuccessful",
                              feedback=event.feedback.get(str(offer["provider_id"])) or None)
        self.rows.referrals.update_if_present(conn, event.originator_id, state="awarded",
                                              awarded_offer_id=event.offer_id, placement_id=event.placement_id,
                                              ended_at=event.timestamp)

    @handles(Referral.Withdrawn)
    def withdrawn(self, conn: Connection, event: Referral.Withdrawn, position: int) -> None:
        self.rows.referrals.update_if_present(conn, event.originator_id, state="withdrawn", ended_at=event.timestamp,
                                              ended_reason=event.reason)

    @handles(Referral.Closed)
    def closed(self, conn: Connection, event: Referral.Closed, position: int) -> None:
        self.rows.referrals.update_if_present(conn, event.originator_id, state="closed", ended_at=event.timestamp,
                                              ended_reason=event.reason)


# ---------------------------------------------------------------------------------------
# Reading the board: pure rules over the rows


@dataclass(frozen=True)
class CapacityMatch:
    key: str
    label: str
    need: int  # the child's score
    capacity: int  # the highest score the home is ready to meet
    met: bool

    @property
    def gap(self) -> int:
        return max(self.need - self.capacity, 0)


def capacity_against_needs(needs: dict[str, int], capacity: dict[str, int],
                           framework_version: str = CURRENT_FRAMEWORK.version) -> list[CapacityMatch]:
    fw = framework(framework_version)
    return [CapacityMatch(key=k, label=fw.label(k), need=needs[k], capacity=capacity.get(k, 0),
                          met=capacity.get(k, 0) >= needs[k]) for k in fw.keys if k in needs]


def offer_place_code(referral_place_codes: Iterable[str], home_place_codes: Iterable[str]) -> str | None:
    """The placement type an award of this offer would start: the first type sought that
    the home offers (the rule `award_referral` applies when no type is chosen)."""
    home = set(home_place_codes)
    return next((c for c in referral_place_codes if c in home), None)


@dataclass(frozen=True)
class FeeLookup:
    """Fee entries of the schedules that matter to one council's referral."""

    entries: dict[tuple[UUID, str, str], list[tuple[date, int | None]]]

    def fee_on(self, schedule_id: UUID, place_code: str, band: str, night: date) -> tuple[bool, int | None]:
        """(found, pence): whether the schedule has an entry in force, and its fee."""
        found = None
        for effective_from, pence in self.entries.get((schedule_id, place_code, band), ()):
            if effective_from <= night and (found is None or effective_from >= found[0]):
                found = (effective_from, pence)
        return (found is not None, found[1] if found else None)


def banded_fee(fees: FeeLookup, council_id: UUID, provider_id: UUID, place_code: str, band: str,
               night: date) -> tuple[Decimal | None, str | None]:
    """The weekly fee and whose schedule it comes from ("provider" or "council"): the
    provider's framework schedule where it has a fee in force, else the council's."""
    for source, schedule in (("provider", fee_schedule_id(council_id, provider_id)),
                             ("council", fee_schedule_id(council_id, None))):
        found, pence = fees.fee_on(schedule, place_code, band, night)
        if found and pence is not None:
            return _pounds(pence), source
    return None, None


@dataclass(frozen=True)
class TrackRecord:
    provider_id: UUID
    children: int  # children behind the averages
    average_change_per_six_months: Decimal | None  # None: fewer than five children
    average_change: Decimal | None

    @property
    def hidden(self) -> bool:
        return self.average_change_per_six_months is None

    @classmethod
    def from_outcomes(cls, outcomes: audit.ProviderOutcomes) -> TrackRecord:
        return cls(outcomes.provider_id, outcomes.children, outcomes.average_change_per_six_months,
                   outcomes.average_change)


def provider_track_record(conn: Connection | Engine, provider_id: UUID) -> TrackRecord:
    """The average needs change per six months of children in the provider's care, with
    the number of children behind it; hidden (None) under five children."""
    return TrackRecord.from_outcomes(audit.provider_outcomes(conn, provider_id))


@dataclass(frozen=True)
class Release:
    provider_id: UUID
    provider_name: str | None
    released_at: datetime
    viewed_at: datetime | None
    response: str  # offered, declined, viewed, silent
    decline_reason: str | None
    decline_reason_label: str | None
    decline_note: str | None


@dataclass(frozen=True)
class BoardOffer:
    offer_id: UUID
    provider_id: UUID
    provider_name: str | None
    home_id: UUID
    home_name: str | None
    place_code: str | None
    weekly_price: Decimal
    start_date: date
    state: str  # live, withdrawn, accepted, unsuccessful
    made_at: datetime
    band: str | None  # the child's band under the policy in force on the start date
    banded_fee: Decimal | None  # for that band and place type, in force on the start date
    fee_source: str | None  # "provider" (framework schedule) or "council"
    capacity: list[CapacityMatch]
    track_record: TrackRecord
    how_needs_met: dict[str, str] = field(default_factory=dict)
    note: str = ""
    withdrawn_reason: str | None = None
    feedback: str | None = None

    @property
    def difference(self) -> Decimal | None:
        """Price minus banded fee: above the fee when positive."""
        return None if self.banded_fee is None else self.weekly_price - self.banded_fee

    @property
    def gaps(self) -> int:
        return sum(1 for c in self.capacity if not c.met)


@dataclass(frozen=True)
class BoardSummary:
    referral_id: UUID
    child_id: UUID
    state: str
    total: int
    band: str | None
    age: int
    sex: str
    place_codes: list[str]
    needed_by: date
    location: str
    raised_at: datetime
    offers_close_at: datetime | None
    released: int  # providers it was released to
    viewed: int  # of those, how many read it (viewed, offered or declined)
    declined: int
    silent: int
    live_offers: int
    offers: int
    lowest_live_price: Decimal | None


@dataclass(frozen=True)
class DomainNeed:
    key: str
    label: str
    score: int
    level: str


@dataclass(frozen=True)
class ReferralBoard:
    referral_id: UUID
    council_id: UUID
    child_id: UUID
    assessment_id: UUID
    state: str
    framework_version: str
    needs: list[DomainNeed]
    total: int
    band_when_raised: str | None
    age: int
    sex: str
    place_codes: list[str]
    needed_by: date
    location: str
    summary: str
    raised_at: datetime
    released_at: datetime | None
    offers_close_at: datetime | None
    awarded_offer_id: UUID | None
    placement_id: UUID | None
    ended_reason: str | None
    releases: list[Release]
    offers: list[BoardOffer]

    @property
    def silent(self) -> list[Release]:
        return [r for r in self.releases if r.response == SILENT]


def _response(declined: bool, offer_states: Iterable[str], viewed: bool) -> str:
    """How a provider answered a release. An offer it took back counts as having read it."""
    states = set(offer_states)
    if states - {"withdrawn"}:
        return OFFERED
    if declined:
        return DECLINED
    if viewed or states:
        return VIEWED
    return SILENT


def referral_owners(conn: Connection | Engine, referral_id: UUID | str) -> UUID | None:
    """The council a referral belongs to (for the portal's organisation scope check), or
    None when there is no such referral. Providers it was released to read it through
    their inbox (projections/inbox.py), never through the council's board."""
    try:
        rid = referral_id if isinstance(referral_id, UUID) else UUID(str(referral_id))
    except ValueError:
        return None
    r = T.referrals
    with _connect(conn) as c:
        return c.execute(select(r.c.council_id).where(r.c.referral_id == rid)).scalar()


def board_for_council(conn: Connection | Engine, council_id: UUID, state: str | None = None) -> list[BoardSummary]:
    """The council's referrals, newest first, each with how providers answered: released
    to, viewed, declined, silent, offers (live and all) and the lowest live price."""
    r, rel, o = T.referrals, T.releases, T.offers
    where = [r.c.council_id == council_id]
    if state is not None:
        where.append(r.c.state == state)
    with _connect(conn) as c:
        referrals = c.execute(select(r).where(*where).order_by(r.c.raised_position.desc())).all()
        releases = c.execute(select(rel.c.referral_id, rel.c.provider_id, rel.c.viewed_at, rel.c.declined_at)
                             .join(r, r.c.referral_id == rel.c.referral_id).where(*where)).all()
        offers = c.execute(select(o.c.referral_id, o.c.provider_id, o.c.state, o.c.weekly_price_pence)
                           .join(r, r.c.referral_id == o.c.referral_id).where(*where)).all()
    offer_states: dict[tuple[UUID, UUID], list[str]] = {}
    for x in offers:
        offer_states.setdefault((x.referral_id, x.provider_id), []).append(x.state)
    responses: dict[UUID, list[str]] = {}
    for x in releases:
        responses.setdefault(x.referral_id, []).append(
            _response(x.declined_at is not None, offer_states.get((x.referral_id, x.provider_id), []),
                      x.viewed_at is not None))
    live: dict[UUID, list[int]] = {}
    every: dict[UUID, int] = {}
    for x in offers:
        every[x.referral_id] = every.get(x.referral_id, 0) + 1
        if x.state == "live":
            live.setdefault(x.referral_id, []).append(x.weekly_price_pence)
    summaries = []
    for row in referrals:
        answers = responses.get(row.referral_id, [])
        prices = live.get(row.referral_id, [])
        summaries.append(BoardSummary(
            referral_id=row.referral_id, child_id=row.child_id, state=row.state, total=row.total, band=row.band,
            age=row.age, sex=row.sex, place_codes=list(row.place_codes), needed_by=row.needed_by,
            location=row.location, raised_at=_utc(row.raised_at), offers_close_at=_utc(row.offers_close_at),
            released=len(answers), viewed=sum(1 for a in answers if a != SILENT),
            declined=answers.count(DECLINED), silent=answers.count(SILENT), live_offers=len(prices),
            offers=every.get(row.referral_id, 0), lowest_live_price=_pounds(min(prices)) if prices else None,
        ))
    return summaries


def referral_board(conn: Connection | Engine, council_id: UUID, referral_id: UUID) -> ReferralBoard | None:
    """One referral with every offer side by side; None unless it is the council's."""
    r, rel, o, p, h, pol, f = T.referrals, T.releases, T.offers, T.providers, T.homes, T.policies, T.fees
    with _connect(conn) as c:
        row = c.execute(select(r).where(r.c.referral_id == referral_id, r.c.council_id == council_id)).first()
        if row is None:
            return None
        releases = c.execute(select(rel, p.c.name.label("provider_name")).outerjoin(p, p.c.provider_id == rel.c.provider_id)
                             .where(rel.c.referral_id == referral_id).order_by(p.c.name, rel.c.provider_id)).all()
        offers = c.execute(
            select(o, p.c.name.label("provider_name"), h.c.name.label("home_name"),
                   h.c.place_codes.label("home_place_codes"), h.c.capacity.label("home_capacity"))
            .outerjoin(p, p.c.provider_id == o.c.provider_id).outerjoin(h, h.c.home_id == o.c.home_id)
            .where(o.c.referral_id == referral_id)).all()
        policies = c.execute(select(pol).where(pol.c.council_id == council_id)).all()
        schedules = [fee_schedule_id(council_id, None), *(fee_schedule_id(council_id, x.provider_id) for x in offers)]
        fee_rows = c.execute(select(f).where(f.c.schedule_id.in_(schedules))).all()
        track = audit.outcomes_for_providers(c, [x.provider_id for x in offers])

    history = PolicyHistory(PolicyVersion(x.effective_from, policy_from_dict(x.policy)) for x in policies)
    fees = FeeLookup({})
    for x in fee_rows:
        fees.entries.setdefault((x.schedule_id, x.place_code, x.band), []).append((x.effective_from, x.weekly_fee_pence))
    profile = NeedsProfile(dict(row.scores), row.framework_version)
    offer_states: dict[UUID, list[str]] = {}
    for x in offers:
        offer_states.setdefault(x.provider_id, []).append(x.state)

    board_offers = []
    for x in offers:
        place_code = offer_place_code(row.place_codes, x.home_place_codes or [])
        policy = history.on(x.start_date)
        band = policy.band_for(profile) if policy is not None else None
        fee, source = (banded_fee(fees, council_id, x.provider_id, place_code, band, x.start_date)
                       if band is not None and place_code is not None else (None, None))
        board_offers.append(BoardOffer(
            offer_id=x.offer_id, provider_id=x.provider_id, provider_name=x.provider_name, home_id=x.home_id,
            home_name=x.home_name, place_code=place_code, weekly_price=_pounds(x.weekly_price_pence),
            start_date=x.start_date, state=x.state, made_at=_utc(x.made_at), band=band, banded_fee=fee,
            fee_source=source,
            capacity=capacity_against_needs(profile.as_dict(), dict(x.home_capacity or {}), row.framework_version),
            track_record=TrackRecord.from_outcomes(track[x.provider_id]), how_needs_met=dict(x.how_needs_met),
            note=x.note, withdrawn_reason=x.withdrawn_reason, feedback=x.feedback,
        ))
    # Standing offers (live, or accepted) first, cheapest first; then the rest as they came.
    def order(offer: BoardOffer) -> tuple:
        standing = offer.state in ("live", "accepted")
        return (not standing, offer.weekly_price if standing else Decimal(0), offer.made_at, str(offer.offer_id))

    board_offers.sort(key=order)

    fw = framework(row.framework_version)
    return ReferralBoard(
        referral_id=row.referral_id, council_id=row.council_id, child_id=row.child_id,
        assessment_id=row.assessment_id, state=row.state, framework_version=row.framework_version,
        needs=[DomainNeed(k, fw.label(k), row.scores[k], level(row.scores[k]).value) for k in fw.keys if k in row.scores],
        total=row.total, band_when_raised=row.band, age=row.age, sex=row.sex, place_codes=list(row.place_codes),
        needed_by=row.needed_by, location=row.location, summary=row.summary, raised_at=_utc(row.raised_at),
        released_at=_utc(row.released_at), offers_close_at=_utc(row.offers_close_at),
        awarded_offer_id=row.awarded_offer_id, placement_id=row.placement_id, ended_reason=row.ended_reason,
        releases=[Release(
            provider_id=x.provider_id, provider_name=x.provider_name, released_at=_utc(x.released_at),
            viewed_at=_utc(x.viewed_at),
            response=_response(x.declined_at is not None, offer_states.get(x.provider_id, []), x.viewed_at is not None),
            decline_reason=x.decline_reason,
            decline_reason_label=DECLINE_REASONS.get(x.decline_reason) if x.decline_reason else None,
            decline_note=x.decline_note,
        ) for x in releases],
        offers=board_offers,
    )
