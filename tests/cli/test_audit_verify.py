"""`needsledger audit verify` on both stores: 0 and the head link on an untouched store; 1
and the first altered position after an event's bytes are edited, an event is deleted,
one inserted or two swapped directly in the database; a published checkpoint catches a
rewritten chain. And the platform admin's grants from the command line."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from domain import clock
from domain.needs import DOMAIN_KEYS
from portal.cli import cli
from projections import chain


@pytest.fixture
def chained(ledger, settings, system, monkeypatch):
    """A council, a provider and three children assessed and placed: a store of some 20 events."""
    with ledger.command() as app, clock.recorded_at(date(2024, 1, 2)):
        council = app.register_council("NFK", "Norfolk", "East of England", system)
        provider = app.register_provider("ACORN", "Acorn Fostering", "PR4", "SC000001", ["U4"], "East", system)
        for n in range(3):
            kid = app.register_child(council, f"NFK-{n}", date(2012, 1, 1), "male", "WBRI", False, False, False, system)
            app.assess_needs(kid, date(2024, 1, 2), dict.fromkeys(DOMAIN_KEYS, 2 + n), system)
            app.start_placement(kid, provider, "U4", date(2024, 1, 2), "banded", None, system)
    monkeypatch.setenv("NEEDSLEDGER_DATABASE_URL", settings.database_url)
    return ledger


def audit(*args: str):
    return CliRunner().invoke(cli, ["audit", *args])


def ids(ledger) -> list[int]:
    e = chain.events_table(ledger.app.recorder)
    with ledger.engine.connect() as conn:
        return list(conn.execute(sa.select(e.c.id).order_by(e.c.id)).scalars())


def sql(ledger, statement: str, **params) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(sa.text(statement.format(events=chain.events_table(ledger.app.recorder).name)), params)


def test_an_untouched_store_verifies(chained):
    result = audit("verify")
    assert result.exit_code == 0, result.output
    head = chain.head(chained.engine)
    assert f"verified {len(ids(chained))} events, head link {head.link} at position {head.position}, " \
           "checkpoint none recorded yet" in result.output


def test_it_names_the_latest_checkpoint_and_checks_a_published_one(chained):
    recorded = audit("checkpoint", "--reason", "inspection pack")
    assert recorded.exit_code == 0, recorded.output
    published = re.search(r"checkpoint (\d+:[0-9a-f]{64})", recorded.output).group(1)
    result = audit("verify", "--checkpoint", published)
    assert result.exit_code == 0, result.output
    assert f"checkpoint {published} recorded " in result.output and "(inspection pack)" in result.output
    assert f"published checkpoint {published.split(':')[0]} matches" in result.output

    wrong = published.split(":")[0] + ":" + "0" * 64
    result = audit("verify", "--checkpoint", wrong)
    assert result.exit_code == 1
    assert f"FAILED at position {published.split(':')[0]}: " in result.output

    assert audit("verify", "--checkpoint", "12:not-a-link").exit_code == 2
    listing = audit("checkpoints", "--format", "csv")
    assert listing.output.splitlines()[0] == "position,link,events,recorded_at,reason"
    assert published.replace(":", ",") in listing.output


def test_edited_bytes_are_found(chained):
    target = ids(chained)[6]
    sql(chained, "UPDATE {events} SET state = :state WHERE id = :id", state=b'{"tampered": true}', id=target)
    result = audit("verify")
    assert result.exit_code == 1
    assert f"FAILED at position {target}: the event at position {target} was changed" in result.output


def test_a_deleted_event_is_found(chained):
    target = ids(chained)[10]
    sql(chained, "DELETE FROM {events} WHERE id = :id", id=target)
    result = audit("verify")
    assert result.exit_code == 1
    assert f"FAILED at position {target}: position {target} is in the chain but missing from the store" in result.output


def test_an_inserted_event_is_found(chained):
    new = ids(chained)[-1] + 1
    sql(chained, "INSERT INTO {events} (id, originator_id, originator_version, topic, state) "
                 "SELECT :new, originator_id, originator_version + 1000, topic, state FROM {events} WHERE id = :src",
        new=new, src=ids(chained)[2])
    result = audit("verify")
    assert result.exit_code == 1
    assert f"FAILED at position {new}: position {new} is in the store but not in the chain" in result.output


def test_swapped_events_are_found(chained):
    a, b_ = ids(chained)[4], ids(chained)[8]
    sql(chained, "UPDATE {events} SET id = -1 WHERE id = :a", a=a)
    sql(chained, "UPDATE {events} SET id = :a WHERE id = :b", a=a, b=b_)
    sql(chained, "UPDATE {events} SET id = :b WHERE id = -1", b=b_)
    result = audit("verify")
    assert result.exit_code == 1
    assert f"FAILED at position {a}: position {a} holds the event chained at position {b_}: events were reordered" \
        in result.output


def test_the_platform_admin_grants_and_revokes_from_the_command_line(chained, system):
    with chained.command() as app:
        app.add_user("jo@ofsted.example", "inspector", "inspectorate", "scrypt:1$salt$00", system)
    today = clock.today()
    result = audit("grant", "--inspector", "jo@ofsted.example", "--org", "NFK", "--starts", today.isoformat(),
                   "--ends", (today + timedelta(days=10)).isoformat(), "--purpose", "ILACS inspection")
    assert result.exit_code == 0, result.output
    grant_id = result.output.split()[1]
    listing = audit("grants")
    assert f"{grant_id} jo@ofsted.example Norfolk {today.isoformat()}" in listing.output
    assert "in force: ILACS inspection" in listing.output

    refused = audit("grant", "--inspector", "jo@ofsted.example", "--org", "NFK", "--starts", today.isoformat(),
                    "--ends", today.isoformat(), "--purpose", "Oops")
    assert refused.exit_code == 1 and "ends: The end date must be after the start date" in refused.output

    assert audit("revoke", grant_id, "--reason", "Postponed").exit_code == 0
    assert "revoked: ILACS inspection" in audit("grants").output
