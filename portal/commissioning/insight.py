"""Insight, for a council's commissioners and admins: the dashboard of the children in
placements on a night (need against cost, where the spend goes, averages by placement
group, provider kind, age and sex, time in care and characteristics, how common each need
is), a CSV download of every table, and the lists of children to look at first. The
what-if tools are in whatif.py.

Every figure is drawn from `cohort_as_at` (projections/cohort.py) by the statistics in
projections/insight.py, the same ones `needsledger insight` prints: the headline is the
CONTRACT's Insight JSON, figure for figure.

Who sees which children. A council's commissioners and admins see their own council's
children. An admin of a council whose region has more than one council registered (the
members of a regional care co-operative) may also choose the whole region: every council
registered with the same region. The lists name children, so they always show the user's
own council's children only, whichever scope is chosen.

Small numbers. In every table and CSV a count of 1 to 4 children, and every figure worked
out from one (an average, a share), is shown as [c]; where that would leave one hidden count
that could be worked out from the total, the next smallest is hidden too
(`projections.insight.hidden_cells`). Averages of need over fewer than five assessed
children are hidden. The scatter chart draws each child as a point without anything that
names them; it is drawn from a sample when the cohort is large.

As at and as known on. Every figure can be drawn as the cohort stood on an earlier night
(`as_at`), and as the record stood at the end of an earlier day (`as_known_on`: before
anything recorded later, such as a backdated assessment or a late placement end).

Speed. A cohort is drawn once for each (database, scope, as at, as known on) while the
cohort view stays at the same position in the event log; the figures then come from an
in-process cache until any new event moves the view on, so a figure is never stale.
bench/dashboard.py times it on a national-scale cohort.
"""

from __future__ import annotations

import csv
import gc
import io
import math
import threading
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any

from flask import Response, abort, current_app, render_template, request, url_for
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovRadioInput
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine
from wtforms import Field, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from domain import clock
from domain.codes import PLACE_CODES
from domain.needs import DOMAINS
from portal import charts
from portal.auth.access import access_of
from portal.commissioning import bp
from portal.commissioning.referrals import councils_only
from portal.forms import Form, day_month_year
from portal.views.common import reads, requires_role
from projections import insight as stats
from projections import organisations
from projections.base import positions
from projections.cohort import CohortRow, CohortView
from projections.insight import GroupStats, PricingRules

COUNCIL_ROLES = ("commissioner", "admin")
COUNCIL, REGION = "council", "region"
CHILD_PAGE = "commissioning.children_show"
HIDDEN_MARK = "[c]"
SCATTER_SAMPLE = 600  # points drawn at most; r is always over every assessed child

PLACE_GROUP_LABELS = {
    "fostering": "Fostering",
    "residential": "Residential care",
    "supported": "Supported accommodation and independent living",
    "with_family": "With parents or placed for adoption",
    "other": "Other placements",
}
PLACE_GROUP_SHORT = {label: short for label, short in (
    ("Residential care", "Residential"), ("Supported accommodation and independent living", "Supported"),
    ("With parents or placed for adoption", "With family"), ("Other placements", "Other"))}
SECTOR_LABELS = {stats.IN_HOUSE: "In-house (the council's own)", stats.PRIVATE: "Private and voluntary",
                 stats.OTHER: "Other (parents, other councils, public bodies)"}
SEX_LABELS = {"male": "Boys", "female": "Girls", None: "Not recorded"}
CHARACTERISTIC_LABELS = {"disability": "Disability", "ehcp": "Education, health and care plan (EHCP)",
                         "excluded": "Excluded from school"}
NEED_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0 to 9", 0, 9), ("10 to 19", 10, 19), ("20 to 29", 20, 29), ("30 to 39", 30, 39), ("40 to 49", 40, 49),
    ("50 to 59", 50, 59), ("60 to 79", 60, 79), ("80 and over", 80, None),
)
NO_ASSESSMENT = "No assessment yet"
TOP_SHARES = (1, 5, 10, 20, 50)
UNDER_2K, UNDER_5K = Decimal("2000"), Decimal("5000")


# ---------------------------------------------------------------------------------------
# Who sees which children: the scope


@dataclass(frozen=True)
class Scope:
    kind: str  # COUNCIL or REGION
    council_ids: tuple[str, ...]
    name: str


def scopes_for_user(engine: Engine) -> list[Scope]:
    """The user's council; and, for an admin of a council whose region has more than one
    council registered, that region (every council registered with the same region)."""
    own = organisations.organisation(engine, current_user.org_id)
    if own is None or own.kind != organisations.COUNCIL:
        abort(403)
    scopes = [Scope(COUNCIL, (str(own.org_id),), own.name)]
    if current_user.role == "admin":
        members = [o for o in organisations.organisations(engine, organisations.COUNCIL) if o.region == own.region]
        if len(members) > 1:
            scopes.append(Scope(REGION, tuple(sorted(str(o.org_id) for o in members)),
                                f"{own.region} ({len(members)} councils)"))
    return scopes


# ---------------------------------------------------------------------------------------
# The choice of scope and dates, read from the query string


class DayMonthYearOrIsoField(Field):
    """A GOV.UK date input (three boxes, day, month and year, sharing the field's name) that
    also takes one ISO date (2025-03-31), as the page's own links carry it. Optional."""

    widget = GovDateInput()

    def __init__(self, label: str | None = None, *, called: str, **kwargs: Any):
        super().__init__(label, **kwargs)
        self.called = called

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if len(valuelist) == 1:
            try:
                self.data = date.fromisoformat(valuelist[0].strip())
            except ValueError:
                self.raw_data = None
                raise ValueError(f"{self.called} must be a real date") from None
            self.raw_data = [str(self.data.day), str(self.data.month), str(self.data.year)]
            return
        if len(valuelist) != 3:
            self.raw_data = None  # nothing given (or not a date input): the boxes start empty
            return
        self.data = day_month_year(valuelist, self.called)

    def pre_validate(self, form: Form) -> None:
        if self.data is not None and self.data > clock.today():
            raise ValidationError(f"{self.called} must be today or in the past")

    def _value(self) -> str:
        return self.data.isoformat() if self.data else ""


