"""The cohort model: calibrated distributions that draw one child as they are on a given
day (age, sex, ethnicity, disability, EHCP, exclusion, time in care, the 13 need scores,
the kind of placement they are in and its weekly rate).

It is built so that the cohort of children in a placement today lands near every figure
in CALIBRATION.md (the CCN / IMPOWER cohort of 3,528 children) when the project's own
insight code runs over the seeded store. The parameters below were tuned against those
figures; none of the figures is written in: they come out of the draws.

How a child is drawn:
1. age and sex (DfE's children looked after by age), time in care (<1 year to 5+), then
   disability, EHCP and exclusion from school, which depend on age and sex;
2. a latent overall need (the expected total of the 13 scores): a median by age and sex
   (boys above girls under 11; both higher at 12-16), raised by disability, an EHCP,
   exclusion and time in care, with wide lognormal spread;
3. the 13 scores: each domain's share of the total follows weights by age, sex,
   disability and time in care (emotional health and attachments highest, emotional
   health peaking at 1-3 years in care; independence rising at 17; learning needs with
   disability), flatter the higher the need; a score is the domain's share with a
   lognormal wobble (some profiles spiky, with a few severe domains, others flat) and a
   little rounding noise;
4. the kind of placement: placed for adoption, with parents, in a parent and baby unit
   or in supported accommodation, by age; then residential care (children's homes,
   secure care, residential schools, NHS units, custody) with a chance that rises with
   need and age and is three times as high for a disabled child at the same need; the
   rest are fostered (in-house, or by an agency for slightly higher need);
5. the weekly rate: banded placements pay the council's fee for the band (computed by the
   market's schedules), spot placements a price drawn for their kind, largely unrelated
   to need (the market's price), with a heavy tail for private children's homes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.needs import DOMAIN_KEYS

MALE, FEMALE = "male", "female"

# --------------------------------------------------------------------------------------
# Placement kinds: what the model draws, and how each is bought.


@dataclass(frozen=True)
class Kind:
    key: str
    group: str  # CONTRACT.md place group
    codes: tuple[tuple[str, float], ...]  # SSDA903 PLACE codes and their weights
    pool: str  # which providers serve it (market.ProviderSpec.pool)
    pricing: str  # "banded" or "spot"
    via_referral: float  # share of placements of this kind found through a referral

    def place_code(self, rng: random.Random) -> str:
        return _weighted(rng, self.codes)


KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind("inhouse_fostering", "fostering", (("U4", 0.40), ("U6", 0.30), ("U1", 0.18), ("U3", 0.12)),
         "inhouse_fostering", "banded", 0.25),
    Kind("ifa", "fostering", (("U4", 0.55), ("U6", 0.45)), "ifa", "spot", 0.9),
    Kind("private_home", "residential", (("K2", 1.0),), "private_home", "spot", 0.9),
    Kind("inhouse_home", "residential", (("K2", 1.0),), "inhouse_home", "banded", 0.4),
    Kind("secure", "residential", (("K1", 1.0),), "secure", "spot", 0.0),
    Kind("residential_school", "residential", (("S1", 1.0),), "residential_school", "spot", 0.7),
    Kind("specialist_health", "residential", (("R2", 1.0),), "specialist_health", "spot", 0.0),
    Kind("specialist_custody", "residential", (("R5", 1.0),), "specialist_custody", "spot", 0.0),
    Kind("supported", "supported", (("H5", 0.5), ("K3", 0.5)), "supported", "spot", 0.85),
    Kind("independent", "supported", (("P2", 1.0),), "independent", "spot", 0.0),
    Kind("parents", "with_family", (("P1", 1.0),), "parents", "spot", 0.0),
    Kind("adoption", "with_family", (("A4", 0.4), ("A6", 0.4), ("A3", 0.1), ("A5", 0.1)), "adoption", "spot", 0.0),
    Kind("family_centre", "other", (("R3", 1.0),), "family_centre", "spot", 0.6),
    Kind("other", "other", (("Z1", 1.0),), "other", "spot", 0.5),
)}


# --------------------------------------------------------------------------------------
# Parameters (tuned against CALIBRATION.md)

# Children looked after by age on the day (DfE, 31 March): under 1 5%, 1-4 13%, 5-9 17%,
# 10-15 38%, 16-17 27%.
AGE_WEIGHTS = (0.05, *[0.0325] * 4, *[0.034] * 5, *[0.0633] * 6, 0.135, 0.135)
P_MALE = 0.56
DISABILITY_BASE = 0.17
# Time in care: (share, fewest days, most days).
TIME_IN_CARE = ((0.28, 0, 364), (0.18, 365, 729), (0.13, 730, 1094), (0.17, 1095, 1824), (0.24, 1825, 4400))

ETHNICITY_WEIGHTS = (("WBRI", 0.72), ("WOTH", 0.04), ("WIRI", 0.005), ("WIRT", 0.01), ("WROM", 0.005),
                     ("MWBC", 0.04), ("MWBA", 0.015), ("MWAS", 0.015), ("MOTH", 0.03), ("AIND", 0.008),
                     ("APKN", 0.008), ("ABAN", 0.004), ("AOTH", 0.012), ("BCRB", 0.01), ("BAFR", 0.025),
                     ("BOTH", 0.012), ("CHNE", 0.002), ("OOTH", 0.02), ("REFU", 0.004), ("NOBT", 0.005))
# Unaccompanied young people seeking asylum: older boys, often in supported accommodation.
UASC_ETHNICITY = (("AOTH", 0.3), ("OOTH", 0.3), ("BAFR", 0.25), ("BOTH", 0.1), ("WOTH", 0.05))

# Overall need: the median expected total by age band and sex (the report's shape: boys
# under 11 above girls; both higher at 12-16, girls more so; girls higher again at 17+).
NEED_MEDIAN = {
    ("baby", MALE): 8.2, ("baby", FEMALE): 7.2,
    ("toddler", MALE): 17.0, ("toddler", FEMALE): 14.4,
    ("under11", MALE): 19.6, ("under11", FEMALE): 17.1,
    ("11", MALE): 22.7, ("11", FEMALE): 20.6,
    ("12-16", MALE): 16.5, ("12-16", FEMALE): 18.6,
    ("17+", MALE): 15.5, ("17+", FEMALE): 18.1,
}
NEED_SPREAD = 0.68  # lognormal sigma of overall need
NEED_SPREAD_TEENS = 0.84  # wider from 12
NEED_DISABILITY = 1.30
NEED_EHCP = 1.25
NEED_EXCLUDED = 1.40
# Needs rise with time in care (bands as TIME_IN_CARE).
NEED_TIME_IN_CARE = (0.86, 0.98, 1.04, 1.10, 1.16)
SCORE_WOBBLE = 0.26  # per-domain lognormal sigma: how spiky a profile is
SCORE_NOISE = 0.8  # and the spread of a score about its mean
NEED_FLATTEN_AT_ZERO, NEED_FLATTEN_SCALE, NEED_FLATTEN_MIN, NEED_FLATTEN_MAX = 1.5, 55.0, 0.35, 1.5

# Domain weights (NEEDS.md order): a domain's share of a child's total.
BASE_WEIGHTS = {
    "physical_health": 0.45, "emotional_health": 1.70, "attachments": 1.80, "managing_emotions": 1.45,
    "life_story": 1.55, "identity": 0.90, "family_relationships": 1.15, "educational_progress": 1.05,
    "learning_disability": 0.60, "expressing_views": 0.70, "community": 0.65, "safe_decisions": 0.75,
    "independence": 0.65,
}

# Placement choice.
P_ADOPTION_UNDER5 = 0.11
P_PARENTS = 0.068
P_FAMILY_CENTRE_GIRLS_15 = 0.05  # young mothers with their babies
P_OTHER = 0.010
# Within residential care (weights against private children's homes at 0.78):
W_SPECIALIST_HEALTH = 0.02  # ages 12+; more with high need (an inpatient mental health unit)
W_SPECIALIST_HEALTH_HIGH_NEED = 0.10
W_CUSTODY_BOYS = 0.10  # boys 14+
P_SUPPORTED_16 = 0.18
P_SUPPORTED_UASC = 0.8
P_UASC_BOYS_16 = 0.08
RES_INTERCEPT = -0.75
RES_NEED_SLOPE = 1.55  # per 10 points of total need above 28
RES_AGE = {0: -6.0, 5: -3.2, 8: -1.6, 11: -0.7, 12: -0.25, 14: 0.15, 16: 0.0}
RES_EHCP = 0.1
RES_EXCLUDED = 1.1
RES_CAP = 0.30  # no group of children without a disability is more often in residential care
# "Three times as likely, at any level of need": the multiplier on the chance a child
# without a disability with the same needs (apart from the disability's own uplift) has.
# A little over three because, within a level of need, disabled children's other needs
# and ages sit a little lower; the ratio that results in each level is about three.
RES_DISABILITY_MULTIPLIER = 3.15
P_IFA_BASE = -1.15
P_IFA_NEED_SLOPE = 0.08

# Spot prices: (lognormal median, sigma) by kind; multipliers for EHCP and exclusion.
PRICE = {
    "ifa": (1070.0, 0.22),
    "private_home": (3900.0, 0.20),
    "secure": (8200.0, 0.15),
    "residential_school": (4300.0, 0.28),
    "specialist_health": (1380.0, 0.30),
    "specialist_custody": (1300.0, 0.25),
    "supported": (800.0, 0.50),
    "independent": (300.0, 0.25),
    "family_centre": (3400.0, 0.25),
    "other": (1500.0, 0.45),
}
# Private homes: solo and 2:1 arrangements priced far above the rest, more often for a
# child whose assessed needs are moderate (an emergency, a risk of exploitation) than for
# one with many severe needs, and the usual price a little lower the higher the need: with
# residential children at twice the need of fostered ones, the published r = 0.2 leaves
# no room for price to follow need within residential care. Price follows the market.
P_HIGH_COST_HOME = 0.26
P_HIGH_COST_HOME_HIGH_NEED = 0.09
HIGH_NEED = 40
PRIVATE_HOME_NEED_SLOPE = 0.014
HIGH_COST_HOME = (7300.0, 0.38)
P_HIGH_COST_SUPPORTED = 0.05
HIGH_COST_SUPPORTED = (6500.0, 0.45)
BESPOKE_EVERY = 1764  # one bespoke solo arrangement (over £30,000 a week) per this many children
BESPOKE = (30500, 38000)
PRICE_EHCP = 1.21
PRICE_EXCLUDED = 1.35


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    total = sum(w for _, w in options)
    x = rng.random() * total
    for value, w in options:
        x -= w
        if x < 0:
            return value
    return options[-1][0]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# --------------------------------------------------------------------------------------
# A drawn child


@dataclass(frozen=True)
class Profile:
    """One child as they are on `on`: who they are, their needs, and where they live."""

    on: date
    sex: str
    date_of_birth: date
    ethnicity: str
    disability: bool
    ehcp: bool
    excluded: bool
    days_in_care: int
    need: float  # the latent overall need the scores were drawn around
    scores: tuple[int, ...]
    kind: str
    place_code: str
    spot_rate: Decimal | None  # None: banded (the fee follows the band)
    uasc: bool = False

    @property
    def age(self) -> int:
        return age_on(self.date_of_birth, self.on)

    @property
    def total(self) -> int:
        return sum(self.scores)

    @property
    def entered_care(self) -> date:
        return self.on - timedelta(days=self.days_in_care)


def age_on(dob: date, on: date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def age_band(age: int) -> str:
    if age <= 1:
        return "baby"
    if age <= 4:
        return "toddler"
    if age <= 10:
        return "under11"
    if age == 11:
        return "11"
    if age <= 16:
        return "12-16"
    return "17+"


def time_in_care_band(days: int) -> int:
    for i, (_, low, high) in enumerate(TIME_IN_CARE):
        if low <= days <= high:
            return i
    return len(TIME_IN_CARE) - 1


def draw_date_of_birth(rng: random.Random, on: date, age: int | None = None) -> date:
    if age is None:
        age = _weighted(rng, tuple((str(a), w) for a, w in enumerate(AGE_WEIGHTS)))
        age = int(age)
    # A birthday spread evenly over the year of age.
    days = int(age * 365.25) + rng.randint(3, 364)
    dob = on - timedelta(days=days)
    while age_on(dob, on) > age:
        dob += timedelta(days=1)
    while age_on(dob, on) < age:
        dob -= timedelta(days=1)
    return dob


def draw_time_in_care(rng: random.Random, days_alive: int) -> int:
    _, low, high = TIME_IN_CARE[int(_weighted(rng, tuple((str(i), t[0]) for i, t in enumerate(TIME_IN_CARE))))]
    days = rng.randint(low, high)
    if days >= days_alive:
        # Nobody is in care for longer than they have been alive.
        days = rng.randint(0, max(0, days_alive - 1))
    return days


def draw_characteristics(rng: random.Random, age: int, sex: str) -> tuple[bool, bool, bool]:
    male = sex == MALE
    # Disability is recorded more often as children get older (diagnoses come with age).
    p_dis = DISABILITY_BASE * (1.3 if male else 0.8) * (0.5 if age < 5 else 1.0 if age <= 10 else 1.15)
    disability = rng.random() < p_dis
    if age < 2:
        p_ehcp = 0.0
    elif age < 5:
        p_ehcp = 0.08
    else:
        p_ehcp = 0.32 * (1.2 if male else 0.85)
    if disability:
        p_ehcp = max(p_ehcp, 0.75 if age >= 3 else 0.2)
    ehcp = rng.random() < p_ehcp
    if age < 6:
        p_excl = 0.0
    elif age < 12:
        p_excl = 0.08
    else:
        p_excl = 0.24
    p_excl *= (1.35 if male else 0.7) * (1.25 if ehcp else 1.0)
    excluded = rng.random() < p_excl
    return disability, ehcp, excluded


def domain_weights(age: int, sex: str, disability: bool, ehcp: bool, excluded: bool, tic_band: int) -> list[float]:
    w = dict(BASE_WEIGHTS)
    if disability:
        w["learning_disability"] *= 3.2
        w["physical_health"] *= 2.2
        w["expressing_views"] *= 2.2
        w["managing_emotions"] *= 1.5
        w["emotional_health"] *= 1.2
    if ehcp:
        w["learning_disability"] *= 1.7
        w["managing_emotions"] *= 1.2
        w["educational_progress"] *= 1.15
    if excluded:
        w["educational_progress"] *= 1.6
        w["emotional_health"] *= 1.15
        w["managing_emotions"] *= 1.15
    if age <= 1:
        for key, f in (("life_story", 0.3), ("identity", 0.4), ("educational_progress", 0.2), ("safe_decisions", 0.05),
                       ("independence", 0.3), ("community", 0.4), ("expressing_views", 0.6), ("physical_health", 1.6)):
            w[key] *= f
    elif age <= 4:
        for key, f in (("life_story", 1.1), ("expressing_views", 1.2), ("educational_progress", 0.5),
                       ("safe_decisions", 0.15), ("independence", 0.5)):
            w[key] *= f
    elif age <= 11:
        w["safe_decisions"] *= 0.6
        w["independence"] *= 0.7
    elif age <= 16:
        for key, f in (("safe_decisions", 1.6), ("community", 1.1), ("attachments", 1.05),
                       ("educational_progress", 1.15)):
            w[key] *= f
    else:
        for key, f in (("independence", 1.8), ("life_story", 0.8), ("community", 0.85), ("safe_decisions", 1.4)):
            w[key] *= f
    if sex == FEMALE and age >= 12:
        w["family_relationships"] *= 1.15
        w["safe_decisions"] *= 1.2
        w["emotional_health"] *= 1.1
    elif sex == MALE:
        w["managing_emotions"] *= 1.15
        w["learning_disability"] *= 1.2
    # Emotional health peaks at one to three years in care; attachments, education and
    # independence keep rising.
    w["emotional_health"] *= (0.92, 1.12, 1.16, 0.90, 0.80)[tic_band]
    w["attachments"] *= (0.92, 0.97, 1.0, 1.12, 1.2)[tic_band]
    w["educational_progress"] *= (0.95, 1.0, 1.0, 1.1, 1.18)[tic_band]
    w["independence"] *= (0.95, 1.0, 1.0, 1.08, 1.15)[tic_band]
    return [w[key] for key in DOMAIN_KEYS]


def draw_need(rng: random.Random, age: int, sex: str, disability: bool, ehcp: bool, excluded: bool,
              tic_band: int) -> float:
    median = NEED_MEDIAN[(age_band(age), sex)] * NEED_TIME_IN_CARE[tic_band]
    if disability:
        median *= NEED_DISABILITY
    if ehcp:
        median *= NEED_EHCP
    if excluded:
        median *= NEED_EXCLUDED
    spread = NEED_SPREAD_TEENS if age >= 12 else NEED_SPREAD
    return min(125.0, median * math.exp(rng.gauss(0.0, spread)))


def draw_scores(rng: random.Random, need: float, weights: list[float]) -> tuple[int, ...]:
    """13 whole scores 0-10 around a domain mean each (the child's need shared out by the
    weights), with a multiplicative wobble (some domains spike) and a little rounding noise."""
    # A child with few needs has them where nearly every child in care has some (emotional
    # health, life story); a child with many has them across every domain: the weights
    # flatten as need rises.
    flatten = min(NEED_FLATTEN_MAX, max(NEED_FLATTEN_MIN, NEED_FLATTEN_AT_ZERO - need / NEED_FLATTEN_SCALE))
    weights = [w ** flatten for w in weights]
    total_weight = sum(weights)
    # The wobble's mean is exp(sigma^2 / 2): divide it out so the total stays near `need`.
    damp = math.exp(-SCORE_WOBBLE ** 2 / 2)
    gauss = rng.gauss
    scores = []
    for w in weights:
        mean = need * w / total_weight * damp * math.exp(gauss(0.0, SCORE_WOBBLE))
        scores.append(min(10, max(0, round(mean + gauss(0.0, SCORE_NOISE)))))
    return tuple(scores)


def p_residential(need: float, age: int, ehcp: bool, excluded: bool, disability: bool) -> float:
    """The chance a child is in residential care. A disabled child's is three times that of
    a child without a disability with the same needs apart from the disability's own
    uplift ("three times as likely, at any level of need")."""
    if disability:
        need /= NEED_DISABILITY
    # Disabled children are placed in residential settings (special schools, disabled
    # children's homes) from younger ages.
    age_term = RES_AGE[max(a for a in RES_AGE if a <= age)]
    logit = RES_INTERCEPT + RES_NEED_SLOPE * (need - 28) / 10 + age_term
    if ehcp:
        logit += RES_EHCP
    if excluded:
        logit += RES_EXCLUDED
    p = min(RES_CAP, _sigmoid(logit))
    return min(0.97, p * RES_DISABILITY_MULTIPLIER) if disability else p


def draw_kind(rng: random.Random, age: int, sex: str, need: float, disability: bool, ehcp: bool, excluded: bool,
              uasc: bool) -> str:
    """The kind of placement a child with these characteristics and this need is in."""
    if uasc and rng.random() < P_SUPPORTED_UASC:
        return "supported"
    if age <= 4 and rng.random() < P_ADOPTION_UNDER5 * (1.3 if age <= 2 else 0.7):
        return "adoption"
    if age >= 1 and rng.random() < P_PARENTS:
        return "parents"
    if sex == FEMALE and age >= 15 and rng.random() < P_FAMILY_CENTRE_GIRLS_15:
        return "family_centre"
    if age >= 10 and rng.random() < P_OTHER:
        return "other"
    if age >= 16 and rng.random() < P_SUPPORTED_16:
        return "independent" if rng.random() < 0.12 else "supported"
    if rng.random() < p_residential(need, age, ehcp, excluded, disability):
        return draw_residential_kind(rng, age, sex, need, disability, ehcp)
    p_ifa = _sigmoid(P_IFA_BASE + P_IFA_NEED_SLOPE * (need - 25) / 10)
    return "ifa" if rng.random() < p_ifa else "inhouse_fostering"


def draw_residential_kind(rng: random.Random, age: int, sex: str, need: float, disability: bool, ehcp: bool) -> str:
    """Which residential setting: mostly private children's homes; the council's own homes
    for somewhat lower needs; secure care and inpatient units for the highest; custody for
    older boys; residential schools for disabled children and those with an EHCP."""
    weights = [
        ("private_home", 0.78),
        ("inhouse_home", 0.24 * (1.4 if need < 40 else 0.7)),
        ("secure", 0.025 * (2.0 if need > 60 else 0.5)),
        ("residential_school", 0.02 + (0.10 if disability else 0.0) + (0.03 if ehcp else 0.0)),
        ("specialist_health",
         (W_SPECIALIST_HEALTH_HIGH_NEED if need > 50 else W_SPECIALIST_HEALTH) if age >= 12 else 0.0),
        ("specialist_custody", W_CUSTODY_BOYS * (1.6 if need > 35 else 0.5) if sex == MALE and age >= 14 else 0.0),
    ]
    return _weighted(rng, tuple(weights))


def draw_spot_rate(rng: random.Random, kind: str, total: int, ehcp: bool, excluded: bool,
                   bespoke: bool = False) -> Decimal:
    if kind in ("parents", "adoption"):
        return Decimal("0.00")  # the council pays no placement fee
    if bespoke:
        return Decimal(rng.randint(*BESPOKE))
    median, sigma = PRICE[kind]
    high_cost = P_HIGH_COST_HOME if total < HIGH_NEED else P_HIGH_COST_HOME_HIGH_NEED
    if kind == "private_home" and rng.random() < high_cost:
        median, sigma = HIGH_COST_HOME
    elif kind == "supported" and rng.random() < P_HIGH_COST_SUPPORTED:
        median, sigma = HIGH_COST_SUPPORTED
    price = median * math.exp(rng.gauss(0.0, sigma))
    if kind == "private_home":
        price *= math.exp(-PRIVATE_HOME_NEED_SLOPE * (total - HIGH_NEED))
    if kind not in ("specialist_health", "specialist_custody"):  # NHS and custody charge their own rates
        if ehcp:
            price *= PRICE_EHCP
        if excluded:
            price *= PRICE_EXCLUDED
    return Decimal(max(50, round(price)))


def draw_profile(rng: random.Random, on: date, *, age: int | None = None, kind: str | None = None,
                 days_in_care: int | None = None, bespoke: bool = False) -> Profile:
    """One child as they are on `on`. `age`, `kind` and `days_in_care` fix those draws (a
    care leaver's last placement, say); `bespoke` makes the placement one of the rare
    bespoke solo arrangements."""
    sex = MALE if rng.random() < P_MALE else FEMALE
    dob = draw_date_of_birth(rng, on, age)
    age = age_on(dob, on)
    days_alive = (on - dob).days
    tic = draw_time_in_care(rng, days_alive) if days_in_care is None else min(days_in_care, days_alive - 1)
    tic = max(1, tic)
    uasc = sex == MALE and age >= 16 and rng.random() < P_UASC_BOYS_16
    if uasc:
        tic = min(tic, rng.randint(30, 900))
    ethnicity = _weighted(rng, UASC_ETHNICITY if uasc else ETHNICITY_WEIGHTS)
    disability, ehcp, excluded = draw_characteristics(rng, age, sex)
    band = time_in_care_band(tic)
    need = draw_need(rng, age, sex, disability, ehcp, excluded, band)
    scores = draw_scores(rng, need, domain_weights(age, sex, disability, ehcp, excluded, band))
    if bespoke:
        kind = "private_home"
    chosen = kind or draw_kind(rng, age, sex, need, disability, ehcp, excluded, uasc)
    k = KINDS[chosen]
    rate = draw_spot_rate(rng, chosen, sum(scores), ehcp, excluded, bespoke) if k.pricing == "spot" else None
    return Profile(on=on, sex=sex, date_of_birth=dob, ethnicity=ethnicity, disability=disability, ehcp=ehcp,
                   excluded=excluded, days_in_care=tic, need=need, scores=scores, kind=chosen,
                   place_code=k.place_code(rng), spot_rate=rate, uasc=uasc)
