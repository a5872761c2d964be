"""The synthetic market the cohort is placed in: the councils (their banding policies, fee
schedules and in-house services), the independent providers (fostering agencies,
children's home operators, residential schools, supported accommodation and the
specialist settings) with their homes, and the fee schedules that change each April.

Everything here is plain data built from the seed's random generator and the size of the
cohort; `portal.seeding.driver` writes it through the application's commands.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from domain.needs import DOMAIN_KEYS, EXAMPLE_TOTAL_BANDING, CountBanding, NeedsProfile, TotalBanding

# The published cohort (CALIBRATION.md): 3,528 children in five councils. Counts of
# providers and homes scale with the number of children asked for.
REFERENCE_CHILDREN = 3528

FOSTERING_CODES = ("U1", "U2", "U3", "U4", "U5", "U6")

# Norfolk's published 2024 in-house foster carer fees (NEEDS.md), the count-based bands.
NORFOLK_2024 = {"standard": Decimal("227"), "enhanced": Decimal("343"), "complex": Decimal("672")}
# A total-score council's fostering fees for 2024, bands A-E (EXAMPLE_TOTAL_BANDING).
TOTAL_2024 = {"A": Decimal("390"), "B": Decimal("510"), "C": Decimal("690"), "D": Decimal("920"), "E": Decimal("1120")}
# In-house children's homes: the council's unit cost by band (2024).
HOMES_COUNT_2024 = {"standard": Decimal("2800"), "enhanced": Decimal("3100"), "complex": Decimal("3500")}
HOMES_TOTAL_2024 = {"A": Decimal("2650"), "B": Decimal("2850"), "C": Decimal("3100"), "D": Decimal("3400"),
                    "E": Decimal("3800")}
# Agencies' framework fees with a council (2024), for the agencies that have one.
IFA_FRAMEWORK_COUNT_2024 = {"standard": Decimal("960"), "enhanced": Decimal("1150"), "complex": Decimal("1420")}
IFA_FRAMEWORK_TOTAL_2024 = {"A": Decimal("940"), "B": Decimal("1060"), "C": Decimal("1200"), "D": Decimal("1380"),
                            "E": Decimal("1560")}
# Fees rise each April by about this much (2024 is the base year).
ANNUAL_UPLIFT = 0.035
BASE_YEAR = 2024


@dataclass(frozen=True)
class CouncilSpec:
    code: str
    name: str
    region: str
    policy: str  # "count" or "total"
    fee_scale: float  # its fostering fees against Norfolk's
    uplift_day: int  # the day of April its fees change
    weight: float  # its share of the cohort

    @property
    def banding(self) -> CountBanding | TotalBanding:
        return CountBanding() if self.policy == "count" else EXAMPLE_TOTAL_BANDING

    def policy_dict(self) -> dict:
        return self.banding.as_dict()

    def band_for(self, scores: tuple[int, ...]) -> str:
        return self.banding.band_for(NeedsProfile(dict(zip(DOMAIN_KEYS, scores))))


COUNCILS = (
    CouncilSpec("NSH", "Northshire County Council", "East of England", "count", 1.00, 1, 0.25),
    CouncilSpec("WLD", "Wealdshire County Council", "South East", "count", 1.62, 7, 0.22),
    CouncilSpec("MRC", "Marchshire County Council", "East Midlands", "total", 1.00, 1, 0.20),
    CouncilSpec("VLE", "Valeshire County Council", "South East", "count", 1.72, 1, 0.18),
    CouncilSpec("FEN", "Fenwold Council", "East Midlands", "count", 1.58, 7, 0.15),
)
MORE_COUNCIL_NAMES = ("Harrowdale", "Kestrel Moor", "Lowbridge", "Ashcombe", "Brackenfield", "Cotterdale",
                      "Dunmere", "Eldon Vale", "Foxley", "Greywater")
REGIONS = ("East of England", "South East", "East Midlands", "West Midlands", "South West", "North West",
           "North East", "Yorkshire and the Humber")


def council_specs(count: int) -> list[CouncilSpec]:
    """The first five are the demo's councils; more are made up in the same mould."""
    specs = list(COUNCILS[:count])
    for i in range(len(specs), count):
        name = MORE_COUNCIL_NAMES[(i - 5) % len(MORE_COUNCIL_NAMES)]
        suffix = "" if i - 5 < len(MORE_COUNCIL_NAMES) else f" {i}"
        specs.append(CouncilSpec(f"C{i:02d}", f"{name}{suffix} Council", REGIONS[i % len(REGIONS)],
                                 "total" if i % 5 == 2 else "count", 1.0 + 0.04 * (i % 6), 1 + 6 * (i % 2),
                                 0.12))
    return specs


# ---------------------------------------------------------------------------------------
# Fees


def uplift_date(spec: CouncilSpec, year: int) -> date:
    return date(year, 4, spec.uplift_day)


def year_factor(year: int) -> float:
    return (1 + ANNUAL_UPLIFT) ** (year - BASE_YEAR)


def _scaled(base: Decimal, factor: float) -> Decimal:
    return Decimal(round(float(base) * factor))