class SelectionForm(Form):
    """The scope and the dates: a GET form (it changes nothing), so no CSRF token."""

    class Meta:
        csrf = False

    scope = RadioField("Whose children", widget=GovRadioInput(), validate_choice=False, default=COUNCIL)
    as_at = DayMonthYearOrIsoField(
        "As at", called="The as at date",
        description="The night the figures are drawn for: the children in a placement that night, at the weekly "
                    "rate in force, with their latest assessment. Leave it empty for today. For example, 31 3 2025.")
    as_known_on = DayMonthYearOrIsoField(
        "As known on (optional)", called="The as known on date",
        description="Draw the figures as the record stood at the end of this day, leaving out anything recorded "
                    "later (a backdated assessment, a placement ended late). Leave it empty for the record as it "
                    "stands now.")


@dataclass(frozen=True)
class Selection:
    scope: Scope
    as_at: date
    as_known_on: date | None
    dated: bool  # an as-at date was chosen (else today)
    own_council: str

    def args(self) -> dict[str, str]:
        """The query string that chooses this again (today stays "today")."""
        found: dict[str, str] = {}
        if self.scope.kind == REGION:
            found["scope"] = REGION
        if self.dated:
            found["as_at"] = self.as_at.isoformat()
        if self.as_known_on is not None:
            found["as_known_on"] = self.as_known_on.isoformat()
        return found

    @property
    def description(self) -> str:
        """"as at 31 March 2025", with "as known on ..." when chosen."""
        text = f"as at {long_date(self.as_at)}" + (" (today)" if not self.dated else "")
        if self.as_known_on is not None:
            text += f", as the record stood on {long_date(self.as_known_on)}"
        return text


def read_selection() -> tuple[Selection, SelectionForm]:
    """The scope and dates the query string asks for (with the form's errors, if any:
    then the figures are drawn for the user's council, today)."""
    engine = reads()
    scopes = scopes_for_user(engine)
    form = SelectionForm(formdata=request.args)
    form.scope.choices = [SelectChoice(s.kind, "Your council" if s.kind == COUNCIL else f"Your region: {s.name}")
                          for s in scopes]
    valid = form.validate() if request.args else True
    if form.scope.data not in {s.kind for s in scopes}:
        if request.args.get("scope") not in (None, COUNCIL):
            abort(404)  # a region this user may not choose: as if there were none
        form.scope.data = COUNCIL
    scope = next(s for s in scopes if s.kind == form.scope.data)
    if not valid:
        return Selection(scopes[0], clock.today(), None, False, scopes[0].council_ids[0]), form
    as_at = form.as_at.data
    return Selection(scope, as_at or clock.today(), form.as_known_on.data, as_at is not None,
                     scopes[0].council_ids[0]), form


# ---------------------------------------------------------------------------------------
# The cohort and the rules in force, kept while the cohort view stands still


