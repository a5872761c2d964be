"""Demo sign-ins for the demo store (`needsledger users demo`), and `needsledger serve`
printing the address and those sign-ins."""

from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner

from pagecheck import COUNCIL_NAME, PROVIDER_NAME
from portal.cli import cli
from portal.demo_users import DEMO_PASSWORD, demo_logins, ensure_demo_users
from projections import users


def test_demo_users_are_made_for_each_role_once(ledger, orgs):
    logins = ensure_demo_users(ledger)
    assert [(x.role, x.email, x.org_name) for x in logins] == [
        ("social_worker", "social.worker@demo.needsledger.example", COUNCIL_NAME),
        ("commissioner", "commissioner@demo.needsledger.example", COUNCIL_NAME),
        ("admin", "council.admin@demo.needsledger.example", COUNCIL_NAME),
        ("provider", "provider@demo.needsledger.example", PROVIDER_NAME),
        ("admin", "provider.admin@demo.needsledger.example", PROVIDER_NAME),
        ("inspector", "inspector@demo.needsledger.example", "Inspectorate"),
    ]
    assert {x.password for x in logins} == {DEMO_PASSWORD}
    head = ledger.app.recorder.max_notification_id()
    assert ensure_demo_users(ledger) == logins
    assert ledger.app.recorder.max_notification_id() == head  # nothing added the second time


def test_a_demo_user_whose_password_changed_is_not_listed(ledger, orgs, system):
    from portal.passwords import hash_password

    ensure_demo_users(ledger)
    record = users.user_by_email(ledger.engine, "commissioner@demo.needsledger.example")
    with ledger.command() as app:
        app.set_user_password(record.user_id, hash_password("not the demo password"), system)
    assert "commissioner" not in [x.role for x in demo_logins(ledger)]


def test_without_organisations_only_the_inspector_is_made(ledger):
    assert [x.role for x in ensure_demo_users(ledger)] == ["inspector"]


def test_there_are_no_demo_users_in_production(ledger, orgs):
    ensure_demo_users(ledger)
    production = dataclasses.replace(ledger.settings, environment="production")
    ledger.settings = production
    with pytest.raises(RuntimeError):
        ensure_demo_users(ledger)
    assert demo_logins(ledger) == []


@pytest.fixture
def cli_env(settings, monkeypatch):
    monkeypatch.setenv("NEEDSLEDGER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("NEEDSLEDGER_SECRET_KEY", "test")
    monkeypatch.delenv("NEEDSLEDGER_ENV", raising=False)
    monkeypatch.delenv("NEEDSLEDGER_CIPHER_KEY", raising=False)


def test_users_demo_prints_the_sign_ins(ledger, orgs, cli_env):
    result = CliRunner().invoke(cli, ["users", "demo"])
    assert result.exit_code == 0, result.output
    assert "commissioner@demo.needsledger.example" in result.output
    assert f"password: {DEMO_PASSWORD}" in result.output


def test_serve_prints_the_address_and_demo_sign_ins(ledger, orgs, cli_env, monkeypatch):
    import waitress

    served = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **options: served.update(options, app=app))
    ensure_demo_users(ledger)
    result = CliRunner().invoke(cli, ["serve", "--port", "5099"])
    assert result.exit_code == 0, result.output
    assert "Needs Ledger is running at http://127.0.0.1:5099/" in result.output
    assert "inspector@demo.needsledger.example" in result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", 5099)
    assert served["app"].name == "portal"


def test_serve_without_demo_users_prints_just_the_address(ledger, orgs, cli_env, monkeypatch):
    import waitress

    monkeypatch.setattr(waitress, "serve", lambda app, **options: None)
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5000/" in result.output and "Demo" not in result.output
