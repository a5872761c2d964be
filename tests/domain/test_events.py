"""Events as stored: every event class carries who acted, for which organisation, and when
it was recorded (aware UTC); the recorded time can be set to the past, never the future;
Decimal, date and UUID fields come back from the store exactly; and with a cipher key the
personal text in events is not readable in the store."""

from __future__ import annotations

import inspect
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest
import sqlalchemy as sa
from eventsourcing.domain import Aggregate

import config
from domain import clock
from domain.application import NeedsLedger
from domain.base import Actor, LedgerAggregate
from domain.needs import DOMAIN_KEYS
from projections.ledger import Ledger

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
TODAY = clock.today()
START = TODAY + timedelta(days=14)
PLACED = TODAY - timedelta(days=120)
CHILD_REFERENCE = "NFK-SECRET-4711"
STRENGTH = "Draws remarkable dragons"


def scores(**overrides: int) -> dict[str, int]:
    values = dict.fromkeys(DOMAIN_KEYS, 2)
    values.update(overrides)
    return values


def stored_events(app) -> list:
    return [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(start=1, limit=100_000)]


def all_aggregate_classes(cls: type = LedgerAggregate) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= all_aggregate_classes(sub)
    return found


def all_event_classes() -> set[type]:
    """Every event an aggregate of the platform can record: its nested event classes, less
    the base `Event` and the library's generated `Created` where the aggregate names its
    own creation event."""
    events: set[type] = set()
    for agg in all_aggregate_classes():
        nested = {v for k, v in vars(agg).items() if inspect.isclass(v) and issubclass(v, Aggregate.Event)
                  and k != "Event"}
        creations = {v for v in nested if issubclass(v, Aggregate.Created)}
        if len(creations) > 1:
            nested = {v for v in nested if v.__name__ != "Created"}
        events |= nested
    return events