def council_fostering_fees(spec: CouncilSpec, year: int) -> dict[str, Decimal]:
    """The council's own fostering fee by band for the year from April."""
    if spec.policy == "total":
        return {band: _scaled(fee, spec.fee_scale * year_factor(year)) for band, fee in TOTAL_2024.items()}
    if spec.fee_scale == 1.0 and year == BASE_YEAR:
        return dict(NORFOLK_2024)  # exactly the published fees
    return {band: _scaled(fee, spec.fee_scale * year_factor(year)) for band, fee in NORFOLK_2024.items()}


def council_home_fees(spec: CouncilSpec, year: int) -> dict[str, Decimal]:
    table = HOMES_TOTAL_2024 if spec.policy == "total" else HOMES_COUNT_2024
    return {band: _scaled(fee, year_factor(year)) for band, fee in table.items()}


def framework_fees(spec: CouncilSpec, year: int) -> dict[str, Decimal]:
    table = IFA_FRAMEWORK_TOTAL_2024 if spec.policy == "total" else IFA_FRAMEWORK_COUNT_2024
    return {band: _scaled(fee, year_factor(year)) for band, fee in table.items()}


def fee_year(spec: CouncilSpec, night: date) -> int:
    """The fee year a night falls in: fees change on the council's April day."""
    return night.year if night >= uplift_date(spec, night.year) else night.year - 1


# ---------------------------------------------------------------------------------------
# Providers and homes


@dataclass
class HomeSpec:
    ref: str
    name: str
    place_codes: tuple[str, ...]
    places: int
    capacity: dict[str, int]
    location: str
    # Spans [start, end) already given to placements: a home is offered only where a place
    # is free for the whole span (the seed keeps homes within their registered places).
    spans: list[tuple[date, date]] = field(default_factory=list)

    def free_for(self, start: date, end: date) -> bool:
        overlapping = sum(1 for s, e in self.spans if s < end and start < e)
        return overlapping < self.places


@dataclass
class ProviderSpec:
    ref: str
    name: str
    kind: str  # PR0-PR5
    place_codes: tuple[str, ...]
    pool: str  # which placements it serves (model.KINDS' pools)
    council: int | None  # in-house services belong to one council
    urn: str = ""
    homes: list[HomeSpec] = field(default_factory=list)
    frameworks: tuple[int, ...] = ()  # councils it has a framework fee schedule with

    def home_for(self, rng: random.Random, start: date, end: date) -> HomeSpec | None:
        """A home with a place free over [start, end), chosen at random among a few."""
        if not self.homes:
            return None
        tries = rng.sample(self.homes, min(8, len(self.homes)))
        for home in tries:
            if home.free_for(start, end):
                home.spans.append((start, end))
                return home
        # Everything tried is full: take the home with the fewest overlapping placements
        # (rare: homes are sized with headroom).
        home = min(tries, key=lambda h: sum(1 for s, e in h.spans if s < end and start < e))
        home.spans.append((start, end))
        return home


TOWNS = ("Ashford", "Boston", "Bury St Edmunds", "Chelmsford", "Colchester", "Dereham", "Ely", "Grantham",
         "Great Yarmouth", "Hertford", "Ipswich", "King's Lynn", "Lincoln", "Luton", "Northampton", "Norwich",
         "Oxford", "Peterborough", "Reading", "Sleaford", "Stevenage", "Thetford", "Watford", "Wellingborough")

IFA_NAMES = ("Brightwater Fostering", "Harbour Family Care", "Kindred Foster Homes", "Meadowlark Fostering",
             "North Star Families", "Oakleaf Fostering", "Riverside Foster Care", "Safe Haven Families",
             "Willow Tree Fostering", "Compass Family Placements", "Lantern Fostering", "Evergreen Families")
HOME_OPERATOR_NAMES = ("Oakfield Care", "Beacon Children's Homes", "Hillcrest Homes", "Pathways Residential",
                       "Cedar House Care", "Horizon Children's Services", "Larkspur Homes", "Millbrook Care",
                       "Stepping Stones Homes", "Thornbury Residential", "Valley View Care", "Yew Tree Homes",
                       "Aspire Residential", "Greenacre Homes")
SCHOOL_NAMES = ("Fernhill Residential School", "Chalk Hill School", "Longmeadow School")
SUPPORTED_NAMES = ("Next Step Housing", "Bridge Supported Living", "Foundations Accommodation",
                   "Launchpad Supported Housing", "Keystone Living", "Open Door Supported Housing")


def _capacity(rng: random.Random, low: int, high: int) -> dict[str, int]:
    return {key: rng.randint(low, high) for key in DOMAIN_KEYS}


def _urn(rng: random.Random) -> str:
    return f"SC{rng.randint(100000, 999999)}"


def _homes(rng: random.Random, prefix: str, label: str, codes: tuple[str, ...], needed: float,
           places: tuple[int, ...], capacity: tuple[int, int]) -> list[HomeSpec]:
    """Homes enough for `needed` children at once, with headroom."""
    homes: list[HomeSpec] = []
    total = 0
    target = max(2.0, needed * 1.6 + 2)
    while total < target:
        n = rng.choice(places)
        i = len(homes) + 1
        homes.append(HomeSpec(f"{prefix}{i:03d}", f"{label} {i}", codes, n, _capacity(rng, *capacity),
                              rng.choice(TOWNS)))
        total += n
    return homes


