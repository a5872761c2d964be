"""Reading one SSDA903-shaped CSV file, and turning its cells into typed values.

Every problem is a `Problem` that prints as `file:line: column: message`, where the line
is the physical line in the file (the header is line 1; a quoted value that runs over
several lines puts its row on the line where the row starts). Problems are collected,
never raised, so one pass reports all of them.

The file must be UTF-8, with or without a byte order mark; anything else (Windows-1252,
UTF-16 from Excel's "Unicode text") is reported as a wrong encoding at the line of the
first byte that is not UTF-8. Header names are matched without regard to case or
surrounding spaces; cell values are stripped of surrounding spaces.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from domain.errors import DomainError
from domain.money import parse_money

T = TypeVar("T")

# The column slot of a problem that is not about one column.
WHOLE_FILE = "file"
WHOLE_ROW = "row"

EARLIEST, LATEST = date(1990, 1, 1), date(2100, 1, 1)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.message}"


class Problems:
    """Every problem found so far, in the order found; `sorted()` gives them by file and line."""

    FILE_ORDER = ("council.csv", "providers.csv", "header.csv", "episodes.csv", "assessments.csv", "fees.csv",
                  "banding.csv")

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, file: str, line: int, column: str, message: str) -> None:
        self.items.append(Problem(file, line, column, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def sorted(self) -> list[Problem]:
        order = {name: i for i, name in enumerate(self.FILE_ORDER)}
        unique = list(dict.fromkeys(self.items))
        return sorted(unique, key=lambda p: (order.get(p.file, len(order)), p.file, p.line))


@dataclass
class CsvRow:
    file: str
    line: int
    values: dict[str, str]  # canonical column name -> stripped text ("" when blank or absent)
    misaligned: bool = False  # more or fewer values than columns: reported, not read further

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class CsvFile:
    """One file's rows. `usable` is False when the file could not be read or lacks a
    required column: its rows are then not checked further."""

    name: str
    rows: list[CsvRow] = field(default_factory=list)
    columns: set[str] = field(default_factory=set)
    usable: bool = True

    def has(self, column: str) -> bool:
        return column in self.columns


def read_csv(path: Path, required: Sequence[str], optional: Sequence[str], problems: Problems) -> CsvFile:
    """Read `path`, checking its encoding and header. Column names in `required` and
    `optional` are the canonical spellings problems are reported under."""
    name = path.name
    result = CsvFile(name)
    data = path.read_bytes()
    text = _decode(name, data, problems)
    if text is None:
        result.usable = False
        return result
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as e:
        problems.add(name, 1, WHOLE_FILE, f"The header row cannot be read as CSV ({e})")
        result.usable = False
        return result
    if header is None or not any(h.strip() for h in header):
        problems.add(name, 1, WHOLE_FILE, "The file is empty: the first line must name the columns")
        result.usable = False
        return result

    canonical = {c.upper(): c for c in (*required, *optional)}
    positions: dict[str, int] = {}
    for i, raw in enumerate(header):
        key = raw.strip().upper()
        if not key:
            continue
        column = canonical.get(key, key)
        if column in positions:
            problems.add(name, 1, column, "This column appears twice in the header row")
            result.usable = False
        positions[column] = i
    for column in required:
        if column not in positions:
            problems.add(name, 1, column, "Missing column: add it to the header row")
            result.usable = False
    result.columns = set(positions)

    width = len(header)
    last_line = reader.line_num
    while True:
        start = last_line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            problems.add(name, start, WHOLE_ROW, f"This row cannot be read as CSV ({e})")
            result.usable = False
            break
        last_line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # a blank line
        misaligned = len(cells) != width
        if misaligned:
            problems.add(name, start, WHOLE_ROW,
                         f"This row has {len(cells)} values but the header row has {width} columns")
        values = {col: cells[i].strip() if i < len(cells) else "" for col, i in positions.items()}
        result.rows.append(CsvRow(name, start, values, misaligned))
    return result


def _decode(name: str, data: bytes, problems: Problems) -> str | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        problems.add(name, line, WHOLE_FILE,
                     f"Wrong encoding: save the file as UTF-8 (byte 0x{data[e.start]:02X} is not UTF-8)")
        return None
    nul = text.find("\x00")
    if nul >= 0:
        problems.add(name, text.count("\n", 0, nul) + 1, WHOLE_FILE,
                     "Wrong encoding: save the file as UTF-8 (it holds NUL characters, as UTF-16 files do)")
        return None
    return text


# -- cells ------------------------------------------------------------------------------


class CellError(Exception):
    """One cell's value is wrong; the message says how to put it right."""