def every_command(app: NeedsLedger, system: Actor) -> dict[str, UUID]:
    """One story that records every kind of event there is."""
    council = app.register_council("NFK", "Norfolk", "East of England", system)
    commissioner = Actor("user-comm", str(council), "commissioner")
    admin = Actor("user-admin", str(council), "admin")
    app.rename_council(council, "Norfolk County Council", "East of England", admin)
    app.set_payment_calendar(council, 28, date(2025, 3, 10), commissioner)
    app.adopt_banding_policy(council, {"kind": "count"}, date(2022, 4, 1), commissioner)
    app.set_fee(council, "U4", "enhanced", "343.00", date(2024, 4, 1), commissioner)
    app.withdraw_fee(council, "U4", "enhanced", date(2030, 1, 1), commissioner)

    provider = app.register_provider("IFA1", "Acme Fostering", "PR4", "SC1", ["U4"], "East", system)
    rival = app.register_provider("IFA2", "Brightside", "PR5", "SC2", ["U4"], "East", system)
    provider_user = Actor("user-prov", str(provider), "provider")
    rival_user = Actor("user-rival", str(rival), "provider")
    app.change_provider_details(provider, "Acme Family Fostering", "SC1", ["U4"], "East", provider_user)
    home = app.add_home(provider, "H1", "Carers One", ["U4"], 2, dict.fromkeys(DOMAIN_KEYS, 8), "Norwich", provider_user)
    rival_home = app.add_home(rival, "H1", "Rival carers", ["U4"], 1, dict.fromkeys(DOMAIN_KEYS, 8), "", rival_user)
    app.change_home_capacity(provider, home, 3, dict.fromkeys(DOMAIN_KEYS, 9), provider_user)
    app.suspend_provider(rival, "Checking registration", system)
    app.reinstate_provider(rival, system)

    child = app.register_child(council, CHILD_REFERENCE, date(2011, 9, 1), "female", "WBRI", False, False, False,
                               commissioner)
    app.change_child_characteristics(child, True, False, False, commissioner)
    assessment = app.assess_needs(child, TODAY - timedelta(days=30), scores(identity=5), commissioner,
                                  strengths=[STRENGTH], aspirations=["To be a vet"], child_voice="I like my school")
    app.correct_assessment(child, assessment, scores(identity=6), "Typo", commissioner)
    # A past payment period in which the spot rate changes a week in: two lines at two rates.
    period = app.get_council(council).calendar.period_containing(TODAY - timedelta(days=60))
    current = app.start_placement(child, provider, "U4", PLACED, "spot", "1234.50",
                                  commissioner, home=home)
    app.vary_placement_fee(current, "1300.00", period.start + timedelta(days=7), "Uplift", commissioner)

    closes = datetime.now(timezone.utc) + timedelta(days=7)
    referral = app.raise_referral(child, ["U4"], START, "Norfolk", "Needs a stable home", commissioner)
    app.release_referral(referral, [provider, rival], closes, commissioner)
    app.record_referral_view(referral, provider, provider_user)
    offer = app.make_offer(referral, provider, home, "455.55", START, {"identity": "Life-story work"}, provider_user)
    app.amend_offer(referral, provider, offer, "450.00", START, {"identity": "Life-story work weekly"}, provider_user)
    rival_offer = app.make_offer(referral, rival, rival_home, "500.00", START, {"identity": "Mentor"}, rival_user)
    app.withdraw_offer(referral, rival, rival_offer, "No longer available", rival_user)
    app.decline_referral(referral, rival, "no_vacancy", "", rival_user)
    placement = app.award_referral(referral, offer, "spot", {str(rival): "Thank you"}, commissioner)

    withdrawn = app.raise_referral(child, ["U4"], START, "Norfolk", "", commissioner)
    app.withdraw_referral(withdrawn, "Placed", commissioner)
    closed = app.raise_referral(child, ["U4"], START, "Norfolk", "", commissioner)
    app.close_referral(closed, "Placed", commissioner)
    app.end_placement(placement, START + timedelta(days=30), "E13", commissioner)

    run = app.calculate_payment_run(council, period.end, commissioner)
    app.approve_payment_run(run, commissioner)
    app.record_payment_export(run, "csv", "", commissioner)

    user = app.add_user("sw@norfolk.gov.uk", "social_worker", "NFK", HASH, system)
    app.disable_user(user, "Left", admin)
    app.enable_user(user, admin)
    inspector = app.add_user("jo@ofsted.example", "inspector", "inspectorate", HASH, system)
    as_inspector = Actor(str(inspector), str(app.INSPECTORATE), "inspector")
    today = clock.today()
    grant = app.grant_inspection(inspector, council, today - timedelta(days=1), today + timedelta(days=5),
                                 "ILACS inspection", system)
    app.record_inspection_access(grant, "child_trail", "child", child, as_inspector)
    app.revoke_inspection(grant, "Inspection complete", system)
    lapsed = app.grant_inspection(inspector, provider, today - timedelta(days=10), today - timedelta(days=1),
                                  "Focused visit", system)
    app.expire_inspection_grants([lapsed], system)
    app.erase_child(child, "Right to erasure", admin)
    return {"council": council, "provider": provider, "rival": rival, "child": child, "assessment": assessment,
            "current": current, "placement": placement, "referral": referral, "offer": offer, "run": run,
            "period_start": period.start, "varied": period.start + timedelta(days=7)}


# -- who, for whom, when -----------------------------------------------------------------------------


def test_every_event_class_carries_actor_org_and_an_aware_utc_timestamp(app, system):
    every_command(app, system)
    events = stored_events(app)

    missing = {f"{c.__qualname__}" for c in all_event_classes()} - {type(e).__qualname__ for e in events}
    assert not missing, f"the story does not record: {sorted(missing)}"
    for event in events:
        assert isinstance(event.actor, str) and event.actor, event
        assert isinstance(event.org, str) and event.org, event
        assert event.timestamp.tzinfo is not None, event
        assert event.timestamp.utcoffset() == timedelta(0), event
        assert abs(event.timestamp - datetime.now(timezone.utc)) < timedelta(minutes=5)