def build_providers(rng: random.Random, councils: list[CouncilSpec], expected: dict[str, float],
                    children: int) -> list[ProviderSpec]:
    """Every provider with its homes. `expected` is the number of children each pool holds
    at any one time across the cohort (from the cohort model), so homes have room."""
    scale = children / REFERENCE_CHILDREN
    providers: list[ProviderSpec] = []
    weights = [c.weight for c in councils]
    total_weight = sum(weights)
    for i, c in enumerate(councils):
        share = c.weight / total_weight
        p = ProviderSpec(f"{c.code}-FOS", f"{c.name} Fostering Service", "PR1", FOSTERING_CODES,
                         "inhouse_fostering", i)
        p.homes = _homes(rng, "FC", "Foster carers", FOSTERING_CODES, expected["inhouse_fostering"] * share,
                         (1, 1, 2, 2, 2, 3), (3, 8))
        providers.append(p)
        p = ProviderSpec(f"{c.code}-RES", f"{c.name} Children's Homes", "PR1", ("K2",), "inhouse_home", i,
                         urn=_urn(rng))
        p.homes = _homes(rng, "CH", "Children's home", ("K2",), expected["inhouse_home"] * share, (3, 4, 4, 5),
                         (6, 10))
        providers.append(p)
        p = ProviderSpec(f"{c.code}-LCS", f"{c.name} Leaving Care Service", "PR1", ("P2",), "independent", i)
        p.homes = _homes(rng, "SL", "Supported lodgings", ("P2",), expected["independent"] * share, (1, 1, 2),
                         (2, 6))
        providers.append(p)
        p = ProviderSpec(f"{c.code}-ADP", f"{c.name} Adoption Service", "PR1", ("A3", "A4", "A5", "A6"),
                         "adoption", i)
        p.homes = _homes(rng, "AD", "Adopters", ("A3", "A4", "A5", "A6"), expected["adoption"] * share, (1, 1, 2),
                         (3, 7))
        providers.append(p)
        providers.append(ProviderSpec(f"{c.code}-PAR", f"{c.name}: placed with parents", "PR0", ("P1",), "parents", i))

    def shared(count: int, prefix: str, names: tuple[str, ...], kinds: tuple[str, ...], codes: tuple[str, ...],
               pool: str, label: str, places: tuple[int, ...], capacity: tuple[int, int], urn: bool) -> None:
        # Even a small cohort has a market to choose from: a few of each.
        count = max(min(count, 4), round(count * scale))
        for i in range(count):
            name = names[i % len(names)] + ("" if i < len(names) else f" {i // len(names) + 1}")
            p = ProviderSpec(f"{prefix}{i + 1:02d}", name, kinds[i % len(kinds)], codes, pool, None,
                             urn=_urn(rng) if urn else "")
            p.homes = _homes(rng, "H", label, codes, expected[pool] / count, places, capacity)
            providers.append(p)

    shared(10, "IFA", IFA_NAMES, ("PR4", "PR4", "PR4", "PR5"), ("U4", "U6"), "ifa", "Foster carers",
           (1, 1, 2, 2, 3), (4, 9), True)
    shared(12, "RES", HOME_OPERATOR_NAMES, ("PR4", "PR4", "PR4", "PR4", "PR5"), ("K2",), "private_home",
           "Children's home", (1, 2, 3, 3, 4, 4, 5), (6, 10), True)
    shared(3, "SCH", SCHOOL_NAMES, ("PR5", "PR4"), ("S1",), "residential_school", "Residential house", (4, 6, 8),
           (7, 10), True)
    shared(6, "SUP", SUPPORTED_NAMES, ("PR4", "PR4", "PR5"), ("H5", "K3"), "supported", "Supported house",
           (2, 3, 4, 6), (3, 7), True)
    for ref, name, kind, codes, pool, label in (
        ("SEC01", "Regional Secure Children's Home", "PR2", ("K1",), "secure", "Secure unit"),
        ("NHS01", "Adolescent Inpatient Unit (NHS Trust)", "PR3", ("R2",), "specialist_health", "Ward"),
        ("YOI01", "Young Offender Institution", "PR3", ("R5",), "specialist_custody", "Wing"),
        ("FAM01", "Parent and Baby Assessment Centre", "PR4", ("R3",), "family_centre", "Family unit"),
        ("OTH01", "Specialist Outreach Placements", "PR4", ("Z1",), "other", "Placement"),
    ):
        p = ProviderSpec(ref, name, kind, codes, pool, None, urn=_urn(rng))
        p.homes = _homes(rng, "U", label, codes, expected[pool], (4, 6, 8), (7, 10))
        providers.append(p)

    # Two agencies hold framework fee schedules with the first two councils: their
    # placements there are banded, paid by the framework fee for the child's band.
    ifas = [p for p in providers if p.pool == "ifa"]
    for p in ifas[:2]:
        p.frameworks = tuple(range(min(2, len(councils))))
    return providers
