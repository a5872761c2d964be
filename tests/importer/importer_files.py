"""Helpers for the SSDA903 import tests: a small good set of files (the tests change one
thing in it at a time), a way to write CSV files the way councils' systems do, a count of
every table's rows, and a generator of a synthetic cohort of any size."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from domain.codes import ETHNIC_CODES
from domain.needs import DOMAIN_KEYS

COUNCIL = "TST"

Rows = list[list[str]]


def good_files() -> dict[str, Rows]:
    """Two children, three episodes, three assessments: every file kind, all valid."""
    return {
        "council.csv": [["NAME", "PERIOD_DAYS", "PERIOD_ANCHOR"],
                        ["Testshire", "28", "03/03/2025"]],
        "providers.csv": [["PROVIDER_REF", "NAME", "PLACE_PROVIDER", "URN", "PLACE_CODES"],
                          ["INHOUSE", "Testshire Fostering", "PR1", "", "U4 U6"],
                          ["ACME", "Acme Homes", "PR4", "SC100001", "K2"]],
        "header.csv": [["CHILD", "SEX", "DOB", "ETHNIC", "DISABILITY", "EHCP", "EXCLUDED"],
                       ["C1", "1", "01/02/2012", "WBRI", "N", "Y", "N"],
                       ["C2", "2", "2014-06-30", "MWBC", "Y", "N", "N"]],
        "episodes.csv": [["CHILD", "DECOM", "RNE", "LS", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                          "REASON_PLACE_CHANGE", "URN", "PROVIDER_REF", "PRICING", "WEEKLY_COST"],
                         ["C1", "01/04/2024", "S", "C2", "U4", "PR1", "01/09/2024", "X1", "CARPL", "", "INHOUSE",
                          "banded", ""],
                         ["C1", "01/09/2024", "P", "C2", "K2", "PR4", "", "", "", "SC100001", "ACME", "spot",
                          "4200.00"],
                         ["C2", "15/05/2024", "S", "V2", "U6", "PR1", "", "", "", "", "INHOUSE", "banded", ""]],
        "assessments.csv": [["CHILD", "EFFECTIVE_DATE", "RECORDED_DATE", "ASSESSOR", *DOMAIN_KEYS, "STRENGTHS",
                             "ASPIRATIONS"],
                            ["C1", "01/03/2024", "", "SW One", *["3"] * 13, "Kind; funny", "Be a vet"],
                            ["C1", "01/09/2024", "05/09/2024", "SW One", "7", "7", *["2"] * 11, "Kind", "Be a vet"],
                            ["C2", "20/05/2024", "", "SW Two", *["1"] * 13, "", ""]],
        "fees.csv": [["PLACE", "BAND", "WEEKLY_FEE", "EFFECTIVE_FROM", "PROVIDER_REF"],
                     ["U4", "standard", "227.00", "01/04/2024", ""],
                     ["U4", "enhanced", "343.00", "01/04/2024", ""],
                     ["U4", "complex", "672.00", "01/04/2024", ""],
                     ["K2", "complex", "4500.00", "01/04/2024", "ACME"]],
        "banding.csv": [["POLICY", "EFFECTIVE_FROM", "BAND", "MIN_TOTAL", "MAX_TOTAL"],
                        ["count", "01/04/2022", "", "", ""]],
    }


def csv_text(rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def write_files(directory: Path, files: dict[str, Rows | str | bytes]) -> Path:
    """Write each file: rows as CSV in UTF-8, text as UTF-8, bytes as they are."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_bytes(content.encode("utf-8"))
        else:
            path.write_bytes(csv_text(content).encode("utf-8"))
    return directory


