"""NeedsLedger: the application service. One method per command; each loads the aggregates
it needs, lets them decide (they raise domain errors or record events), and saves every
changed aggregate at once with optimistic concurrency: a clash with another writer is a
Conflict, never a lost write.

The store is chosen by the environment passed in (see config/): SQLite by default,
PostgreSQL in production, both through eventsourcing-sqlalchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application, project_aggregate
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, StoredEvent, Transcoding

from domain import clock
from domain.base import Actor, stable_id
from domain.children import Child, child_id
from domain.councils import Council, council_id
from domain.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationError
from domain.fees import FeeSchedule, fee_schedule_id
from domain.needs import NeedsProfile
from domain import payment_facts, payments
from domain.calendar import Period
from domain.payment_runs import PaymentRun
from domain.placements import Placement
from domain.providers import Provider, provider_id
from domain.referrals import Referral
from domain.users import UserAccount, user_id
from domain.validation import require_date

A = TypeVar("A", bound=Aggregate)

# The notification id of the last event this context saved: a request that must read its
# own write waits for the projections to reach it.
last_position: ContextVar[int | None] = ContextVar("last_position", default=None)

COUNCIL_ROLES = ("commissioner", "admin")
ASSESSING_ROLES = ("social_worker", "commissioner", "admin")


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class NeedsLedger(Application[UUID]):
    name = "needsledger"
    env = {
        "AGGREGATE_CACHE_MAXSIZE": "5000",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "y",
        "COMPRESSOR_TOPIC": "",
    }

    def __init__(self, env: dict[str, str] | None = None):
        super().__init__(env)
        self._batch: dict[UUID, Aggregate] | None = None
        self._batch_order: list[Aggregate] = []
        self._batch_saved: set[UUID] = set()
        self._batch_fresh_ids = False

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # -- saving, loading, batching -------------------------------------------------------

    @contextmanager
    def batch(self, *, fresh_ids: bool = False) -> Iterator[None]:
        """Run many commands and save all their events in one transaction at the end: the
        seed and the import use this to write thousands of commands fast, and all or
        nothing. Commands inside see each other's pending changes, and a record read once
        is read from the batch after that (one load per batch, not one per command).

        `fresh_ids`: the caller knows the records it creates are new (the seed, on a store
        it has checked holds none of its councils), so the per-record existence check is
        skipped; a clash would still fail the whole batch at commit, as a Conflict."""
        if self._batch is not None:
            yield
            return
        self._batch, self._batch_order, self._batch_saved = {}, [], set()
        self._batch_fresh_ids = fresh_ids
        try:
            yield
            pending = self._batch_order
            self._batch, self._batch_order, self._batch_saved = None, [], set()
            self._commit(pending)
        finally:
            self._batch, self._batch_order, self._batch_saved = None, [], set()
            self._batch_fresh_ids = False

    def _save(self, *aggregates: Aggregate) -> None:
        if self._batch is not None:
            for agg in aggregates:
                self._batch[agg.id] = agg
                if agg.id not in self._batch_saved:
                    self._batch_saved.add(agg.id)
                    self._batch_order.append(agg)
            return
        self._commit(list(aggregates))

    def _commit(self, aggregates: Sequence[Aggregate]) -> None:
        try:
            recordings = self.save(*aggregates)
        except IntegrityError:
            # Another writer saved a new version of one of these records first. Forget
            # cached copies so a retry starts from the store. (Evict: a cached None would
            # make every later read of the record fail.)
            cache = self.repository.cache
            for agg in aggregates:
                if cache is not None:
                    try:
                        cache.get(agg.id, evict=True)
                    except KeyError:
                        pass
            raise Conflict("record", "Someone else changed this record at the same time. Nothing was saved: try again.") from None
        if recordings:
            last_position.set(max(r.notification.id for r in recordings))

    def _get(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        if self._batch is not None and aggregate_id in self._batch:
            agg = self._batch[aggregate_id]
        else:
            try:
                agg = self.repository.get(aggregate_id)
            except AggregateNotFoundError:
                raise NotFound(what, f"No such {what.replace('_', ' ')}") from None
            if self._batch is not None:
                self._batch[aggregate_id] = agg
        if not isinstance(agg, cls):
            raise NotFound(what, f"No such {what.replace('_', ' ')}")
        return agg

    def _exists(self, cls: type[Aggregate], aggregate_id: UUID) -> bool:
        try:
            self._get(cls, aggregate_id, "record")
        except NotFound:
            return False
        return True

    # What to say when a record with the same natural key is registered twice.
    _ALREADY = {
        "Council": ("code", "A council with this code is already registered"),
        "Provider": ("ref", "A provider with this reference is already registered"),
        "Child": ("reference", "A child with this reference is already registered"),
        "UserAccount": ("email", "A user with this email address already exists"),
    }

    def _new(self, agg: A) -> A:
        """Check a newly created record does not exist already. A random (uuid4) id cannot
        clash; a natural-key id can (unless a batch's caller vouched for it), and then the
        user is told which field, rather than meeting a Conflict that no retry can cure."""
        in_batch = self._batch is not None and agg.id in self._batch
        checked = agg.id.version != 4 and not (self._batch is not None and self._batch_fresh_ids)
        if in_batch or (checked and self._exists(type(agg), agg.id)):
            field, message = self._ALREADY.get(type(agg).__name__, ("id", "This record already exists"))
            raise InvalidTransition(field, message)
        return agg

    def preload(self, aggregate_ids: Iterable[UUID],
                read_many: Callable[[list[UUID]], Mapping[UUID, Sequence[StoredEvent]]] | None = None) -> set[UUID]:
        """Read many records into the running batch at once, so the commands after it find
        them there instead of reading each: the SSDA903 import compares thousands of rows
        with the ledger. `read_many` fetches many records' stored events in one query (the
        caller's store adapter); without it they are read one by one. Returns the ids
        found; an id not found is simply absent. A record changed by someone else since is
        still caught at commit, as a Conflict."""
        if self._batch is None:
            raise RuntimeError("preload() works inside batch()")
        ids = list(dict.fromkeys(aggregate_ids))
        wanted = [i for i in ids if i not in self._batch]
        stored = read_many(wanted) if read_many is not None else {i: self.recorder.select_events(i) for i in wanted}
        for aggregate_id, records in stored.items():
            aggregate = project_aggregate(None, (self.mapper.to_domain_event(r) for r in records))
            if aggregate is not None:
                self._batch[aggregate_id] = aggregate
        return {i for i in ids if i in self._batch}

    # -- authorisation --------------------------------------------------------------------

    @staticmethod
    def _authorise(by: Actor, org_id: UUID | None, roles: Sequence[str]) -> None:
        if by.user_id.startswith("system:"):
            return
        if by.role not in roles:
            raise PermissionDenied("role", "Your role does not allow this")
        if org_id is not None and by.org_id != str(org_id):
            # Another organisation's record is invisible, so it is "not found".
            raise NotFound("record", "No such record")

    # -- councils --------------------------------------------------------------------------

    def register_council(self, code: str, name: str, region: str, by: Actor) -> UUID:
        self._authorise(by, None, ("admin",))
        council = self._new(Council.register(code, name, region, by))
        self._save(council)
        return council.id

    def get_council(self, council: UUID) -> Council:
        return self._get(Council, council, "council")

    def find_council(self, code: str) -> Council:
        return self.get_council(council_id(code))

    def rename_council(self, council: UUID, name: str, region: str, by: Actor) -> None:
        self._authorise(by, council, ("admin",))
        c = self.get_council(council)
        c.rename(name, region, by)
        self._save(c)

    def set_payment_calendar(self, council: UUID, period_days: int, anchor: date, by: Actor) -> None:
        self._authorise(by, council, COUNCIL_ROLES)
        c = self.get_council(council)
        c.set_payment_calendar(period_days, anchor, by)
        self._save(c)

    def adopt_banding_policy(self, council: UUID, policy: dict, effective_from: date, by: Actor) -> None:
        self._authorise(by, council, COUNCIL_ROLES)
        c = self.get_council(council)
        c.adopt_banding_policy(policy, effective_from, by)
        self._save(c)

    # -- fee schedules ---------------------------------------------------------------------

    def _fee_schedule(self, council: UUID, provider: UUID | None, by: Actor) -> FeeSchedule:
        sid = fee_schedule_id(council, provider)
        try:
            return self._get(FeeSchedule, sid, "fee_schedule")
        except NotFound:
            self.get_council(council)
            if provider is not None:
                self.get_provider(provider)
            return self._new(FeeSchedule.open(council, provider, by))

    def get_fee_schedule(self, council: UUID, provider: UUID | None = None) -> FeeSchedule | None:
        try:
            return self._get(FeeSchedule, fee_schedule_id(council, provider), "fee_schedule")
        except NotFound:
            return None

    def set_fee(self, council: UUID, place_code: str, band: str, weekly_fee: object, effective_from: date, by: Actor,
                provider: UUID | None = None) -> None:
        self._authorise(by, council, COUNCIL_ROLES)
        schedule = self._fee_schedule(council, provider, by)
        schedule.set_fee(place_code, band, weekly_fee, effective_from, by)
        self._save(schedule)

    def withdraw_fee(self, council: UUID, place_code: str, band: str, effective_from: date, by: Actor,
                     provider: UUID | None = None) -> None:
        self._authorise(by, council, COUNCIL_ROLES)
        schedule = self._fee_schedule(council, provider, by)
        schedule.withdraw_fee(place_code, band, effective_from, by)
        self._save(schedule)

    # -- providers -------------------------------------------------------------------------

    def register_provider(self, ref: str, name: str, kind: str, urn: str, place_codes: object, region: str,
                          by: Actor, council: UUID | None = None) -> UUID:
        self._authorise(by, None, ("admin",))
        if council is not None:
            self.get_council(council)
        provider = self._new(Provider.register(ref, name, kind, urn, place_codes, region, by, council_id=council))
        self._save(provider)
        return provider.id

    def get_provider(self, provider: UUID) -> Provider:
        return self._get(Provider, provider, "provider")

    def find_provider(self, ref: str) -> Provider:
        return self.get_provider(provider_id(ref))

    def change_provider_details(self, provider: UUID, name: str, urn: str, place_codes: object, region: str,
                                by: Actor) -> None:
        self._authorise(by, provider, ("provider", "admin"))
        p = self.get_provider(provider)
        p.change_details(name, urn, place_codes, region, by)
        self._save(p)

    def add_home(self, provider: UUID, home_ref: str, name: str, place_codes: object, places: int, capacity: dict,
                 location: str, by: Actor) -> UUID:
        self._authorise(by, provider, ("provider", "admin"))
        p = self.get_provider(provider)
        hid = p.add_home(home_ref, name, place_codes, places, capacity, location, by)
        self._save(p)
        return hid

    def change_home_capacity(self, provider: UUID, home: UUID, places: int, capacity: dict, by: Actor) -> None:
        self._authorise(by, provider, ("provider", "admin"))
        p = self.get_provider(provider)
        p.change_capacity(home, places, capacity, by)
        self._save(p)

    def suspend_provider(self, provider: UUID, reason: str, by: Actor) -> None:
        self._authorise(by, None, ("admin",))
        p = self.get_provider(provider)
        p.suspend(reason, by)
        self._save(p)

    def reinstate_provider(self, provider: UUID, by: Actor) -> None:
        self._authorise(by, None, ("admin",))
        p = self.get_provider(provider)
        p.reinstate(by)
        self._save(p)

    # -- children and assessments -------------------------------------------------------------

    def register_child(self, council: UUID, reference: str, date_of_birth: date, sex: str, ethnicity: str,
                       disability: bool, ehcp: bool, excluded: bool, by: Actor) -> UUID:
        self._authorise(by, council, ASSESSING_ROLES)
        c = self.get_council(council)
        child = self._new(Child.register(c.id, c.code, reference, date_of_birth, sex, ethnicity, disability, ehcp,
                                         excluded, by))
        c.admit_child(child.id, by)
        self._save(child, c)
        return child.id

    def get_child(self, child: UUID) -> Child:
        return self._get(Child, child, "child")

    def find_child(self, council_code: str, reference: str) -> Child:
        return self.get_child(child_id(council_code, reference))

    def _council_child(self, child: UUID, by: Actor, roles: Sequence[str]) -> Child:
        c = self.get_child(child)
        self._authorise(by, c.council_id, roles)
        return c

    def change_child_characteristics(self, child: UUID, disability: bool, ehcp: bool, excluded: bool, by: Actor) -> None:
        c = self._council_child(child, by, ASSESSING_ROLES)
        c.change_characteristics(disability, ehcp, excluded, by)
        self._save(c)

    def assess_needs(self, child: UUID, effective_date: date, scores: dict, by: Actor, **details: Any) -> UUID:
        c = self._council_child(child, by, ASSESSING_ROLES)
        aid = c.assess_needs(effective_date, scores, by, **details)
        self._save(c)
        return aid

    def correct_assessment(self, child: UUID, assessment: UUID, scores: dict, reason: str, by: Actor) -> None:
        c = self._council_child(child, by, ASSESSING_ROLES)
        c.correct_assessment(assessment, scores, reason, by)
        self._save(c)

    def erase_child(self, child: UUID, reason: str, by: Actor) -> None:
        c = self._council_child(child, by, ("admin",))
        c.erase(reason, by)
        self._save(c)

    def band_of(self, child: Child, on: date) -> str | None:
        """The child's band on a night: the latest assessment effective on or before it,
        under the council's policy in force that night."""
        latest = child.latest_assessment(on)
        if latest is None:
            return None
        policy = self.get_council(child.council_id).policy_history().on(on)
        if policy is None:
            return None
        return policy.band_for(NeedsProfile(latest["scores"], latest["framework_version"]))

    # -- referrals ---------------------------------------------------------------------------

    def raise_referral(self, child: UUID, place_codes: list[str], needed_by: date, location: str, summary: str,
                       by: Actor) -> UUID:
        c = self._council_child(child, by, COUNCIL_ROLES)
        if c.erased:
            raise InvalidTransition("child", "This child's record has been erased")
        latest = c.latest_assessment()
        if latest is None:
            raise ValidationError("assessment", "Record a needs assessment before raising a referral")
        today = clock.today()
        if require_date("needed_by", needed_by) < today:  # a date first, or the comparison is a TypeError
            raise ValidationError("needed_by", "The date needed cannot be in the past")
        profile = NeedsProfile(latest["scores"], latest["framework_version"])
        referral = self._new(Referral.raise_for(
            uuid4(), c.council_id, c.id, latest["assessment_id"], profile, self.band_of(c, today), c.age_on(today),
            c.sex, place_codes, needed_by, location, summary, by))
        self._save(referral)
        return referral.id

    def get_referral(self, referral: UUID) -> Referral:
        return self._get(Referral, referral, "referral")

    def _council_referral(self, referral: UUID, by: Actor) -> Referral:
        r = self.get_referral(referral)
        self._authorise(by, r.council_id, COUNCIL_ROLES)
        return r

    def _provider_referral(self, referral: UUID, provider: UUID, by: Actor) -> Referral:
        self._authorise(by, provider, ("provider", "admin"))
        r = self.get_referral(referral)
        r.check_provider_may_see(provider)
        return r

    def release_referral(self, referral: UUID, providers: list[UUID], offers_close_at: datetime, by: Actor) -> None:
        r = self._council_referral(referral, by)
        for pid in providers:
            p = self.get_provider(pid)
            if p.suspended:
                raise ValidationError("provider_ids", f"{p.name} is suspended")
        r.release(providers, offers_close_at, by)
        self._save(r)

    def record_referral_view(self, referral: UUID, provider: UUID, by: Actor) -> None:
        r = self._provider_referral(referral, provider, by)
        if r.record_view(provider, by):
            self._save(r)

    def decline_referral(self, referral: UUID, provider: UUID, reason: str, note: str, by: Actor) -> None:
        r = self._provider_referral(referral, provider, by)
        r.decline(provider, reason, note, by)
        self._save(r)

    def make_offer(self, referral: UUID, provider: UUID, home: UUID, weekly_price: object, start_date: date,
                   how_needs_met: dict, by: Actor, note: str = "") -> UUID:
        r = self._provider_referral(referral, provider, by)
        p = self.get_provider(provider)
        if p.suspended:
            raise InvalidTransition("provider", f"{p.name} is suspended")
        h = p.home(home)
        offer_id = uuid4()
        r.make_offer(offer_id, provider, home, h["place_codes"], weekly_price, start_date, how_needs_met, note, by)
        self._save(r)
        return offer_id

    def amend_offer(self, referral: UUID, provider: UUID, offer: UUID, weekly_price: object, start_date: date,
                    how_needs_met: dict, by: Actor) -> None:
        r = self._provider_referral(referral, provider, by)
        r.amend_offer(offer, provider, weekly_price, start_date, how_needs_met, by)
        self._save(r)

    def withdraw_offer(self, referral: UUID, provider: UUID, offer: UUID, reason: str, by: Actor) -> None:
        r = self._provider_referral(referral, provider, by)
        r.withdraw_offer(offer, provider, reason, by)
        self._save(r)

    def award_referral(self, referral: UUID, offer: UUID, pricing: str, feedback: dict[str, str], by: Actor,
                       place_code: str | None = None) -> UUID:
        """Award an offer: the referral is awarded, a placement starts on the offer's start
        date (banded, or spot at the offered price), and any placement the child is in
        ends that day as a move (episode ceases, care continues)."""
        r = self._council_referral(referral, by)
        chosen = r.offer(offer)
        provider = self.get_provider(chosen["provider_id"])
        if provider.suspended:  # suspended since it offered: release and offers refuse it too
            raise InvalidTransition("offer_id", f"{provider.name} is suspended and cannot be awarded a placement")
        home = provider.home(chosen["home_id"])
        code = place_code or next(c for c in r.place_codes if c in home["place_codes"])
        if code not in home["place_codes"]:
            raise ValidationError("place_code", f"{home['name']} does not offer placement type {code}")
        child = self.get_child(r.child_id)
        placement_id = uuid4()
        r.award(offer, placement_id, feedback, by)
        start = chosen["start_date"]
        changed: list[Aggregate] = [r]
        current = child.current_placement(start)
        if current is not None:
            old = self.get_placement(current)
            old.end(start, "X1", by, reason_place_change="CARPL")
            child.finish_placement(old.id, start, by)
            changed.append(old)
        placement = Placement.start(
            placement_id, r.council_id, child.id, provider.id, home["home_id"], code,
            "PR1" if provider.is_in_house else provider.kind, start, pricing,
            chosen["weekly_price"] if pricing == "spot" else None, by, referral_id=r.id, offer_id=offer)
        child.begin_placement(placement_id, start, by)
        self._save(*changed, self._new(placement), child)
        return placement_id

    def withdraw_referral(self, referral: UUID, reason: str, by: Actor) -> None:
        r = self._council_referral(referral, by)
        r.withdraw(reason, by)
        self._save(r)

    def close_referral(self, referral: UUID, reason: str, by: Actor) -> None:
        r = self._council_referral(referral, by)
        r.close(reason, by)
        self._save(r)

    # -- placements ---------------------------------------------------------------------------

    def start_placement(self, child: UUID, provider: UUID, place_code: str, start_date: date, pricing: str,
                        weekly_rate: object, by: Actor, *, home: UUID | None = None, place_provider: str | None = None,
                        end_date: date | None = None, end_reason: str = "", reason_place_change: str = "",
                        placement_id: UUID | None = None) -> UUID:
        """Record a placement directly (an emergency placement, or one imported from the
        SSDA903 return); `end_date` records one that has already ended."""
        c = self._council_child(child, by, COUNCIL_ROLES)
        p = self.get_provider(provider)
        if home is not None:
            p.home(home)
        pid = placement_id or uuid4()
        placement = self._new(Placement.start(pid, c.council_id, c.id, p.id, home, place_code,
                                              place_provider or p.kind, start_date, pricing, weekly_rate, by))
        # The new placement decides everything about itself before the child records it: in a
        # batch the child is shared, so a refusal after begin_placement would leave it placed.
        if end_date is not None:
            placement.end(end_date, end_reason or "X1", by, reason_place_change=reason_place_change)
        c.begin_placement(pid, start_date, by, end=end_date)
        if end_date is not None:
            c.finish_placement(pid, end_date, by)
        self._save(placement, c)
        return pid

    def get_placement(self, placement: UUID) -> Placement:
        return self._get(Placement, placement, "placement")

    def vary_placement_fee(self, placement: UUID, weekly_rate: object, effective_from: date, reason: str,
                           by: Actor) -> None:
        p = self.get_placement(placement)
        self._authorise(by, p.council_id, COUNCIL_ROLES)
        p.vary_fee(weekly_rate, effective_from, reason, by)
        self._save(p)

    def end_placement(self, placement: UUID, end_date: date, reason: str, by: Actor, reason_place_change: str = "") -> None:
        p = self.get_placement(placement)
        self._authorise(by, p.council_id, COUNCIL_ROLES)
        c = self.get_child(p.child_id)
        p.end(end_date, reason, by, reason_place_change=reason_place_change)
        c.finish_placement(p.id, end_date, by)
        self._save(p, c)

    # -- payment runs -----------------------------------------------------------------------

    def calculate_payment_run(self, council: UUID, period_end: date, by: Actor) -> UUID:
        """Calculate the run for the period ending (exclusive) on `period_end`, as the record
        now stands: regular lines for the period, and adjustments for earlier approved
        periods whose due amounts have changed since they were paid."""
        self._authorise(by, council, COUNCIL_ROLES)
        c = self.get_council(council)
        c.check_payable()
        period = c.calendar.period_ending(period_end)
        placements: list[payments.PlacementFact] = []
        assessments: dict[str, list[payments.AssessmentFact]] = {}
        providers: set[UUID] = set()
        for cid in c.children:
            child = self.get_child(cid)
            if not child.placements:
                continue
            assessments[str(cid)] = payment_facts.assessment_facts(child)
            for pid in child.placements:
                placement = self.get_placement(pid)
                placements.append(payment_facts.placement_fact(placement))
                providers.add(placement.provider_id)
        fees = []
        for provider in (None, *sorted(providers, key=str)):
            schedule = self.get_fee_schedule(council, provider)
            if schedule is not None:
                fees.extend(payment_facts.fee_facts(schedule))
        approved = [payment_facts.approved_run(self._get(PaymentRun, rid, "payment_run"))
                    for rid in c.approved_runs.values()]
        result = payments.calculate_run(period, c.calendar, placements, assessments, payment_facts.policy_facts(c),
                                        fees, approved)
        run = self._new(PaymentRun.calculate(
            uuid4(), council, period.start, period.end, [payment_facts.line_to_dict(x) for x in result.lines],
            [payment_facts.unpriced_to_dict(u) for u in result.unpriced], result.total, by))
        self._save(run)
        return run.id

    def get_payment_run(self, run: UUID) -> PaymentRun:
        return self._get(PaymentRun, run, "payment_run")

    def approve_payment_run(self, run: UUID, by: Actor) -> None:
        r = self.get_payment_run(run)
        self._authorise(by, r.council_id, COUNCIL_ROLES)
        c = self.get_council(r.council_id)
        c.approve_run(r.id, Period(r.period_start, r.period_end), r.created_on, by)
        r.approve(by)
        self._save(r, c)

    def record_payment_export(self, run: UUID, fmt: str, provider_ref: str, by: Actor) -> None:
        r = self.get_payment_run(run)
        if r.state != "approved":
            # Drafts may be looked at, but only approved runs leave the building.
            raise InvalidTransition("run", "Only an approved payment run can be exported")
        r.record_export(fmt, provider_ref, by)
        self._save(r)

    # -- users -----------------------------------------------------------------------------------

    def organisation(self, ref: str) -> tuple[str, str, str]:
        """(org id, kind, name) for a council code or provider reference."""
        for kind, cls, oid in (("council", Council, council_id(ref)), ("provider", Provider, provider_id(ref))):
            try:
                org = self._get(cls, oid, "organisation")
            except NotFound:
                continue
            return str(org.id), kind, org.name
        if ref.strip().lower() == "inspectorate":
            return str(stable_id("org", "inspectorate")), "inspectorate", "Inspectorate"
        raise NotFound("org", f"No council or provider with reference {ref!r}")

    def add_user(self, email: str, role: str, org_ref: str, password_hash: str, by: Actor) -> UUID:
        org, kind, _ = self.organisation(org_ref)
        if not by.user_id.startswith("system:"):
            # Only the organisation's own admin (the inspectorate's, for inspectors) adds its users.
            self._authorise(by, UUID(org), ("admin",))
        if kind == "provider" and role not in ("provider", "admin"):
            raise ValidationError("role", "A provider's users have the provider or admin role")
        if kind == "council" and role in ("provider", "inspector"):
            raise ValidationError("role", f"A council's users cannot have the {role} role")
        if kind == "inspectorate" and role != "inspector":
            raise ValidationError("role", "The inspectorate's users have the inspector role")
        user = self._new(UserAccount.register(email, role, org, kind, by))
        user.set_password_hash(password_hash, by)
        self._save(user)
        return user.id

    def get_user(self, user: UUID) -> UserAccount:
        return self._get(UserAccount, user, "user")

    def find_user(self, email: str) -> UserAccount:
        return self.get_user(user_id(email))

    def set_user_password(self, user: UUID, password_hash: str, by: Actor) -> None:
        u = self.get_user(user)
        if by.user_id != str(user):
            self._authorise(by, UUID(u.org_id), ("admin",))
        u.set_password_hash(password_hash, by)
        self._save(u)

    def disable_user(self, user: UUID, reason: str, by: Actor) -> None:
        u = self.get_user(user)
        self._authorise(by, UUID(u.org_id), ("admin",))
        if by.user_id == str(user):
            raise InvalidTransition("user", "You cannot disable your own account")
        u.disable(reason, by)
        self._save(u)

    # -- inspection grants ---------------------------------------------------------------------
    # An admin of the inspectorate, or the platform admin, grants one inspector access to one
    # council's or one provider's records for a window of days; grants are revoked or expire;
    # every page an inspector opens under one is recorded (domain/inspection.py).

    INSPECTORATE = stable_id("org", "inspectorate")


    def enable_user(self, user: UUID, by: Actor) -> None:
        u = self.get_user(user)
        self._authorise(by, UUID(u.org_id), ("admin",))
        u.enable(by)
        self._save(u)
    def grant_inspection(self, inspector: UUID, org: UUID, starts: date, ends: date, purpose: str,
                         by: Actor) -> UUID:
        from domain.inspection import InspectionGrant

        self._authorise(by, self.INSPECTORATE, ("admin",))
        account = self._get(UserAccount, inspector, "inspector")
        if account.role != "inspector" or account.disabled:
            raise ValidationError("inspector", "Choose an inspector whose account is active")
        if self._exists(Council, org):
            kind = "council"
        elif self._exists(Provider, org):
            kind = "provider"
        else:
            raise NotFound("org", "Choose a council or a provider")
        grant = self._new(InspectionGrant.grant(uuid4(), inspector, org, kind, starts, ends, purpose, by))
        self._save(grant)
        return grant.id

    def get_inspection_grant(self, grant: UUID):  # -> domain.inspection.InspectionGrant
        from domain.inspection import InspectionGrant

        return self._get(InspectionGrant, grant, "grant")

    def revoke_inspection(self, grant: UUID, reason: str, by: Actor) -> None:
        self._authorise(by, self.INSPECTORATE, ("admin",))
        g = self.get_inspection_grant(grant)
        g.revoke(reason, by)
        self._save(g)

    def expire_inspection_grants(self, grants: Iterable[UUID], by: Actor) -> list[UUID]:
        """Record the expiry of each of these grants whose window has passed (others are left
        alone); returns those expired. The platform, the inspectorate's admins and a grant's
        own inspector may record it: it states a fact about the calendar."""
        from domain.inspection import IN_FORCE

        today = clock.today()
        expired = []
        for grant in dict.fromkeys(grants):
            g = self.get_inspection_grant(grant)
            if by.user_id != str(g.inspector_id):
                self._authorise(by, self.INSPECTORATE, ("admin",))
            if g.state == IN_FORCE and today >= g.ends:
                g.expire(today, by)
                expired.append(g)
        if expired:
            self._save(*expired)
        return [g.id for g in expired]

    def record_inspection_access(self, grant: UUID, page: str, object_kind: str, object_id: UUID,
                                 by: Actor) -> UUID:
        """An inspector opened a page under a grant: refused (NotFound, as if there were
        nothing there) unless the grant is theirs and in force today."""
        from domain.inspection import InspectionAccess

        self._authorise(by, None, ("inspector",))
        g = self.get_inspection_grant(grant)
        g.check_use(by.user_id, clock.today())
        access = self._new(InspectionAccess.record(uuid4(), g, page, object_kind, object_id, by))
        self._save(access)
        return access.id