def test_the_actor_and_organisation_are_the_ones_who_acted(app, system):
    council = app.register_council("NFK", "Norfolk", "East of England", system)
    app.adopt_banding_policy(council, {"kind": "count"}, date(2022, 4, 1), Actor("user-77", str(council), "commissioner"))
    registered, adopted = stored_events(app)
    assert (registered.actor, registered.org) == ("system:test", "system")
    assert (adopted.actor, adopted.org) == ("user-77", str(council))


# -- recorded time -------------------------------------------------------------------------------------


def test_recorded_at_sets_the_recorded_time_of_events(app, system):
    when = datetime(2024, 5, 2, 8, 30, 15, 123456, tzinfo=timezone.utc)
    with clock.recorded_at(when):
        assert clock.now() == when and clock.today() == date(2024, 5, 2)
        council = app.register_council("NFK", "Norfolk", "East of England", system)
    assert clock.now() - datetime.now(timezone.utc) < timedelta(seconds=5)  # real time again

    [event] = stored_events(app)
    assert event.timestamp == when
    stored = app.repository.get(council)
    assert stored.created_on == stored.modified_on == when


def test_recorded_at_a_date_is_noon_utc_and_other_zones_are_converted(app, system):
    with clock.recorded_at(date(2024, 5, 2)):
        app.register_council("NFK", "Norfolk", "East of England", system)
    british_summer = timezone(timedelta(hours=1))
    with clock.recorded_at(datetime(2024, 5, 3, 9, 0, tzinfo=british_summer)):
        app.register_council("SFK", "Suffolk", "East of England", system)
    first, second = stored_events(app)
    assert first.timestamp == datetime(2024, 5, 2, 12, 0, tzinfo=timezone.utc)
    assert second.timestamp == datetime(2024, 5, 3, 8, 0, tzinfo=timezone.utc)
    assert second.timestamp.utcoffset() == timedelta(0)


def test_recorded_at_blocks_nest_and_restore_the_outer_time():
    outer, inner = datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2023, 1, 1, tzinfo=timezone.utc)
    with clock.recorded_at(outer):
        with clock.recorded_at(inner):
            assert clock.now() == inner
        assert clock.now() == outer


def test_recorded_at_in_the_future_is_refused(app, system):
    before = app.recorder.max_notification_id()
    with pytest.raises(ValueError, match="future"):
        with clock.recorded_at(datetime.now(timezone.utc) + timedelta(minutes=5)):
            app.register_council("NFK", "Norfolk", "East of England", system)
    with pytest.raises(ValueError, match="future"):
        with clock.recorded_at(TODAY + timedelta(days=1)):
            app.register_council("NFK", "Norfolk", "East of England", system)
    assert app.recorder.max_notification_id() == before


def test_recorded_at_needs_a_timezone():
    with pytest.raises(ValueError, match="timezone"):
        with clock.recorded_at(datetime(2024, 1, 1, 12, 0)):
            pass


# -- exact round trips ----------------------------------------------------------------------------------


