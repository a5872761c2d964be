"""The providers' page tests' fixture: `market` (see provider_market.py)."""

from __future__ import annotations

import pytest
from provider_market import POLICY_FROM, Market, actor_of, scores

from domain.fees import NORFOLK_2024_FOSTERING


@pytest.fixture
def market(ledger, orgs, system) -> Market:
    with ledger.command() as app:
        council = orgs.council
        commissioner = actor_of(council, "commissioner")
        app.adopt_banding_policy(council, {"kind": "count"}, POLICY_FROM, commissioner)
        for code in ("U4", "U6"):
            for band, fee in NORFOLK_2024_FOSTERING.items():
                app.set_fee(council, code, band, fee, POLICY_FROM, commissioner)
        other = app.register_provider("IFA2", "Birch Fostering", "PR4", "SC000002", ["U4", "U6"], "East", system)
        home = app.add_home(orgs.provider, "H1", "Oak House", ["U4"], 3, scores(7), "Norwich",
                            actor_of(orgs.provider, "provider"))
        other_home = app.add_home(other, "B1", "Birch Cottage", ["U4"], 2, scores(6), "Ipswich",
                                  actor_of(other, "provider"))
    return Market(ledger, council, orgs.provider, other, home, other_home)