class _Recent:
    """A few recent results, by key, least recently used dropped first."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


# One set of caches per database engine (the tests open hundreds), gone with the engine.
_CACHES: weakref.WeakKeyDictionary[Engine, dict[str, _Recent]] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _cache(engine: Engine, name: str, size: int) -> _Recent:
    with _CACHES_LOCK:
        caches = _CACHES.setdefault(engine, {})
        return caches.setdefault(name, _Recent(size))


def _cohort_version(conn: Connection) -> tuple[Any, ...]:
    """Where the cohort view stands in the event log: the cohort cannot have changed while
    this stays the same."""
    row = conn.execute(select(positions.c.position, positions.c.updated_at)
                       .where(positions.c.name == CohortView.name)).first()
    return tuple(row) if row is not None else (None, None)


def _kept(name: str, size: int, sel: Selection, council_ids: tuple[str, ...],
          make: Callable[[Connection], Any]) -> Any:
    """`make(conn)` for these councils as the selection asks, kept (in the cache `name`, of
    `size` entries) for as long as the cohort view stays where it is in the event log."""
    engine = reads()
    with engine.connect() as conn:
        key = (council_ids, sel.as_at, sel.as_known_on, _cohort_version(conn))
        return _cache(engine, name, size).get(key, lambda: make(conn))


def cohort_rows(sel: Selection, council_ids: tuple[str, ...] | None = None) -> list[CohortRow]:
    """The cohort of the scope (or of the given councils) as the selection asks. At most
    two are kept: a national cohort is tens of megabytes."""
    ids = council_ids or sel.scope.council_ids
    return _kept("rows", 2, sel, ids, lambda conn: stats.cohort_for(conn, ids, sel.as_at, sel.as_known_on))


def rules_in_force(sel: Selection, council_ids: tuple[str, ...] | None = None) -> dict[str, PricingRules]:
    """The banding policy and fees in force for each council of the scope (or those given)."""
    ids = council_ids or sel.scope.council_ids
    return _kept("rules", 8, sel, ids, lambda conn: stats.pricing_rules(conn, ids, sel.as_at, sel.as_known_on))


def own_selection(sel: Selection) -> tuple[str, ...]:
    """The lists' councils: the user's own only."""
    return (sel.own_council,)


# ---------------------------------------------------------------------------------------
# Tables: one definition each, drawn as HTML and written as CSV


class _Hidden:
    """A figure hidden because it concerns fewer than five children."""

    def __repr__(self) -> str:
        return HIDDEN_MARK


HIDDEN = _Hidden()


@dataclass(frozen=True)
class Column:
    heading: str
    kind: str = "text"  # text, count, money, share, average, r

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass(frozen=True)
class Cell:
    """A value with its own kind (a table of figures of several kinds)."""

    value: Any
    kind: str


@dataclass(frozen=True)
class FigureTable:
    key: str  # its CSV's name
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    notes: tuple[str, ...] = ()

    def _cells(self, formatter: Callable[[Any, str], str]) -> list[list[str]]:
        out = []
        for row in self.rows:
            cells = []
            for column, value in zip(self.columns, row):
                if isinstance(value, Cell):
                    cells.append(formatter(value.value, value.kind))
                else:
                    cells.append(formatter(value, column.kind))
            out.append(cells)
        return out

    def html_rows(self) -> list[list[str]]:
        return self._cells(html_value)

    def csv_text(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([c.heading + (" (%)" if c.kind == "share" else " (£)" if c.kind == "money" else "")
                         for c in self.columns])
        writer.writerows(self._cells(csv_value))
        return buffer.getvalue()


def html_value(value: Any, kind: str) -> str:
    if value is HIDDEN:
        return HIDDEN_MARK
    if value is None:
        return "–"
    if kind == "count":
        return f"{value:,}"
    if kind == "money":
        return f"£{value:,.2f}"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "average":
        return f"{value:.1f}"
    if kind == "r":
        return f"{value:.2f}"
    return str(value)


def csv_value(value: Any, kind: str) -> str:
    if value is HIDDEN:
        return HIDDEN_MARK
    if value is None:
        return ""
    if kind == "count":
        return str(value)
    if kind == "money":
        return f"{value:.2f}"
    if kind == "share":
        return f"{value * 100:.2f}"
    if kind == "average":
        return f"{value:.2f}"
    if kind == "r":
        return f"{value:.4f}"
    return str(value)


def long_date(day: date | None) -> str:
    return "" if day is None else f"{day.day} {day:%B %Y}"


@bp.app_template_filter("insight_value")
def _insight_value(value: Any, kind: str = "text") -> str:
    return html_value(value, kind)


# ---------------------------------------------------------------------------------------
# The dashboard's figures


@dataclass(frozen=True)
class Section:
    key: str  # the page anchor
    title: str
    intro: str
    charts: tuple[charts.Chart, ...]
    tables: tuple[FigureTable, ...]
    chart_notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dashboard:
    scope: Scope
    as_at: date
    as_known_on: date | None
    figures: dict[str, Any]  # the CONTRACT's Insight JSON, exactly as `needsledger insight` prints it
    headline: FigureTable
    sections: tuple[Section, ...]
    unpriced: int
    lists: dict[str, int] = field(default_factory=dict)  # the lists' lengths (own council's scope only)

    @property
    def tables(self) -> dict[str, FigureTable]:
        found = {self.headline.key: self.headline}
        for section in self.sections:
            for table in section.tables:
                found[table.key] = table
        return found

    def figure(self, name: str) -> Any:
        """A headline figure as the page shows it (HIDDEN when it concerns under five children)."""
        for row in self.headline.rows:
            if row[0] == name:
                return row[1].value
        raise KeyError(name)

    @property
    def headline_cells(self) -> list[tuple[str, Cell]]:
        return [(row[0], row[1]) for row in self.headline.rows]


def dashboard(sel: Selection) -> Dashboard:
    """The dashboard for the selection, kept while the cohort view stands still; drawn from
    the same kept cohort and rules as the lists and the what-ifs."""

    def draw(conn: Connection) -> Dashboard:
        names = {str(o.org_id): o.name for o in organisations.organisations(conn, organisations.COUNCIL)}
        return build_dashboard(cohort_rows(sel), sel.scope, sel.as_at, sel.as_known_on, names)

    return _kept("dashboards", 16, sel, sel.scope.council_ids, draw)


def dashboard_data(conn: Connection, scope: Scope, as_at: date, as_known_on: date | None) -> Dashboard:
    """Every figure the dashboard draws, from the cohort of the scope as at the date."""
    rows = stats.cohort_for(conn, scope.council_ids, as_at, as_known_on)
    names = {str(o.org_id): o.name for o in organisations.organisations(conn, organisations.COUNCIL)}
    return build_dashboard(rows, scope, as_at, as_known_on, names)


def build_dashboard(rows: Sequence[CohortRow], scope: Scope, as_at: date, as_known_on: date | None,
                    council_names: dict[str, str] | None = None) -> Dashboard:
    """The figures of the dashboard from a cohort. The cohort is grouped once, by every
    characteristic a table groups by (`_cells_and_scores`), and each table's groups are
    sums of those cells' tallies (projections.insight.roll_up); the costs are read once
    (in pence, `WeeklyCosts`) and ranked once (`CostLadder`) for the headline, the spend
    shares and the Lorenz curve; the scores are counted once, by time in care, and summed
    for the whole cohort. A national cohort is walked a few times in all, each time in
    the order it was read, not once a table."""
    with _collector_paused():
        weekly_costs = stats.WeeklyCosts.of(rows)
        cells, scores = _cells_and_scores(rows, weekly_costs)
        costs = stats.CostLadder.of_costs(weekly_costs)
        by_group_and_sector = cells.tallies_by(_group_and_sector)
        figures = stats.contract_figures_from(
            rows, costs, stats.roll_up(by_group_and_sector, itemgetter(0), stats.PLACE_GROUP_NAMES))
        unpriced = stats.unpriced_placements(rows)
        sections = [
            _need_and_cost(rows, figures, cells.tallies_by(itemgetter(_NEED))),
            _concentration(costs),
            _place_groups(by_group_and_sector),
            _provider_kinds(by_group_and_sector),
            _prevalence(sum(scores.values(), stats.ScoreCounts.none())),
            _age_and_sex(cells.tallies_by(itemgetter(_AGE, _SEX))),
            _time_in_care(cells.tallies_by(itemgetter(_CARE)), scores),
            _characteristics(cells.tallies_by(_characteristics_and_residential)),
        ]
        if scope.kind == REGION:
            sections.append(_by_council(rows, weekly_costs, council_names or {}))
        lists: dict[str, int] = {}
        if scope.kind == COUNCIL:
            # The lists' lengths, where they cost little to count (the spot prices are compared on their page).
            # The step-down list is the CONTRACT's residential_without_severe_need child by child.
            lists = {"step-down": figures["residential_without_severe_need"]["children"],
                     "breakdown-risk": len(stats.breakdown_risk(
                         rows, below=_money(figures["by_place_group"]["fostering"]["avg_weekly_cost"])))}
        return Dashboard(scope, as_at, as_known_on, figures, _headline(figures, costs, unpriced), tuple(sections),
                         unpriced, lists)


# Where each characteristic sits in the key of a cell of the cohort (`_cells_and_scores`).
_GROUP, _KIND, _NEED, _AGE, _SEX, _CARE, _DISABILITY, _EHCP, _EXCLUDED = range(9)
CellKey = tuple[Any, ...]


@dataclass(frozen=True)
class _Cells:
    """The cohort grouped by everything a table groups by (`_cells_and_scores`): cell key
    -> the sums of its children: how many, how many assessed, their total need, and their
    weekly spend in the unit `costs` holds it (whole pence, as a rule)."""

    sums: dict[CellKey, tuple[int, int, int, Any]]
    costs: stats.WeeklyCosts

    def tallies_by(self, group: Callable[[CellKey], Hashable]) -> dict[Any, stats.Tally]:
        """The cells added up into coarser groups (`group` maps a cell's key to its group),
        in the order the groups are met: `stats.combine` of the cells' tallies, but added
        in whole numbers, and made money once a group rather than once a cell."""
        found: dict[Any, list[Any]] = {}
        for key, sums in self.sums.items():
            name = group(key)
            s = found.get(name)
            if s is None:
                found[name] = list(sums)
            else:
                s[0] += sums[0]
                s[1] += sums[1]
                s[2] += sums[2]
                s[3] += sums[3]
        money = self.costs.money
        return {name: stats.Tally(children, assessed, need, money(spend))
                for name, (children, assessed, need, spend) in found.items()}


def _band_labels(values: set[int | None], bands: Sequence[tuple[str, int, int | None]]) -> dict[int | None, str | None]:
    """value -> the label of its band (`stats.band_label`), worked out once for each value:
    a cohort has a few dozen ages and a few thousand lengths of stay, and tens of
    thousands of children. A plain dict, the quickest thing to look a child's up in."""
    return {value: stats.band_label(value, bands) for value in values}


def _cells_and_scores(rows: Sequence[CohortRow], costs: stats.WeeklyCosts) -> tuple[
        _Cells, dict[str | None, stats.ScoreCounts]]:
    """One walk over the cohort for what every table groups by:

    - the cells: the children grouped by place group, provider kind, need band, age band,
      sex, time in care band, disability, EHCP and exclusion, keyed in that order (_GROUP
      to _EXCLUDED). A national cohort falls into a few thousand cells; each table's
      groups are sums of them (`_Cells.tallies_by`);
    - time in care band -> the scores of its children, counted (`stats.ScoreCounts`).

    Each cell gathers its children's total needs and weekly costs (as `costs` holds them,
    in pence) while the walk is at the row, rather than the rows themselves: the walk
    keeps to the cohort's own order, the order its rows sit in memory, where reading them
    again cell by cell would jump about 80,000 rows and cost several times as much."""
    need_band = _NEED_BAND_OF_TOTAL
    age_band = _band_labels({r.age for r in rows}, stats.AGE_BANDS)
    care_band = _band_labels({r.days_in_care for r in rows}, stats.TIME_IN_CARE_BANDS)
    cells: dict[CellKey, tuple[list[int | None], list[Any]]] = {}
    scores_by_care: dict[str | None, list[tuple[int, ...]]] = {}
    for r, amount in zip(rows, costs.amounts):
        need, care = r.total_need, care_band[r.days_in_care]
        key = (r.place_group, r.provider_kind, need_band[need], age_band[r.age], r.sex, care,
               r.disability, r.ehcp, r.excluded)
        try:
            needs, amounts = cells[key]
        except KeyError:
            needs, amounts = cells[key] = [], []
        needs.append(need)
        amounts.append(amount)
        scores = r.scores
        if scores is not None:
            try:
                scores_by_care[care].append(scores)
            except KeyError:
                scores_by_care[care] = [scores]
    sums = {}
    for key, (needs, amounts) in cells.items():
        # A cell's children are all assessed or none is: its need band says which.
        assessed = 0 if key[_NEED] == NO_ASSESSMENT else len(needs)
        sums[key] = (len(amounts), assessed, sum(needs) if assessed else 0, sum(amounts, costs.zero))
    return (_Cells(sums, costs),
            {band: stats.ScoreCounts.of_scores(found) for band, found in scores_by_care.items()})


def _group_and_sector(key: CellKey) -> tuple[str, str]:
    return key[_GROUP], stats.sector_of(key[_KIND])


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while a cohort's figures are worked out (as
    `cohort_as_at` does while it builds the rows): the many small objects made here would
    otherwise set off collections that walk all 82,000 rows of a national cohort again
    and again. Nothing made here is cyclic; collection resumes straight after."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _bars(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], title: str, *,
          id: str, value_format: Callable[[float], str] | None = None, value_label: str = "") -> charts.Chart | None:
    """A bar chart of a table's figures, or None when every figure in it is hidden (a chart
    of nothing but dashes says nothing)."""
    if all(v is None for _, values in series for v in values):
        return None
    return charts.bar_chart([_short(c) for c in categories], list(series), title, id=id,
                            value_format=value_format or _one_place, value_label=value_label)


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _one_place(v: float) -> str:
    return f"{v:.1f}"


