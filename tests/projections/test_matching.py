"""Ranking providers by fit for a referral (projections/matching.py): a pure function over
plain rows, so the order can be worked out by hand. The page tests
(tests/portal/commissioning/test_referral_pages.py) check the same through the database."""

from __future__ import annotations

from uuid import UUID

from domain.needs import CURRENT_FRAMEWORK, DOMAIN_KEYS
from projections.matching import HomeRow, ProviderRow, location_matches, rank_providers

COUNCIL, OTHER_COUNCIL = UUID(int=1), UUID(int=2)
NEEDS = {**dict.fromkeys(DOMAIN_KEYS, 2), "managing_emotions": 8, "safe_decisions": 5}


def capacity(base: int, **overrides: int) -> dict[str, int]:
    return {**dict.fromkeys(DOMAIN_KEYS, base), **overrides}


def provider(n: int, name: str, region: str = "East of England", *, suspended: bool = False,
             council: UUID | None = None) -> ProviderRow:
    return ProviderRow(UUID(int=100 + n), name, region, suspended, council)


def home(n: int, of: ProviderRow, codes=("U4",), cap=None, places: int = 2, location: str = "Norwich") -> HomeRow:
    return HomeRow(UUID(int=1000 + n), of.provider_id, f"Home {n}", list(codes), places, cap or capacity(8), location)


def rank(providers, homes, placed=None, released=()):
    return rank_providers(NEEDS, CURRENT_FRAMEWORK.version, ["U4", "U6"], "Norwich or nearby", COUNCIL,
                          "East of England", providers, homes, placed or {}, released)


def test_a_free_place_then_fewer_gaps_then_smaller_shortfall_then_location_then_region():
    full = provider(1, "Full Fostering")
    short_by_three = provider(2, "Three Short")
    short_by_one = provider(3, "One Short")
    two_gaps = provider(4, "Two Gaps")
    far = provider(5, "Far Away")
    other_region = provider(6, "Another Region", "South East")
    best = provider(7, "Zed Fostering")  # last by name, first by fit
    homes = [home(1, full, places=1), home(2, short_by_three, cap=capacity(8, managing_emotions=5)),
             home(3, short_by_one, cap=capacity(8, managing_emotions=7)),
             home(4, two_gaps, cap=capacity(6, managing_emotions=7, safe_decisions=4)),
             home(5, far, location="Thetford"), home(6, other_region), home(7, best)]
    fits = rank([full, short_by_three, short_by_one, two_gaps, far, other_region, best], homes,
                placed={UUID(int=1001): 1})
    assert [p.name for p in fits.ranked] == ["Zed Fostering", "Another Region", "Far Away", "One Short",
                                             "Three Short", "Two Gaps", "Full Fostering"]
    assert [(g.key, g.need, g.capacity) for g in fits.ranked[4].best.gaps] == [("managing_emotions", 8, 5)]
    assert fits.ranked[-1].best.vacancies == 0 and not fits.ranked[-1].has_vacancy
    assert fits.default_choice(3) == [best.provider_id, other_region.provider_id, far.provider_id]


def test_a_provider_ranks_by_its_best_suitable_home():
    p = provider(1, "Two Homes")
    fits = rank([p], [home(1, p, cap=capacity(4)), home(2, p, codes=("U6",)), home(3, p, codes=("K2",))])
    [fit] = fits.ranked
    assert [h.name for h in fit.homes] == ["Home 2", "Home 1"]  # the K2 home is not suitable
    assert fit.best.place_codes == ["U6"] and fit.best.gaps == []


def test_who_is_left_out_and_why():
    suspended = provider(1, "Suspended Care", suspended=True)
    no_home = provider(2, "No Homes")
    wrong_type = provider(3, "Homes Only")
    other_councils = provider(4, "Suffolk's Own Service", council=OTHER_COUNCIL)
    own = provider(5, "Our Own Service", council=COUNCIL)
    fits = rank([suspended, no_home, wrong_type, other_councils, own],
                [home(1, suspended), home(3, wrong_type, codes=("K2",)), home(4, other_councils), home(5, own)])
    assert [p.name for p in fits.ranked] == ["Our Own Service"]
    assert [(p.name, p.reason_label) for p in fits.left_out] == [
        ("Homes Only", "No home offering the placement types sought"),
        ("No Homes", "No home offering the placement types sought"),
        ("Suffolk's Own Service", "Another council's own service"), ("Suspended Care", "Suspended")]


def test_providers_already_sent_the_referral_are_not_chosen_again():
    a, b = provider(1, "Alder"), provider(2, "Beech")
    fits = rank([a, b], [home(1, a), home(2, b)], released=[a.provider_id])
    assert [p.name for p in fits.released] == ["Alder"] and [p.name for p in fits.not_yet_released] == ["Beech"]
    assert fits.default_choice() == [b.provider_id]


def test_a_home_is_in_the_location_sought_when_its_town_is_named():
    assert location_matches("Norwich or within 20 miles", "norwich")
    assert not location_matches("Norwich", "Ipswich")
    assert not location_matches("Norwich", "")
