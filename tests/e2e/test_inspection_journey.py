"""An inspection in a browser: without a grant the inspector finds nothing (404); with grants
over a council and a provider they review a child's record (and as it stood on a date), the
provider's outcomes, download both inspection packs and verify the record. Every page is
checked with axe-core. The child's trail is screenshot and the first page of a pack drawn
as PNG (pytest's tmp_path) for people to look at."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from uuid import UUID

import pytest

from browser import Login, assert_accessible, sign_in, visit
from domain import clock
from domain.base import Actor
from domain.needs import DOMAIN_KEYS
from domain.users import UserAccount
from portal.passwords import hash_password
from projections import grants, users

SYSTEM = Actor.system("e2e")


def scores(base: int, **changes: int) -> dict[str, int]:
    return {**dict.fromkeys(DOMAIN_KEYS, base), **changes}


@pytest.fixture(scope="module")
def inspected(live_server):
    """A child at Norfolk with a year of history (one assessment recorded late), placed with
    Acme Fostering; the ids the journey needs."""
    ledger = live_server.ledger
    app = ledger.app
    council = app.find_council("NFK").id
    provider = app.find_provider("IFA1").id
    with ledger.command():
        with clock.recorded_at(date(2025, 1, 6)):
            child = app.register_child(council, "E2E-INSP-1", date(2011, 9, 1), "male", "WBRI", True, False, False,
                                       SYSTEM)
            app.assess_needs(child, date(2025, 1, 6), scores(5, managing_emotions=8, safe_decisions=7), SYSTEM,
                             assessor="J. Social Worker", contributors=["child", "social_worker"])
        with clock.recorded_at(date(2025, 2, 3)):
            app.start_placement(child, provider, "U4", date(2025, 2, 3), "spot", "720.00", SYSTEM)
        with clock.recorded_at(date(2025, 8, 4)):
            app.assess_needs(child, date(2025, 8, 4), scores(4, managing_emotions=6, safe_decisions=5), SYSTEM)
        with clock.recorded_at(date(2026, 3, 30)):  # effective in February, recorded at the end of March: late
            app.assess_needs(child, date(2026, 2, 2), scores(3, managing_emotions=5, safe_decisions=4), SYSTEM)
    inspector = users.user_by_email(ledger.engine, live_server.logins["inspector"].email)
    return dict(child=child, council=council, provider=provider, inspector=inspector.user_id)


def grant_both(live_server, inspected) -> None:
    today = clock.today()
    with live_server.ledger.command() as app:
        for org in (inspected["council"], inspected["provider"]):
            app.grant_inspection(inspected["inspector"], org, today - timedelta(days=1), today + timedelta(days=14),
                                 "ILACS inspection", SYSTEM)


def test_without_a_grant_the_inspector_finds_nothing(page, live_server, inspected):
    sign_in(page, live_server.logins["inspector"])
    if grants.active_grant(live_server.ledger.engine, inspected["inspector"], inspected["council"], clock.today()):
        pytest.fail("this test must run before the grants are made (it is first in the module)")
    visit(page, "/inspection/children")
    assert "You have no access to a council's records today" in page.locator("main").inner_text()
    for path in (f"/inspection/children/{inspected['child']}", f"/inspection/providers/{inspected['provider']}",
                 f"/inspection/councils/{inspected['council']}/children"):
        response = page.goto(path)
        assert response.status == 404
        assert_accessible(page)


def test_an_inspector_reviews_a_child_and_a_provider_and_downloads_both_packs(page, live_server, inspected, tmp_path):
    grant_both(live_server, inspected)
    sign_in(page, live_server.logins["inspector"])

    page.get_by_role("link", name="Children's needs over time").first.click()
    page.wait_for_url("**/inspection/children")
    assert_accessible(page)
    page.get_by_role("link", name="Norfolk County Council").click()
    page.wait_for_url("**/children")
    assert_accessible(page)
    page.get_by_role("link", name="E2E-INSP-1").click()
    page.wait_for_url(f"**/inspection/children/{inspected['child']}")
    assert_accessible(page)
    assert page.locator("h1").inner_text() == "Child E2E-INSP-1"
    assert page.locator("#trail tr[data-event]").count() == 6
    assert page.locator("#trail .govuk-tag--red").inner_text() == "Recorded late"
    page.get_by_text("Scores in each domain").first.click()  # the per-domain before and after opens
    assert_accessible(page)
    page.screenshot(path=str(tmp_path / "child-trail.png"), full_page=True)

    # The record as it stood on 1 March 2026: the February assessment was not yet recorded.
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Show the record as it stood").click()
    page.wait_for_url("**as_known_on=*")
    assert_accessible(page)
    assert page.locator("#as-known-then tr[data-assessment]").count() == 2
    assert page.locator("#as-it-stands tr[data-assessment]").count() == 3
    assert "Not known then" in page.locator('#as-it-stands tr[data-assessment="2026-02-02"]').inner_text()
    page.locator("#as-known-then").locator("xpath=..").screenshot(path=str(tmp_path / "as-known.png"))

    with page.expect_download() as download:
        page.get_by_role("button", name="Download the inspection pack (PDF)").click()
    child_pack = tmp_path / "child-pack.pdf"
    download.value.save_as(child_pack)
    assert child_pack.read_bytes().startswith(b"%PDF-")
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "2", str(child_pack), str(tmp_path / "child-pack")],
                   check=True)
    assert (tmp_path / "child-pack-1.png").exists()

    page.get_by_role("link", name="Provider outcomes").first.click()
    page.wait_for_url("**/inspection/providers")
    assert_accessible(page)
    page.get_by_role("link", name="Acme Fostering").click()
    page.wait_for_url(f"**/inspection/providers/{inspected['provider']}")
    assert_accessible(page)
    assert "E2E-INSP-1" in page.locator("#placements").inner_text()
    page.screenshot(path=str(tmp_path / "provider.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the inspection pack (PDF)").click()
    provider_pack = tmp_path / "provider-pack.pdf"
    download.value.save_as(provider_pack)
    assert provider_pack.read_bytes().startswith(b"%PDF-")
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(provider_pack),
                    str(tmp_path / "provider-pack")], check=True)

    page.get_by_role("link", name="Verify the record").first.click()
    page.wait_for_url("**/inspection/verify")
    assert_accessible(page)
    page.get_by_role("button", name="Check the record now").click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert "Nothing has been altered" in page.locator(".govuk-panel").inner_text()

    opened = [a.page for a in grants.access_log_for_org(live_server.ledger.engine, inspected["council"])]
    assert opened[:3] == ["child_pack", "child_trail", "child_trail"]


def test_the_councils_admin_sees_the_inspectors_visits(page, live_server, inspected):
    sign_in(page, live_server.logins["admin"])
    page.get_by_role("link", name="Inspection access").first.click()
    page.wait_for_url("**/admin/inspection-access")
    assert_accessible(page)
    log = page.locator("#access-log").inner_text()
    assert live_server.logins["inspector"].email in log and "Child E2E-INSP-1" in log
    assert UUID(str(inspected["child"]))  # the log names the child by reference, never by id
    assert str(inspected["child"]) not in log


def inspectorate_admin(live_server) -> Login:
    """An admin at the inspectorate. The domain's add_user gives the inspectorate inspectors
    only (so far), so the account is registered through the UserAccount aggregate itself."""
    email, ledger = "lead@inspectorate.example.org", live_server.ledger
    password = live_server.logins["inspector"].password  # the e2e accounts' password
    if users.user_by_email(ledger.engine, email) is None:
        with ledger.command() as app:
            account = UserAccount.register(email, "admin", str(app.INSPECTORATE), "inspectorate", SYSTEM)
            account.set_password_hash(hash_password(password), SYSTEM)
            app.save(account)
    return Login("admin", email, password, "Inspectorate")


def test_the_inspectorates_admin_grants_and_revokes_access(page, live_server, inspected):
    sign_in(page, inspectorate_admin(live_server))
    page.get_by_role("link", name="Inspection access").first.click()
    page.wait_for_url("**/admin/inspection-access")
    assert_accessible(page)
    page.get_by_role("button", name="Grant access").click()
    page.wait_for_url("**/admin/inspection-access/grant")
    assert_accessible(page)
    page.get_by_role("button", name="Grant access").click()  # nothing chosen: every error, accessibly
    page.wait_for_load_state()
    assert_accessible(page)
    assert page.title().startswith("Error: ")
    page.get_by_label("Inspector").select_option(label=live_server.logins["inspector"].email)
    page.get_by_label("Council or provider").select_option(label="Acme Fostering (provider)")
    today, last = clock.today(), clock.today() + timedelta(days=4)
    for legend, day in (("First day of access", today), ("Last day of access", last)):
        group = page.get_by_role("group", name=legend)
        group.get_by_label("Day").fill(str(day.day))
        group.get_by_label("Month").fill(str(day.month))
        group.get_by_label("Year").fill(str(day.year))
    page.get_by_label("Inspection").fill("Focused visit")
    page.get_by_role("button", name="Grant access").click()
    page.wait_for_url("**/admin/inspection-access")
    assert_accessible(page)
    assert "Access granted." in page.locator(".govuk-notification-banner").inner_text()
    page.get_by_role("link", name="Revoke").first.click()
    page.wait_for_url("**/revoke")
    assert_accessible(page)
    page.get_by_label("Why are you ending this access early?").fill("Visit cancelled")
    page.get_by_role("button", name="Revoke access").click()
    page.wait_for_url("**/admin/inspection-access")
    assert_accessible(page)
    assert "can no longer see Acme Fostering's records" in page.locator(".govuk-notification-banner").inner_text()