def test_a_round_trip_through_the_store_keeps_decimals_dates_and_uuids_exactly(app, settings, system):
    ids = every_command(app, system)
    fresh = Ledger(settings)  # nothing cached: everything below is decoded from stored bytes
    try:
        reader = fresh.app
        placement = reader.get_placement(ids["current"])
        assert [(r["effective_from"], r["weekly_rate"]) for r in placement.rates] == [
            (PLACED, Decimal("1234.50")), (ids["varied"], Decimal("1300.00"))]
        for rate in placement.rates:
            assert type(rate["weekly_rate"]) is Decimal and rate["weekly_rate"].as_tuple().exponent == -2
            assert type(rate["effective_from"]) is date
        assert type(placement.start_date) is date and type(placement.end_date) is date
        assert placement.child_id == ids["child"] and type(placement.child_id) is UUID
        assert type(placement.provider_id) is UUID and type(placement.home_id) is UUID

        referral = reader.get_referral(ids["referral"])
        assert referral.released_to == [ids["provider"], ids["rival"]]
        assert all(type(p) is UUID for p in referral.released_to)
        assert type(referral.offers_close_at) is datetime and referral.offers_close_at.utcoffset() == timedelta(0)
        assert referral.offers_close_at == app.get_referral(ids["referral"]).offers_close_at
        offer = referral.offer(ids["offer"])
        assert (offer["weekly_price"], str(offer["weekly_price"])) == (Decimal("450.00"), "450.00")
        assert type(offer["start_date"]) is date and offer["start_date"] == START
        assert type(referral.needed_by) is date

        child = reader.get_child(ids["child"])
        assessment = child.assessment(ids["assessment"])
        assert assessment["effective_date"] == TODAY - timedelta(days=30)
        assert type(assessment["effective_date"]) is date
        assert assessment["scores"] == scores(identity=6)
        assert type(child.date_of_birth) is date and child.date_of_birth == date(2011, 9, 1)

        schedule = reader.get_fee_schedule(ids["council"])
        assert schedule.fee_on("U4", "enhanced", date(2025, 1, 1)) == Decimal("343.00")
        assert schedule.fee_on("U4", "enhanced", date(2030, 1, 1)) is None

        run = reader.get_payment_run(ids["run"])
        assert run.lines == app.get_payment_run(ids["run"]).lines
        assert [line["weekly_rate"] for line in run.lines] == [Decimal("1234.50"), Decimal("1300.00")]
        for line in run.lines:
            assert type(line["amount"]) is Decimal and line["amount"].as_tuple().exponent == -2
            assert type(line["line_start"]) is date and type(line["line_end"]) is date
        assert type(run.total) is Decimal and run.total == sum(line["amount"] for line in run.lines)

        council = reader.get_council(ids["council"])
        assert council.approved_runs == {ids["period_start"]: ids["run"]}
        assert council.period_anchor == date(2025, 3, 10)
        # What the writer holds and what a fresh reader decodes are the same state.
        assert vars(reader.get_referral(ids["referral"])) == vars(app.get_referral(ids["referral"]))
        assert vars(reader.get_child(ids["child"])) == vars(app.get_child(ids["child"]))
    finally:
        fresh.close()


# -- encryption at rest -------------------------------------------------------------------------------------


def raw_states(ledger: Ledger) -> list[bytes]:
    table = ledger.app.recorder.events_table_name
    with ledger.engine.connect() as conn:
        return [bytes(row[0]) for row in conn.execute(sa.text(f'SELECT state FROM "{table}"'))]


def test_without_a_cipher_key_the_text_is_in_the_store_as_written(ledger, app, system):
    """The control for the test below: without a key the same bytes are plain JSON."""
    ids = every_command(app, system)
    states = raw_states(ledger)
    assert any(CHILD_REFERENCE.encode() in s for s in states)
    assert any(STRENGTH.encode() in s for s in states)
    assert app.get_child(ids["child"]).reference == CHILD_REFERENCE


def test_with_a_cipher_key_personal_text_is_unreadable_in_the_store_but_the_app_reads_it(settings, system):
    from eventsourcing.cryptography import AESCipher

    encrypted = config.load(database_url=settings.database_url, secret_key="test",
                            cipher_key=AESCipher.create_key(16))
    writer = Ledger(encrypted)
    try:
        ids = every_command(writer.app, system)
        states = raw_states(writer)
        assert len(states) > 40
        for needle in (CHILD_REFERENCE, STRENGTH, "I like my school", "Life-story work weekly", "1234.50"):
            assert not any(needle.encode() in s for s in states), needle
    finally:
        writer.close()

    reader = Ledger(encrypted)  # another process with the same key
    try:
        child = reader.app.get_child(ids["child"])
        assert child.reference == CHILD_REFERENCE
        assert child.assessment(ids["assessment"])["strengths"] == [STRENGTH]
        assert reader.app.get_placement(ids["current"]).rate_on(TODAY) == Decimal("1300.00")
    finally:
        reader.close()
