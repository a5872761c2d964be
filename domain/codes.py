"""SSDA903 reference codes the platform reads and writes (DfE's children looked after
return), and the groups insight reports by. Kept in one place so the import, the forms
and the reports agree."""

from __future__ import annotations

PLACE_CODES: dict[str, str] = {
    "A3": "Placed for adoption with consent with current foster carer",
    "A4": "Placed for adoption with consent not with current foster carer",
    "A5": "Placed for adoption with placement order with current foster carer",
    "A6": "Placed for adoption with placement order not with current foster carer",
    "H5": "Semi-independent living accommodation not subject to children's homes regulations",
    "K1": "Secure children's home",
    "K2": "Children's home",
    "K3": "Supported accommodation",
    "P1": "Placed with own parents or other person with parental responsibility",
    "P2": "Independent living",
    "P3": "Residential employment",
    "R1": "Residential care home",
    "R2": "NHS or health trust residential",
    "R3": "Family centre or mother and baby unit",
    "R5": "Young offender institution or prison",
    "S1": "All residential schools, except where dual-registered as a school and children's home",
    "T0": "Temporary: all types",
    "U1": "Foster placement with relative or friend, long term",
    "U2": "Foster placement with relative or friend, fostering for adoption",
    "U3": "Foster placement with relative or friend, not long term",
    "U4": "Foster placement with other foster carer, long term",
    "U5": "Foster placement with other foster carer, fostering for adoption",
    "U6": "Foster placement with other foster carer, not long term",
    "Z1": "Other placements",
}

PLACE_GROUPS: dict[str, tuple[str, ...]] = {
    "fostering": ("U1", "U2", "U3", "U4", "U5", "U6"),
    "residential": ("K1", "K2", "R1", "R2", "R5", "S1"),
    "supported": ("H5", "K3", "P2"),
    "with_family": ("P1", "A3", "A4", "A5", "A6"),
}
PLACE_GROUP_NAMES = ("fostering", "residential", "supported", "with_family", "other")


def place_group(place_code: str) -> str:
    for group, codes in PLACE_GROUPS.items():
        if place_code in codes:
            return group
    return "other"


PLACE_PROVIDERS: dict[str, str] = {
    "PR0": "Parent or other person with parental responsibility",
    "PR1": "Own provision (by the council)",
    "PR2": "Other local authority provision",
    "PR3": "Other public provision (for example a primary care trust)",
    "PR4": "Private provision",
    "PR5": "Voluntary or third sector provision",
}

LEGAL_STATUSES = ("C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4")
REASONS_NEW_EPISODE = ("B", "L", "P", "S", "T", "U")

# Reason an episode ceased (REC). "X1" means the episode ceased but the period of care goes on.
REASONS_EPISODE_CEASED: dict[str, str] = {
    "E11": "Adopted: application for an adoption order unopposed",
    "E12": "Adopted: consent dispensed with by the court",
    "E13": "Left care to live with parents or relatives, not under a special guardianship or residence order",
    "E14": "Accommodation on remand ended",
    "E15": "Age assessment determined child is 18 or over",
    "E16": "Child moved abroad",
    "E17": "Aged 18 (or over) and remained with current carers (staying put)",
    "E2": "Died",
    "E3": "Care taken over by another local authority in the UK",
    "E41": "Residence order (or child arrangement order) granted",
    "E45": "Special guardianship order made to former foster carers",
    "E46": "Special guardianship order made to carers other than former foster carers",
    "E47": "Special guardianship order made to former foster carers (relative or friend)",
    "E48": "Special guardianship order made to carers other than former foster carers (relative or friend)",
    "E4A": "Returned home to live with parents or relatives as part of a care planning process",
    "E4B": "Returned home to live with parents or relatives not as part of a care planning process",
    "E5": "Moved into independent living arrangement with no formalised support",
    "E6": "Moved into independent living arrangement with formalised support",
    "E7": "Transferred to residential care funded by adult social care",
    "E8": "Period of being looked after ceased for any other reason",
    "E9": "Sentenced to custody",
    "X1": "Episode ceases, period of being looked after continues",
}

REASONS_PLACE_CHANGE: dict[str, str] = {
    "CARPL": "Change to the child's care plan",
    "CLOSE": "Carer or home closed or deregistered",
    "ALLEG": "Allegation against the carer or home",
    "STAND": "Standards of care concern",
    "APPRR": "Change in the carer's approval status",
    "CREQB": "Carer requests the placement ends, child's behaviour",
    "CREQO": "Carer requests the placement ends, other reason",
    "CHILD": "Child requests the placement ends",
    "LAREQ": "Responsible authority requests the placement ends",
    "PLACE": "Change of placement type",
    "OTHER": "Other",
}

# A provider's reasons for declining a referral: a fixed list, so responsiveness can be counted.
DECLINE_REASONS: dict[str, str] = {
    "no_vacancy": "No vacancy at the time needed",
    "needs_not_met": "Cannot meet the child's assessed needs",
    "matching": "Would not match the children already in the home",
    "location": "Location does not suit the child's plan",
    "timescale": "Cannot start by the date needed",
    "registration": "Outside the home's registration or statement of purpose",
    "other": "Other reason",
}

SEXES = {"1": "male", "2": "female"}

# Ethnicity codes used in the SSDA903 return.
ETHNIC_CODES = (
    "WBRI", "WIRI", "WOTH", "WIRT", "WROM", "MWBC", "MWBA", "MWAS", "MOTH",
    "AIND", "APKN", "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
)

CONTRIBUTORS = ("child", "carer", "social_worker", "iro", "parent", "teacher", "health")

PLACEMENT_TYPES_SOUGHT = ("U4", "U6", "K2", "H5", "K3", "P2", "U1", "U3", "K1", "S1")