def _short(category: str) -> str:
    """A place group's short name on a chart's axis (the table beside it has the full one)."""
    return PLACE_GROUP_SHORT.get(category, category)


def _section(key: str, title: str, intro: str, drawn: Sequence[charts.Chart | None],
             tables: Sequence[FigureTable], notes: Sequence[str] = ()) -> Section:
    shown = tuple(c for c in drawn if c is not None)
    if len(shown) < len(drawn):
        notes = (*notes, "A chart is left out where every figure in it concerns fewer than five children.")
    return Section(key, title, intro, shown, tuple(tables), tuple(notes))


def _headline(f: dict[str, Any], costs: stats.CostLadder, unpriced: int) -> FigureTable:
    n = f["placements"]
    spend = Decimal(f["weekly_spend"])
    # As stats.cost_thresholds: the share of placements whose weekly rate is under each figure.
    under_2k = costs.count_under(UNDER_2K)
    under_5k = costs.count_under(UNDER_5K)
    resi = f["residential_without_severe_need"]
    cap = f["cap_what_if"]
    hide_resi = 0 < resi["children"] < stats.SMALL_NUMBER
    hide_cap = 0 < cap["placements_above"] < stats.SMALL_NUMBER

    def top(percent: int) -> Any:
        share = f[f"spend_share_top_{percent}pct"]
        return HIDDEN if 0 < stats.top_count(percent, n) < stats.SMALL_NUMBER else share

    rows_: list[tuple[str, Cell]] = [
        ("Children in a placement", Cell(f["children"], "count")),
        ("Weekly spend", Cell(spend, "money")),
        ("Spend over a year (52 weeks)", Cell(spend * stats.WEEKS_IN_YEAR, "money")),
        ("Average weekly cost", Cell(stats.mean_money(spend, n), "money")),
        ("Correlation of total need with weekly cost (Pearson's r)", Cell(f["pearson_r_need_cost"], "r")),
        ("Share of spend on the costliest 1% of placements", Cell(top(1), "share")),
        ("Share of spend on the costliest 5% of placements", Cell(top(5), "share")),
        ("Share of spend on the costliest 10% of placements", Cell(top(10), "share")),
        ("Placements under £2,000 a week",
         Cell(HIDDEN if _small(under_2k) or _small(n - under_2k) else stats.ratio(under_2k, n), "share")),
        ("Placements under £5,000 a week",
         Cell(HIDDEN if _small(under_5k) or _small(n - under_5k) else stats.ratio(under_5k, n), "share")),
        ("Children in residential care with no severe need", Cell(HIDDEN if hide_resi else resi["children"], "count")),
        ("Their share of the residential children assessed", Cell(HIDDEN if hide_resi else resi["share"], "share")),
        ("Their average weekly cost",
         Cell(HIDDEN if hide_resi else _money(resi["avg_weekly_cost"]), "money")),
        ("Placements above £5,000 a week", Cell(HIDDEN if hide_cap else cap["placements_above"], "count")),
        ("Weekly saving if they were capped at £5,000", Cell(HIDDEN if hide_cap else _money(cap["weekly_saving"]), "money")),
        ("Yearly saving if they were capped at £5,000", Cell(HIDDEN if hide_cap else _money(cap["annual_saving"]), "money")),
        ("Placements that cannot be priced (counted at £0)", Cell(unpriced, "count")),
    ]
    units = {"count": "number", "money": "£", "share": "%", "r": "r (-1 to 1)"}
    return FigureTable("headline", "Headline figures", (Column("Figure"), Column("Value", "number"), Column("Unit")),
                       tuple((name, cell, units[cell.kind]) for name, cell in rows_))


