"""The commissioner's fee and banding policy pages: the schedules and their history, setting
and withdrawing a fee, adopting a policy, and the preview of what each change does to the
weekly rates of the children placed that night, checked against figures worked out by hand.
Data is made through the domain's commands; every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest

from domain.clock import recorded_at
from domain.needs import DOMAIN_KEYS
from pagecheck import normalise
from projections import fee_schedules

POLICY_FROM, FEES_FROM, PLACED_FROM = date(2022, 4, 1), date(2024, 4, 1), date(2025, 1, 6)


def profile(severe: int) -> dict[str, int]:
    """Every domain at 1, the first `severe` at 8: one severe is enhanced, two complex (count policy)."""
    scores = dict.fromkeys(DOMAIN_KEYS, 1)
    for key in DOMAIN_KEYS[:severe]:
        scores[key] = 8
    return scores


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 10, 0, tzinfo=timezone.utc)


def text(page) -> str:
    return normalise(page.get_text(" "))


def date_parts(day: date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


@pytest.fixture
def cohort(ledger, orgs, system) -> SimpleNamespace:
    """Norfolk: count bands; U4 fees standard £227, enhanced £343, complex £672 and total-score
    bands A £200, B £300; four children with Acme Fostering from 6 January 2025:

    - NFK-1: one severe domain, enhanced, £343
    - NFK-2: two severe domains, complex, £672
    - NFK-3: no severe domain, standard, £227
    - NFK-4: a spot placement at £900 a week (fees and bands do not touch it)

    Weekly spend £2,142.00."""
    app = ledger.app
    with recorded_at(at(2024, 3, 1)):
        app.adopt_banding_policy(orgs.council, {"kind": "count"}, POLICY_FROM, system)
        for band, fee in (("standard", "227.00"), ("enhanced", "343.00"), ("complex", "672.00"), ("A", "200.00"),
                          ("B", "300.00")):
            app.set_fee(orgs.council, "U4", band, fee, FEES_FROM, system)
        children = {}
        for ref, severe in (("NFK-1", 1), ("NFK-2", 2), ("NFK-3", 0), ("NFK-4", 1)):
            children[ref] = app.register_child(orgs.council, ref, date(2013, 5, 1), "female", "WBRI", False, False,
                                               False, system)
    with recorded_at(at(2024, 12, 1)):
        for ref, severe in (("NFK-1", 1), ("NFK-2", 2), ("NFK-3", 0), ("NFK-4", 1)):
            app.assess_needs(children[ref], date(2024, 12, 1), profile(severe), system)
    with recorded_at(at(2025, 1, 6)):
        for ref in ("NFK-1", "NFK-2", "NFK-3"):
            app.start_placement(children[ref], orgs.provider, "U4", PLACED_FROM, "banded", None, system)
        app.start_placement(children["NFK-4"], orgs.provider, "U4", PLACED_FROM, "spot", "900.00", system)
    ledger.settle()
    return SimpleNamespace(council=orgs.council, provider=orgs.provider, children=children)


def figures(page) -> dict[str, str]:
    return {key: normalise(page.find(id=f"impact-{key}").get_text())
            for key in ("changed", "before", "after", "weekly", "annual")}


def change_rows(page) -> list[list[str]]:
    table = page.find(id="impact-changes")
    return [[normalise(td.get_text()) for td in tr.find_all("td")] for tr in table.tbody.find_all("tr")] if table else []


def fee_form(**values: object) -> dict[str, object]:
    return {"provider": "council", "place_code": "U4", "band": "enhanced", "weekly_fee": "350.00",
            "effective_from": date_parts(date(2025, 4, 7)), **values}


# ---------------------------------------------------------------------------------------
# Seeing the schedules


def test_the_fees_page_shows_the_policy_and_the_fees_in_force(client_request, cohort):
    client_request.login("commissioner")
    page = client_request.get("commissioning.fees")
    body = text(page)
    assert "Bands by counts of domains: standard, enhanced, complex" in body
    assert "Since 1 April 2022" in body
    rows = [normalise(tr.get_text(" ")) for tr in page.find("table").tbody.find_all("tr")]
    assert "U4: Foster placement with other foster carer, long term enhanced £343.00 1 April 2024" in rows


def test_the_pages_say_what_to_do_before_anything_is_set_up(client_request, orgs):
    client_request.login("commissioner")
    assert "You have not adopted a banding policy yet" in text(client_request.get("commissioning.fees"))
    assert "No banding policy has been adopted yet" in text(client_request.get("commissioning.fees_banding"))
    assert "No payment run has been calculated yet" in text(client_request.get("commissioning.payment_runs"))
    assert "There is no payment period to run" in text(client_request.get("commissioning.payment_runs_calculate"))
    page = client_request.get("commissioning.fees_set")
    assert [o["value"] for o in page.find("select", id="band").find_all("option")] == [
        "", "standard", "enhanced", "complex"]


def test_a_schedule_shows_its_history_with_effective_dates(client_request, cohort, ledger, system):
    with recorded_at(at(2025, 3, 25)):
        ledger.app.set_fee(cohort.council, "U4", "enhanced", "350.00", date(2025, 4, 7), system)
    ledger.settle()
    client_request.login("commissioner")
    with ledger.engine.connect() as conn:
        (own,) = fee_schedules.fee_schedules(conn, cohort.council)
    page = client_request.get("commissioning.fees_schedule", schedule_id=own.schedule_id)
    history = page.find("table", attrs={"class": "govuk-table"}, string=None)
    body = text(page)
    assert "7 April 2025 U4 enhanced £350.00 25 March 2025" in body
    assert "1 April 2024 U4 enhanced £343.00 1 March 2024" in body
    assert history is not None


def test_the_banding_page_shows_the_policy_in_force_and_every_adoption(client_request, cohort, ledger, system):
    with recorded_at(at(2025, 5, 1)):
        ledger.app.adopt_banding_policy(cohort.council, {"kind": "total", "thresholds": [
            {"band": "A", "min_total": 0, "max_total": 19}, {"band": "B", "min_total": 20, "max_total": 130}]},
            date(2025, 5, 5), system)
    ledger.settle()
    client_request.login("admin")
    body = text(client_request.get("commissioning.fees_banding"))
    assert "Total score: A 0 to 19, B 20 to 130 Since 5 May 2025" in body
    assert "5 May 2025 Total score: A 0 to 19, B 20 to 130 1 May 2025" in body
    assert "1 April 2022 Counts of domains" in body


# ---------------------------------------------------------------------------------------
# Setting a fee, with the preview of its impact


def test_a_fee_change_is_previewed_with_the_hand_computed_impact_and_nothing_recorded(client_request, cohort, ledger):
    client_request.login("commissioner")
    before = ledger.app.recorder.max_notification_id()
    page = client_request.post("commissioning.fees_set", fee_form())
    assert page.h1.get_text(strip=True) == "Check the fee change"
    # Only NFK-1 (enhanced) changes: £343 -> £350. Spend £2,142.00 -> £2,149.00; +£7.00 a week, +£364.00 a year.
    assert figures(page) == {"changed": "1", "before": "£2,142.00", "after": "£2,149.00", "weekly": "+£7.00",
                             "annual": "+£364.00"}
    assert change_rows(page) == [["NFK-1", "Acme Fostering", "U4", "enhanced", "£343.00", "£350.00", "+£7.00"]]
    assert ledger.app.recorder.max_notification_id() == before  # a preview records nothing


def test_confirming_a_fee_change_records_it_and_shows_the_schedule(client_request, cohort, ledger):
    client_request.login("commissioner")
    preview = client_request.post("commissioning.fees_set", fee_form())
    carried = {}
    for hidden in preview.find_all("input", attrs={"type": "hidden"}):
        if hidden["name"] != "csrf_token":
            carried.setdefault(hidden["name"], []).append(hidden["value"])
    assert carried == {"provider": ["council"], "place_code": ["U4"], "band": ["enhanced"], "weekly_fee": ["350.00"],
                       "effective_from": ["7", "4", "2025"]}
    page = client_request.post("commissioning.fees_set", {**carried, "action": "confirm"}, _follow_redirects=True)
    assert "The enhanced fee for U4 is now £350.00 a week from 7 April 2025." in text(page)
    with ledger.engine.connect() as conn:
        entries = fee_schedules.fee_entries(conn, cohort.council)
    assert [(e.band, e.weekly_fee, e.effective_from) for e in entries][-1] == ("enhanced", Decimal("350.00"),
                                                                               date(2025, 4, 7))


def test_a_providers_framework_fee_is_previewed_for_its_children_only(client_request, cohort, ledger, system):
    other = ledger.app.register_provider("IFA2", "Birch Fostering", "PR4", "SC000002", ["U4"], "East", system)
    ledger.settle()
    client_request.login("commissioner")
    page = client_request.post("commissioning.fees_set", fee_form(provider=str(cohort.provider), band="complex",
                                                                  weekly_fee="700.00"))
    assert figures(page)["weekly"] == "+£28.00"  # NFK-2 only: £672 -> £700
    assert change_rows(page) == [["NFK-2", "Acme Fostering", "U4", "complex", "£672.00", "£700.00", "+£28.00"]]
    page = client_request.post("commissioning.fees_set", fee_form(provider=str(other), band="complex",
                                                                  weekly_fee="700.00"))
    assert figures(page)["changed"] == "0"


def test_a_backdated_change_warns_that_approved_payments_will_be_adjusted(client_request, cohort, ledger, system):
    with recorded_at(at(2025, 4, 1)):
        run = ledger.app.calculate_payment_run(cohort.council, date(2025, 3, 31), system)
        ledger.app.approve_payment_run(run, system)
    ledger.settle()
    client_request.login("commissioner")
    page = client_request.post("commissioning.fees_set", fee_form(effective_from=date_parts(date(2025, 3, 17))))
    assert ("This change takes effect from a date in the past. Payments already approved for 17 March 2025 to "
            "30 March 2025 will be adjusted in the next payment run.") in text(page)


@pytest.mark.parametrize(("values", "message"), [
    ({"weekly_fee": "abc"}, "Enter an amount in pounds, like 343.00"),
    ({"weekly_fee": "343.005"}, "Enter an amount with no more than 2 decimal places"),
    ({"weekly_fee": ""}, "Enter the weekly fee"),
    ({"effective_from": ["31", "2", "2025"]}, "The date the fee takes effect must be a real date"),
    ({"effective_from": ["", "", ""]}, "Enter the date the fee takes effect"),
    ({"band": ""}, "Choose the band"),
])
def test_invalid_fee_inputs_show_the_error_summary_and_record_nothing(client_request, cohort, ledger, values, message):
    client_request.login("commissioner")
    before = ledger.app.recorder.max_notification_id()
    for action in ("", "confirm"):
        page = client_request.post("commissioning.fees_set", {**fee_form(**values), "action": action})
        summary = page.find(class_="govuk-error-summary")
        assert summary is not None and message in text(summary)
        assert page.title.get_text().startswith("Error: ")
    assert ledger.app.recorder.max_notification_id() == before


def test_withdrawing_a_fee_previews_the_placements_left_unpriced(client_request, cohort, ledger):
    client_request.login("commissioner")
    with ledger.engine.connect() as conn:
        (own,) = fee_schedules.fee_schedules(conn, cohort.council)
    query = {"place_code": "U4", "band": "standard"}
    page = client_request.get_url(client_request.url("commissioning.fees_withdraw", schedule_id=own.schedule_id,
                                                     **query))
    assert page.h1.get_text(strip=True) == "Withdraw the standard fee for U4"
    page = client_request.post("commissioning.fees_withdraw", {**query, "effective_from": date_parts(date(2025, 6, 2))},
                               schedule_id=own.schedule_id)
    assert figures(page) == {"changed": "1", "before": "£2,142.00", "after": "£1,915.00", "weekly": "−£227.00",
                             "annual": "−£11,804.00"}
    assert change_rows(page) == [["NFK-3", "Acme Fostering", "U4", "standard", "£227.00", "No fee", "−£227.00"]]
    assert "1 placement would have no fee" in text(page)
    page = client_request.post("commissioning.fees_withdraw", {**query, "effective_from": date_parts(date(2024, 1, 1)),
                                                               "action": "confirm"}, schedule_id=own.schedule_id)
    assert "There is no standard fee for U4 in force on 1 January 2024" in text(page.find(class_="govuk-error-summary"))
    client_request.post("commissioning.fees_withdraw", {**query, "effective_from": date_parts(date(2025, 6, 2)),
                                                        "action": "confirm"}, schedule_id=own.schedule_id,
                        _expected_redirect=f"/commissioning/fees/schedules/{own.schedule_id}")
    with ledger.engine.connect() as conn:
        assert fee_schedules.fee_entries(conn, cohort.council)[-1].withdrawn


# ---------------------------------------------------------------------------------------
# Adopting a banding policy


def policy_form(**values: object) -> dict[str, object]:
    rows = {}
    for i, (band, low, high) in enumerate((("A", "0", "19"), ("B", "20", "39"), ("C", "40", "130")), start=1):
        rows.update({f"band_{i}": band, f"min_total_{i}": low, f"max_total_{i}": high})
    return {"kind": "total", **rows, "effective_from": date_parts(date(2025, 6, 2)), **values}


def test_a_total_score_policy_is_previewed_with_the_hand_computed_impact(client_request, cohort, ledger):
    client_request.login("commissioner")
    before = ledger.app.recorder.max_notification_id()
    page = client_request.post("commissioning.fees_banding_adopt", policy_form())
    # Totals: NFK-1 20 (B, £300), NFK-2 27 (B, £300), NFK-3 13 (A, £200); NFK-4 stays £900 (spot).
    assert figures(page) == {"changed": "3", "before": "£2,142.00", "after": "£1,700.00", "weekly": "−£442.00",
                             "annual": "−£22,984.00"}
    assert change_rows(page) == [
        ["NFK-1", "Acme Fostering", "U4", "enhanced to B", "£343.00", "£300.00", "−£43.00"],
        ["NFK-2", "Acme Fostering", "U4", "complex to B", "£672.00", "£300.00", "−£372.00"],
        ["NFK-3", "Acme Fostering", "U4", "standard to A", "£227.00", "£200.00", "−£27.00"],
    ]
    assert ledger.app.recorder.max_notification_id() == before
    page = client_request.post("commissioning.fees_banding_adopt", {**policy_form(), "action": "confirm"},
                               _follow_redirects=True)
    assert "The banding policy takes effect from 2 June 2025." in text(page)
    with ledger.engine.connect() as conn:
        latest = fee_schedules.policy_entries(conn, cohort.council)[-1]
    assert (latest.effective_from, latest.bands) == (date(2025, 6, 2), ("A", "B", "C"))


def test_band_rows_that_do_not_run_on_are_refused_by_the_domains_rule(client_request, cohort, ledger):
    client_request.login("commissioner")
    before = ledger.app.recorder.max_notification_id()
    page = client_request.post("commissioning.fees_banding_adopt", policy_form(min_total_2="21"))
    summary = text(page.find(class_="govuk-error-summary"))
    assert "Bands must run on from each other: band B starts at 21, expected 20" in summary
    page = client_request.post("commissioning.fees_banding_adopt", policy_form(max_total_3=""))
    assert "Enter the highest total for band 3" in text(page.find(class_="govuk-error-summary"))
    page = client_request.post("commissioning.fees_banding_adopt", policy_form(kind=""))
    assert "Choose how children are banded" in text(page.find(class_="govuk-error-summary"))
    assert ledger.app.recorder.max_notification_id() == before


def test_switching_to_count_bands_ignores_the_band_rows(client_request, cohort, ledger):
    client_request.login("commissioner")
    page = client_request.post("commissioning.fees_banding_adopt", policy_form(kind="count", min_total_2="99"))
    assert figures(page)["changed"] == "0"


# ---------------------------------------------------------------------------------------
# Who may see them


def test_a_provider_may_not_see_a_councils_fees(client_request, cohort):
    client_request.login("provider")
    client_request.get("commissioning.fees", _expected_status=403)
    client_request.get("commissioning.fees_set", _expected_status=403)


def test_a_providers_admin_may_not_either(client_request, cohort):
    client_request.login("admin", "IFA1")
    client_request.get("commissioning.fees", _expected_status=403)
    client_request.get("commissioning.fees_banding", _expected_status=403)


def test_another_councils_schedule_is_not_found(client_request, cohort, ledger, orgs, system):
    ledger.app.set_fee(orgs.other_council, "U4", "standard", "250.00", date(2025, 1, 1), system)
    ledger.settle()
    with ledger.engine.connect() as conn:
        (theirs,) = fee_schedules.fee_schedules(conn, orgs.other_council)
    client_request.login("commissioner")
    client_request.get("commissioning.fees_schedule", schedule_id=theirs.schedule_id, _expected_status=404)
    client_request.get("commissioning.fees_withdraw", schedule_id=theirs.schedule_id, _expected_status=404)