_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_date(text: str) -> date:
    """`dd/mm/yyyy` (SSDA903 style) or ISO `yyyy-mm-dd`."""
    if m := _DMY.fullmatch(text):
        day, month, year = (int(g) for g in m.groups())
    elif m := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in m.groups())
    else:
        raise CellError(f"Enter a date as dd/mm/yyyy or yyyy-mm-dd (got {text!r})")
    try:
        value = date(year, month, day)
    except ValueError:
        raise CellError(f"{text} is not a real date") from None
    if not EARLIEST <= value <= LATEST:
        raise CellError(f"Enter a date between 1990 and 2100 (got {text})")
    return value


class Cells:
    """Reads one row's cells into typed values, recording a problem for each bad cell.
    A bad cell gives None and marks the row bad; `ok` says whether every cell was good."""

    def __init__(self, row: CsvRow, problems: Problems):
        self.row = row
        self.problems = problems
        self.ok = True

    def problem(self, column: str, message: str) -> None:
        self.problems.add(self.row.file, self.row.line, column, message)
        self.ok = False

    def _read(self, column: str, required: bool, convert: Callable[[str], T]) -> T | None:
        text = self.row[column]
        if not text:
            if required:
                self.problem(column, "This cell is blank: enter a value")
            return None
        try:
            return convert(text)
        except CellError as e:
            self.problem(column, str(e))
        except DomainError as e:
            self.problem(column, e.message)
        return None

    def text(self, column: str, *, required: bool = True, max_length: int = 200) -> str | None:
        def convert(text: str) -> str:
            if len(text) > max_length:
                raise CellError(f"Use {max_length} characters or fewer (this has {len(text)})")
            return text

        value = self._read(column, required, convert)
        return value if value is not None else (None if required else "")

    def date(self, column: str, *, required: bool = True) -> date | None:
        return self._read(column, required, parse_date)

    def code(self, column: str, choices: Iterable[str], label: str, *, required: bool = True) -> str | None:
        options = set(choices)

        def convert(text: str) -> str:
            code = text.upper()
            if code not in options:
                raise CellError(f"{text!r} is not a valid {label} code")
            return code

        value = self._read(column, required, convert)
        return value if value is not None else (None if required else "")

    def flag(self, column: str) -> bool | None:
        def convert(text: str) -> bool:
            if text.upper() not in ("Y", "N"):
                raise CellError(f"Enter Y or N (got {text!r})")
            return text.upper() == "Y"

        return self._read(column, True, convert)

    def whole_number(self, column: str, low: int, high: int, *, required: bool = True) -> int | None:
        def convert(text: str) -> int:
            if not re.fullmatch(r"-?\d+", text):
                raise CellError(f"Enter a whole number from {low} to {high} (got {text!r})")
            n = int(text)
            if not low <= n <= high:
                raise CellError(f"Enter a whole number from {low} to {high} (got {n})")
            return n

        return self._read(column, required, convert)

    def money(self, column: str, *, required: bool = True, allow_zero: bool = False) -> Decimal | None:
        return self._read(column, required, lambda text: parse_money(text, column.lower(), allow_zero=allow_zero))

    def check(self, column: str, rule: Callable[[str], T]) -> T | None:
        """A cell checked by a domain validator (it raises a DomainError with the message)."""
        return self._read(column, True, rule)