def _money(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _group_table(key: str, title: str, label: str, groups: dict[Any, GroupStats],
                 names: Callable[[Any], str], *, spend: bool = True, notes: tuple[str, ...] = ()) -> FigureTable:
    """Children, average total need (over those assessed) and average weekly cost, a group a
    row, with small numbers hidden."""
    hidden = stats.hidden_cells({g: s.children for g, s in groups.items()})
    rows = []
    for g, s in groups.items():
        if g in hidden:
            rows.append((names(g), HIDDEN, HIDDEN, HIDDEN, *((HIDDEN,) if spend else ())))
            continue
        need = s.avg_total_need if (s.assessed or 0) >= stats.SMALL_NUMBER else (HIDDEN if s.assessed else None)
        rows.append((names(g), s.children, need, s.avg_weekly_cost, *((s.weekly_spend,) if spend else ())))
    columns = (Column(label), Column("Children", "count"), Column("Average total need", "average"),
               Column("Average weekly cost", "money"), *((Column("Weekly spend", "money"),) if spend else ()))
    return FigureTable(key, title, columns, tuple(rows), notes)


def _value(cell: Any) -> float | None:
    """A table's figure as a bar's length (None: hidden or none)."""
    if cell is HIDDEN or cell is None:
        return None
    return float(cell)


def _pounds(v: float) -> str:
    return f"£{v:,.0f}"


def _percent(v: float) -> str:
    return f"{v:.0f}%"


# Total need (0 to 130; None: no assessment) -> its band.
_NEED_BAND_OF_TOTAL: dict[int | None, str] = {
    None: NO_ASSESSMENT,
    **{total: next(label for label, low, high in NEED_BANDS if low <= total and (high is None or total <= high))
       for total in range(131)}}


def _need_and_cost(rows: Sequence[CohortRow], f: dict[str, Any], by_need_band: dict[str, stats.Tally]) -> Section:
    # With no child unassessed, the sample is drawn from the cohort itself rather than a copy of it.
    assessed = rows if NO_ASSESSMENT not in by_need_band else [r for r in rows if r.total_need is not None]
    step = max(1, math.ceil(len(assessed) / SCATTER_SAMPLE))
    sample = assessed[::step]
    r = f["pearson_r_need_cost"]
    scatter = charts.scatter_chart(
        [(p.total_need, float(p.weekly_cost), "") for p in sample], "Total need (0 to 130)", "Weekly cost (£)",
        "Need against weekly cost", r, id="need-cost", y_format=_pounds)
    groups = stats.roll_up(by_need_band, _same, [label for label, _, _ in NEED_BANDS] + [NO_ASSESSMENT])
    table = _group_table("need-and-cost", "Weekly cost by total need", "Total need", groups, str)
    notes = []
    if len(sample) < len(assessed):
        notes.append(f"The chart draws {len(sample):,} of the {len(assessed):,} children with an assessment, "
                     "chosen evenly; r is worked out over all of them.")
    bars = _bars([row[0] for row in table.rows], [("Average weekly cost", [_value(row[3]) for row in table.rows])],
                            "Average weekly cost by total need", id="need-bands", value_format=_pounds)
    r_text = "not enough children with an assessment to say" if r is None else f"r = {r:.2f}"
    return _section("need-and-cost", "Need against cost",
                   f"Each point is a child in a placement: their total need across the 13 domains against the weekly "
                   f"cost of their placement. If cost followed need the points would rise from left to right "
                   f"({r_text}; 1 would be a perfect match, 0 none).",
                   (scatter, bars), (table,), tuple(notes))


def _concentration(costs: stats.CostLadder) -> Section:
    curve = costs.concentration(steps=20)
    lorenz = charts.lorenz_chart(curve, "Spend concentration", id="concentration", x_label="Share of placements, "
                                 "cheapest first", y_label="Share of weekly spend")
    n, total = costs.placements, costs.total
    table_rows = []
    for percent in TOP_SHARES:
        count = stats.top_count(percent, n)
        spend = costs.costliest(count)  # as stats.spend_shares_top takes them
        if _small(count):
            table_rows.append((f"Costliest {percent}%", HIDDEN, HIDDEN, HIDDEN))
        else:
            table_rows.append((f"Costliest {percent}%", count, spend, stats.ratio(spend, total)))
    table_rows.append(("Every placement", n, total, stats.ratio(total, total)))
    table = FigureTable("spend-concentration", "Share of weekly spend on the costliest placements",
                        (Column("Placements"), Column("Number", "count"), Column("Weekly spend", "money"),
                         Column("Share of spend", "share")), tuple(table_rows))
    return _section("spend-concentration", "Where the spend goes",
                   "How much of the weekly spend goes on the costliest placements. The further the curve sags "
                   "below the line of equal shares, the more the spend is concentrated on a few placements.",
                   (lorenz,), (table,))


def _place_groups(by_group_and_sector: dict[tuple[str, str], stats.Tally]) -> Section:
    groups = stats.roll_up(by_group_and_sector, itemgetter(0), stats.PLACE_GROUP_NAMES)
    table = _group_table("by-place-group", "Need and cost by placement group", "Placement group", groups,
                         lambda g: PLACE_GROUP_LABELS.get(g, g),
                         notes=(("Fostering: U1 to U6. Residential: K1, K2, R1, R2, R5, S1. Supported: H5, K3, P2. "
                                 "With family: P1, A3 to A6. Other: the rest."),))
    names = [row[0] for row in table.rows]
    need = _bars(names, [("Average total need", [_value(row[2]) for row in table.rows])],
                            "Average total need by placement group", id="place-group-need")
    cost = _bars(names, [("Average weekly cost", [_value(row[3]) for row in table.rows])],
                            "Average weekly cost by placement group", id="place-group-cost", value_format=_pounds)
    return _section("by-place-group", "By placement group",
                   "Average total need and weekly cost of the children in each group of placement types.",
                   (need, cost), (table,))


SECTOR_PAIRS = tuple((g, s) for g in ("fostering", "residential") for s in (stats.IN_HOUSE, stats.PRIVATE))


def _provider_kinds(by_group_and_sector: dict[tuple[str, str], stats.Tally]) -> Section:
    sectors = stats.roll_up(by_group_and_sector, itemgetter(1), (stats.IN_HOUSE, stats.PRIVATE, stats.OTHER))
    table = _group_table("by-provider-kind", "Need and cost by kind of provider", "Provider", sectors,
                         lambda s: SECTOR_LABELS.get(s, s))
    pairs = {k: v for k, v in stats.roll_up(by_group_and_sector, _same, SECTOR_PAIRS).items() if k in SECTOR_PAIRS}
    detail = _group_table(
        "by-place-group-and-provider-kind", "Fostering and residential care, in-house against private and voluntary",
        "Placement", pairs, lambda k: f"{PLACE_GROUP_LABELS[k[0]]}, {SECTOR_LABELS[k[1]].split(' (')[0].lower()}")
    categories = [PLACE_GROUP_LABELS["fostering"], PLACE_GROUP_LABELS["residential"]]
    by_key = dict(zip(pairs, detail.rows))

    def series(column: int) -> list[tuple[str, list[float | None]]]:
        return [(SECTOR_LABELS[s].split(" (")[0], [_value(by_key[(g, s)][column]) for g in ("fostering", "residential")])
                for s in (stats.IN_HOUSE, stats.PRIVATE)]

    need = _bars(categories, series(2), "Average total need, in-house and private", id="sector-need")
    cost = _bars(categories, series(3), "Average weekly cost, in-house and private", id="sector-cost",
                            value_format=_pounds)
    return _section("by-provider-kind", "In-house and private provision",
                   "The council's own provision (PR1) against private and voluntary providers (PR4, PR5).",
                   (need, cost), (table, detail))


def _same(key: Any) -> Any:
    return key


def _prevalence(scores: stats.ScoreCounts) -> Section:
    found = scores.prevalence()
    table_rows = []
    some, action = [], []
    for d in DOMAINS:
        p = found[d.key]
        levels = {"none": p.none, "minor": p.minor, "moderate": p.moderate, "severe": p.severe}
        hidden = stats.hidden_cells(levels)
        some_share = HIDDEN if {"none"} & hidden or _small(p.assessed - p.none) else p.some_need
        action_share = HIDDEN if {"moderate", "severe"} & hidden or _small(p.moderate + p.severe) else p.needs_action
        table_rows.append((d.label, p.assessed, *(HIDDEN if k in hidden else v for k, v in levels.items()),
                           some_share, action_share, p.average if p.assessed >= stats.SMALL_NUMBER else
                           (HIDDEN if p.assessed else None)))
        some.append(None if some_share is HIDDEN or some_share is None else some_share * 100)
        action.append(None if action_share is HIDDEN or action_share is None else action_share * 100)
    table = FigureTable(
        "prevalence", "Level of need in each domain", (
            Column("Domain"), Column("Children assessed", "count"), Column("None (0)", "count"),
            Column("Minor (1 to 3)", "count"), Column("Moderate (4 to 6)", "count"),
            Column("Severe and complex (7 to 10)", "count"), Column("Some need (1 or more)", "share"),
            Column("Needs action (4 or more)", "share"), Column("Average score", "average")),
        tuple(table_rows))
    chart = _bars([d.label for d in DOMAINS], [("Some need (1 or more)", some),
                                                          ("Needs action (4 or more)", action)],
                             "Share of children with each need", id="prevalence", value_format=_percent,
                             value_label="Share of the children assessed (%)")
    return _section("prevalence", "How common each need is",
                   "For each of the 13 domains, how many children have some need, and how many a need that "
                   "requires action (moderate, or severe and complex).", (chart,), (table,))


def _small(count: int) -> bool:
    return 0 < count < stats.SMALL_NUMBER


def _age_and_sex(by_age_and_sex: dict[tuple[str | None, str | None], stats.Tally]) -> Section:
    order = [(label, sex) for label, _, _ in stats.AGE_BANDS for sex in ("male", "female")]
    groups = stats.roll_up(by_age_and_sex, _same, order)
    table = _group_table("age-and-sex", "Need and cost by age and sex", "Age and sex", groups,
                         lambda k: _first_upper(f"{k[0] or 'age not recorded'}, {SEX_LABELS.get(k[1], k[1]).lower()}"),
                         spend=False)
    by_key = dict(zip(groups, table.rows))
    bands = [label for label, _, _ in stats.AGE_BANDS]
    chart = _bars(
        [f"Aged {b}" for b in bands],
        [(SEX_LABELS[sex], [_value(by_key[(b, sex)][2]) for b in bands]) for sex in ("male", "female")],
        "Average total need by age and sex", id="age-sex")
    return _section("age-and-sex", "By age and sex",
                   "Average total need and weekly cost of boys and girls of each age.", (chart,), (table,))


def _time_in_care(by_band: dict[str | None, stats.Tally], scores: dict[str | None, stats.ScoreCounts]) -> Section:
    bands = [label for label, _, _ in stats.TIME_IN_CARE_BANDS]
    groups = stats.roll_up(by_band, _same, bands)
    table = _group_table("time-in-care", "Need and cost by time in care", "Time in care", groups,
                         lambda b: _first_upper(b or "not known"), spend=False,
                         notes=("Time in care: since the start of the child's first placement.",))
    averages = {b: scores.get(b, stats.ScoreCounts.none()).averages() for b in bands}  # none: no scores in the band
    assessed = {b: groups[b].assessed for b in bands}
    domain_rows = tuple((d.label, *((averages[b][d.key] if assessed[b] >= stats.SMALL_NUMBER else
                                     (HIDDEN if assessed[b] else None)) for b in bands)) for d in DOMAINS)
    domains = FigureTable("time-in-care-domains", "Average score in each domain by time in care",
                          (Column("Domain"), *(Column(b.capitalize(), "average") for b in bands)), domain_rows)
    chart = _bars([b.capitalize() for b in bands],
                             [("Average total need", [_value(row[2]) for row in table.rows[:len(bands)]])],
                             "Average total need by time in care", id="time-in-care")
    focus = ("emotional_health", "attachments", "managing_emotions", "educational_progress", "independence")
    labels = {d.key: d.label for d in DOMAINS}
    index = {d.key: i for i, d in enumerate(DOMAINS)}
    domain_chart = _bars(
        [labels[k] for k in focus],
        [(b.capitalize(), [_value(domain_rows[index[k]][1 + i]) for k in focus]) for i, b in enumerate(bands)],
        "Average score in five domains by time in care", id="time-in-care-domains")
    return _section("time-in-care", "By time in care",
                   "Whether needs rise the longer children are in care, in total and domain by domain.",
                   (chart, domain_chart), (table, domains))


_ANSWERS = {True: "yes", False: "no", None: "unknown"}  # as stats.by_characteristic names them


def _characteristics(found: dict[tuple[str, str, str, bool], stats.Tally]) -> Section:
    # `found` is grouped by the three characteristics (yes, no or unknown) and whether in residential care; each
    # characteristic's groups are sums of those.
    table_rows = []
    cost_series: dict[str, list[float | None]] = {"Yes": [], "No": []}
    for i, (name, label) in enumerate(CHARACTERISTIC_LABELS.items()):
        groups = stats.roll_up(found, itemgetter(i), ("yes", "no"))
        in_residential = Counter()
        for key, tally in found.items():
            if key[-1]:
                in_residential[key[i]] += tally.children
        hidden = stats.hidden_cells({g: s.children for g, s in groups.items()})
        for answer, s in groups.items():
            children = s.children or 0
            if answer == "unknown" and not children:
                continue
            if answer in hidden:
                table_rows.append((label, answer.capitalize(), HIDDEN, HIDDEN, HIDDEN, HIDDEN))
            else:
                need = s.avg_total_need if (s.assessed or 0) >= stats.SMALL_NUMBER else (HIDDEN if s.assessed else None)
                resi = in_residential[answer]
                share = HIDDEN if _small(resi) or _small(children - resi) else stats.ratio(resi, children)
                table_rows.append((label, answer.capitalize(), children, need, s.avg_weekly_cost, share))
            if answer != "unknown":
                cost_series[answer.capitalize()].append(_value(table_rows[-1][4]))
    table = FigureTable(
        "characteristics", "Need and cost by disability, EHCP and exclusion from school",
        (Column("Characteristic"), Column("Answer"), Column("Children", "count"),
         Column("Average total need", "average"), Column("Average weekly cost", "money"),
         Column("Share in residential care", "share")), tuple(table_rows))
    chart = _bars(list(CHARACTERISTIC_LABELS.values()), list(cost_series.items()),
                             "Average weekly cost by characteristic", id="characteristics", value_format=_pounds)
    return _section("characteristics", "Disability, EHCP and exclusion",
                   "Children with a disability, an education, health and care plan (EHCP), or excluded from school, "
                   "against those without: their needs, costs and how often they live in residential care.",
                   (chart,), (table,))


def _characteristics_and_residential(key: CellKey) -> tuple[str, str, str, bool]:
    return (_ANSWERS[key[_DISABILITY]], _ANSWERS[key[_EHCP]], _ANSWERS[key[_EXCLUDED]],
            key[_GROUP] == "residential")


def _by_council(rows: Sequence[CohortRow], costs: stats.WeeklyCosts, names: dict[str, str]) -> Section:
    groups = stats.roll_up(_council_tallies(rows, costs), _same)
    table = _group_table("by-council", "Need and cost by council", "Council", groups, lambda c: names.get(c, c))
    chart = _bars([row[0] for row in table.rows],
                             [("Average weekly cost", [_value(row[3]) for row in table.rows])],
                             "Average weekly cost by council", id="by-council", value_format=_pounds)
    return _section("by-council", "By council", "Each council of the region side by side.", (chart,), (table,))


def _council_tallies(rows: Sequence[CohortRow], costs: stats.WeeklyCosts) -> dict[str, stats.Tally]:
    """Council -> the tally of its children, gathered as `_cells_and_scores` gathers the cells'."""
    found: dict[str, tuple[list[int | None], list[Any]]] = {}
    for r, amount in zip(rows, costs.amounts):
        try:
            needs, amounts = found[r.council_id]
        except KeyError:
            needs, amounts = found[r.council_id] = [], []
        needs.append(r.total_need)
        amounts.append(amount)
    return {council: stats.Tally.of_columns(needs, amounts, costs) for council, (needs, amounts) in found.items()}


# ---------------------------------------------------------------------------------------
# The pages


@bp.route("/insight")
@requires_role(*COUNCIL_ROLES)
@councils_only
def insight():
    sel, form = read_selection()
    return render_template("commissioning/insight.html", form=form, sel=sel, data=dashboard(sel), lists=LISTS)


@bp.route("/insight/<table>.csv")
@requires_role(*COUNCIL_ROLES)
@councils_only
def insight_csv(table: str):
    sel, form = read_selection()
    if form.errors:
        abort(400)
    found = dashboard(sel).tables.get(table)
    if found is None:
        abort(404)
    council = organisations.organisation(reads(), sel.own_council)
    scope = "region" if sel.scope.kind == REGION else (council.code if council else "council")
    filename = f"insight-{table}-{scope}-{sel.as_at.isoformat()}.csv".lower()
    return Response(found.csv_text(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# -- lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListRow:
    row: CohortRow
    reference: str | None
    provider: str
    extra: tuple[Any, ...] = ()


@dataclass(frozen=True)
class ChildList:
    key: str
    title: str
    summary: str
    rule: str
    extra_columns: tuple[Column, ...] = ()


LISTS: dict[str, ChildList] = {
    "step-down": ChildList(
        "step-down", "Residential care with no severe need",
        "Children who might be ready to step down to a family home.",
        "Children in residential care (K1, K2, R1, R2, R5, S1) whose latest needs assessment has no domain at 7 or "
        "more. Lowest total need first, then the costliest."),
    "breakdown-risk": ChildList(
        "breakdown-risk", "High need in a low-cost placement",
        "Children whose placement may not have the support their needs call for, and may be at risk of breaking "
        "down.",
        f"Children whose latest assessment totals {stats.BREAKDOWN_RISK_MIN_TOTAL} or more, in a placement whose "
        "weekly rate is under the average weekly cost of the council's fostering placements that night. Placements "
        "that cannot be priced are left out. Highest need first.",
        (Column("Average fostering cost", "money"),)),
    "spot-above-band": ChildList(
        "spot-above-band", "Spot placements far above the banded fee",
        "Placements priced one by one at far more than the council would pay for the child's band.",
        "Spot-priced placements whose agreed weekly rate is more than 50% above the council's own banded fee for the "
        "child's band (the band of their latest assessment under the council's banding policy in force) for the "
        "same placement type; where the council sets no fee for that type, its highest fee for the band among the "
        "types of the same placement group. Children with no assessment or no comparable fee are left out. The "
        "furthest above first.",
        (Column("Band"), Column("Banded fee", "money"), Column("Above the fee", "money"), Column("Times the fee", "average"))),
}


def child_link(child_id: str) -> str | None:
    """The child's page, for a user whose role may see it, when the portal has one."""
    view = current_app.view_functions.get(CHILD_PAGE)
    if view is None or current_user.role not in access_of(view)["roles"]:
        return None
    return url_for(CHILD_PAGE, child_id=child_id)


@bp.route("/insight/lists/<name>")
@requires_role(*COUNCIL_ROLES)
@councils_only
def insight_list(name: str):
    found = LISTS.get(name)
    if found is None:
        abort(404)
    sel, form = read_selection()
    own = own_selection(sel)
    rows = cohort_rows(sel, own)
    extra: list[tuple[CohortRow, tuple[Any, ...]]]
    if name == "step-down":
        extra = [(r, ()) for r in stats.step_down_candidates(rows)]
    elif name == "breakdown-risk":
        average = stats.fostering_average(rows)
        extra = [(r, (average,)) for r in stats.breakdown_risk(rows, below=average)]
    else:
        comparisons = stats.spot_far_above_band(rows, rules_in_force(sel, own))
        extra = [(c.row, (f"{c.band} ({c.compared_with})", c.banded_fee, c.above, c.multiple)) for c in comparisons]
    with reads().connect() as conn:
        references, providers = stats.list_names(conn, [r.child_id for r, _ in extra], [r.provider_id for r, _ in extra])
    listed = [ListRow(r, references.get(r.child_id), providers.get(r.provider_id, "Unknown provider"), more)
              for r, more in extra]
    return render_template("commissioning/insight_list.html", form=form, sel=sel, child_list=found, listed=listed,
                           child_link=child_link, place_label=place_label, group_label=PLACE_GROUP_LABELS)


def place_label(code: str) -> str:
    return f"{code}: {PLACE_CODES.get(code, code)}"