def table_counts(engine: sa.engine.Engine) -> dict[str, int]:
    """Every table in the database and its number of rows."""
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        return {name: conn.execute(sa.text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one() for name in names}


# -- a synthetic cohort -----------------------------------------------------------------

FOSTERING = ("U4", "U6", "U1", "U3")
RESIDENTIAL = ("K2",)
SUPPORTED = ("H5", "K3")


def write_cohort(directory: Path, children: int, seed: int = 1, today: date | None = None) -> dict[str, int]:
    """A council's files for `children` children: 1-3 consecutive episodes each (fostering
    banded, residential and supported spot), 1-3 assessments each, 40 providers, the
    council's fostering fees and a count policy. Returns the rows written per file."""
    rng = random.Random(seed)
    today = today or date.today()
    providers = [["PROVIDER_REF", "NAME", "PLACE_PROVIDER", "URN", "PLACE_CODES"],
                 ["INHOUSE", "In-house fostering", "PR1", "", " ".join(FOSTERING)]]
    for i in range(1, 20):
        providers.append([f"IFA{i:02d}", f"Agency {i}", "PR4", f"SC{500000 + i}", "U4 U6"])
    for i in range(1, 21):
        providers.append([f"HOME{i:02d}", f"Homes {i}", rng.choice(["PR4", "PR5"]), f"SC{600000 + i}",
                          "K2 H5 K3"])
    header = [["CHILD", "SEX", "DOB", "ETHNIC", "DISABILITY", "EHCP", "EXCLUDED"]]
    episodes = [["CHILD", "DECOM", "RNE", "LS", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE", "URN",
                 "PROVIDER_REF", "PRICING", "WEEKLY_COST"]]
    assessments = [["CHILD", "EFFECTIVE_DATE", "RECORDED_DATE", "ASSESSOR", *DOMAIN_KEYS, "STRENGTHS",
                    "ASPIRATIONS"]]
    earliest = date(2019, 1, 1)
    for n in range(1, children + 1):
        ref = f"C{n:05d}"
        dob = today - timedelta(days=rng.randint(2 * 365, 17 * 365))
        yn = lambda p: "Y" if rng.random() < p else "N"  # noqa: E731
        header.append([ref, rng.choice("12"), dob.strftime("%d/%m/%Y"), rng.choice(ETHNIC_CODES), yn(0.15), yn(0.3),
                       yn(0.05)])
        first = max(dob + timedelta(days=30), earliest)
        start = first + timedelta(days=rng.randint(0, max((today - first).days - 400, 1)))
        for k in range(rng.choice((1, 1, 2, 3))):
            if start >= today - timedelta(days=30):
                break
            place = rng.choice(FOSTERING * 3 + RESIDENTIAL + SUPPORTED)
            if place in FOSTERING:
                provider = "INHOUSE" if rng.random() < 0.6 else f"IFA{rng.randint(1, 19):02d}"
                kind, pricing, cost = ("PR1" if provider == "INHOUSE" else "PR4"), "banded", ""
            else:
                provider = f"HOME{rng.randint(1, 20):02d}"
                kind = providers[[p[0] for p in providers].index(provider)][2]
                pricing, cost = "spot", f"{rng.randint(1500, 9000)}.00"
            end = start + timedelta(days=rng.randint(60, 500))
            if end >= today or rng.random() < 0.4:
                dec, rec, why = "", "", ""
            else:
                dec, rec, why = end.strftime("%d/%m/%Y"), "X1", rng.choice(("CARPL", "CREQB", "CHILD", "LAREQ"))
            episodes.append([ref, start.strftime("%d/%m/%Y"), "S" if k == 0 else "P", "C2", place, kind, dec, rec, why,
                             "", provider, pricing, cost])
            if not dec:
                break
            start = end
        dates = sorted({first + timedelta(days=rng.randint(0, (today - first).days)) for _ in range(rng.choice((1, 1, 2, 3)))})
        for effective in dates:
            recorded = min(effective + timedelta(days=rng.randint(0, 14)), today)
            scores = [str(min(10, max(0, int(rng.gauss(3, 2.5))))) for _ in DOMAIN_KEYS]
            assessments.append([ref, effective.isoformat(), recorded.isoformat() if rng.random() < 0.7 else "",
                                "Social worker", *scores, "Kind; curious", "College"])
    files: dict[str, Rows] = {
        "council.csv": [["NAME", "PERIOD_DAYS", "PERIOD_ANCHOR"], ["Synthetic Council", "28", "03/03/2025"]],
        "providers.csv": providers,
        "header.csv": header,
        "episodes.csv": episodes,
        "assessments.csv": assessments,
        "fees.csv": [["PLACE", "BAND", "WEEKLY_FEE", "EFFECTIVE_FROM", "PROVIDER_REF"]] + [
            [place, band, fee, "01/04/2022", ""] for place in FOSTERING
            for band, fee in (("standard", "227.00"), ("enhanced", "343.00"), ("complex", "672.00"))
        ],
        "banding.csv": [["POLICY", "EFFECTIVE_FROM", "BAND", "MIN_TOTAL", "MAX_TOTAL"], ["count", "01/04/2022", "", "", ""]],
    }
    write_files(directory, files)
    return {name: len(rows) - 1 for name, rows in files.items()}
