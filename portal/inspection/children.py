"""Children's records for an inspection: the councils an inspector may see today, each
council's children, and a child's whole audit trail: every event with who, organisation,
when recorded and when effective; assessments domain by domain before and after; late
records flagged; needs over time coloured by provider; payments; and the record as it stood
on a chosen date beside how it stands now. The same child page serves the council's own
commissioners and admins. The inspection pack is the same record as a PDF."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from flask import abort, current_app, render_template, request, url_for
from flask_login import current_user

from domain import clock
from domain.codes import DECLINE_REASONS, REASONS_EPISODE_CEASED, REASONS_PLACE_CHANGE
from domain.needs import DOMAIN_KEYS, DOMAINS
from portal.charts import needs_profile_chart, trajectory_chart
from portal.documents import pdf_response, render_pdf
from portal.inspection import COUNCIL_READERS, INSPECTOR, bp, open_under_grant
from portal.inspection.forms import AsKnownOnForm
from portal.views.common import org_scoped, reads, requires_role
from projections import chain, grants, organisations
from projections.inspection import ChildRecord, child_council, child_record, children_of_council


@bp.route("/children")
@requires_role(INSPECTOR)
def children():
    in_force = grants.grants_for_inspector(reads(), current_user.id, clock.today())
    return render_template("inspection/children.html", grants=[g for g in in_force if g.org_kind == "council"],
                           provider_grants=[g for g in in_force if g.org_kind == "provider"])


@bp.route("/councils/<uuid:council_id>/children")
@requires_role(INSPECTOR)
@org_scoped(council_id="inspected_council")
def children_council(council_id: UUID):
    grant = open_under_grant(council_id, "children", "council", council_id)
    return render_template("inspection/council_children.html", grant=grant,
                           council=organisations.organisation(reads(), council_id),
                           children=children_of_council(reads(), council_id))


@bp.route("/children/<uuid:child_id>")
@requires_role(INSPECTOR, *COUNCIL_READERS)
@org_scoped(child_id="inspected_child")
def children_show(child_id: UUID):
    grant = open_under_grant(child_council(reads(), child_id), "child_trail", "child", child_id)
    form = AsKnownOnForm.from_args(request.args)
    known_on = form.as_known_on.data if form.submitted and form.validate() else None
    record = child_record(reads(), child_id, known_on)
    if record is None:
        abort(404)
    return render_template("inspection/child.html", record=record, grant=grant, form=form if form.submitted else None,
                           known_form=form, charts=child_charts(record), facts=facts_of(record),
                           back=_back_link(record))


@bp.route("/children/<uuid:child_id>/pack.pdf")
@requires_role(INSPECTOR, *COUNCIL_READERS)
@org_scoped(child_id="inspected_child")
def children_pack(child_id: UUID):
    grant = open_under_grant(child_council(reads(), child_id), "child_pack", "child", child_id)
    known_on = _iso_date(request.args.get("known_on"))
    record = child_record(reads(), child_id, known_on)
    if record is None:
        abort(404)
    checkpoint = chain.record_checkpoint(reads(), "inspection pack (a child's record)")
    pdf = render_pdf("documents/inspection_child.html", title=f"Inspection pack: child {record.reference}",
                     footer=f"{record.council_name}: child {record.reference}. Made {_long(clock.today())} "
                            f"against checkpoint {checkpoint.position if checkpoint else 'none'}",
                     author=current_user.org_name, subject="A child's record: needs, placements and payments",
                     record=record, grant=grant, checkpoint=checkpoint,
                     charts=child_charts(record, small_multiples=False), facts=facts_of(record), made_at=clock.now(),
                     domains=_labels(), recent=record.trajectory[-PACK_ASSESSMENT_COLUMNS:])
    return pdf_response(pdf, f"inspection-pack-child-{record.reference}.pdf")


PACK_ASSESSMENT_COLUMNS = 8  # the most recent assessments tabled domain by domain in a pack (A4 width)


# -- what the pages draw ----------------------------------------------------------------------


def _back_link(record: ChildRecord) -> tuple[str, str]:
    if current_user.role == INSPECTOR:
        return url_for("inspection.children_council", council_id=record.council_id), "Children"
    if "commissioning.children" in current_app.view_functions:
        return url_for("commissioning.children"), "Children"
    return url_for("main.home"), "Home"


def facts_of(record: ChildRecord) -> dict[int, list[str]]:
    return {e.position: [f for f in event_facts(e, record) if f] for e in record.events}


def _labels() -> list[tuple[str, str]]:
    return [(d.key, d.label) for d in DOMAINS]


def child_charts(record: ChildRecord, small_multiples: bool = True) -> dict[str, object]:
    """Needs over time (each line coloured by the provider caring for the child then, with a
    small chart a domain unless `small_multiples` is off: the pack tables the domains instead)
    and the latest assessment against the one before."""
    points = [(p.effective_date, p.total, record.provider_name(p.provider_id) if p.provider_id else None)
              for p in record.trajectory]
    per_domain = {key: [(p.effective_date, p.scores[key]) for p in record.trajectory if key in p.scores]
                  for key in DOMAIN_KEYS}
    charts: dict[str, object] = {
        "trajectory": trajectory_chart(points, per_domain if record.trajectory and small_multiples else None,
                                       title=f"Needs over time: child {record.reference}",
                                       domain_labels=dict(_labels()), id="trajectory"),
    }
    if record.trajectory:
        latest = record.trajectory[-1]
        previous = record.trajectory[-2].scores if len(record.trajectory) > 1 else None
        charts["profile"] = needs_profile_chart(
            _labels(), latest.scores, previous, title=f"Needs profile on {_long(latest.effective_date)}",
            id="profile", current_label="Latest assessment", previous_label="The one before")
    return charts


def _iso_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        found = date.fromisoformat(value)
    except ValueError:
        abort(400)
    return min(found, clock.today())


def _long(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def money(amount: Decimal | None) -> str:
    return "" if amount is None else f"£{amount:,.2f}" if amount >= 0 else f"−£{-amount:,.2f}"


@bp.app_template_filter("inspection_money")
def _money_filter(amount: Decimal | None) -> str:
    return money(amount)


@bp.app_template_filter("inspection_date")
def _date_filter(value: date | None) -> str:
    return "" if value is None else _long(value)


@bp.app_template_filter("inspection_time")
def _time_filter(value) -> str:
    return "" if value is None else f"{value.day} {value:%B %Y} at {value:%H:%M}"


@bp.app_template_filter("inspection_signed")
def _signed_filter(value) -> str:
    if value is None:
        return ""
    return "0" if value == 0 else (f"+{value}" if value > 0 else f"−{-value}")


# -- each event's facts, in words (the page's and the pack's event tables) --------------------


def event_facts(event, record: ChildRecord) -> list[str]:
    """The few facts that say what an event was, from its summary: in words, never ids."""
    s = event.summary
    kind = event.event_type

    def provider(key: str = "provider_id") -> str:
        return record.providers.get(_uuid(s.get(key)), "a provider")

    def day(key: str) -> str:
        value = s.get(key)
        return _long(date.fromisoformat(value[:10])) if value else ""

    if s.get("erased") or kind == "Child.Erased":
        return [f"Reason: {s['reason']}"] if kind == "Child.Erased" else ["Personal details erased"]
    if kind == "Child.Registered":
        return [f"Reference {s.get('reference', '')}", f"Born {day('date_of_birth')}"]
    if kind == "Child.NeedsAssessed":
        facts = [f"Total need {s.get('total')}: {s.get('severe_count', 0)} severe, "
                 f"{s.get('action_needed_count', 0)} needing action"]
        if s.get("assessor"):
            facts.append(f"Assessor: {s['assessor']}")
        if s.get("contributors"):
            facts.append("With: " + ", ".join(c.replace("_", " ") for c in s["contributors"]))
        return facts
    if kind == "Child.AssessmentCorrected":
        return [f"Total {s.get('total_before')} to {s.get('total_after')}", f"Reason: {s.get('reason', '')}"]
    if kind == "Placement.Started":
        rate = f" at {money(Decimal(s['weekly_rate']))} a week" if s.get("weekly_rate") else ""
        return [f"{provider()}, placement type {s.get('place_code', '')}",
                f"{(s.get('pricing') or '').capitalize()}{rate}"]
    if kind == "Placement.FeeVaried":
        return [f"{money(Decimal(s['weekly_rate']))} a week from {day('effective_from')}", s.get("reason") or ""]
    if kind == "Placement.Ended":
        facts = [f"Reason: {REASONS_EPISODE_CEASED.get(s.get('reason', ''), s.get('reason', ''))}"]
        if s.get("reason_place_change"):
            facts.append(REASONS_PLACE_CHANGE.get(s["reason_place_change"], s["reason_place_change"]))
        return facts
    if kind == "Referral.Raised":
        return [f"Total need {s.get('total')}, band {s.get('band') or 'none'}",
                f"Types sought: {', '.join(s.get('place_codes', []))}; needed by {day('needed_by')}"]
    if kind == "Referral.Released":
        names = sorted(record.providers.get(_uuid(p), "a provider") for p in s.get("provider_ids", []))
        return [f"To {', '.join(names)}", f"Offers close {day('offers_close_at')}"]
    if kind == "Referral.Declined":
        return [provider(), f"Reason: {DECLINE_REASONS.get(s.get('reason', ''), s.get('reason', ''))}"]
    if kind in ("Referral.OfferMade", "Referral.OfferAmended"):
        return [provider(), f"{money(Decimal(s['weekly_price']))} a week from {day('start_date')}"]
    if kind in ("Referral.Viewed", "Referral.Awarded"):
        return [provider()]
    if kind in ("Referral.OfferWithdrawn", "Referral.Withdrawn", "Referral.Closed"):
        return [x for x in ([provider()] if s.get("provider_id") else []) + [f"Reason: {s.get('reason', '')}"]]
    if kind in ("Child.PlacementBegan", "Child.PlacementFinished"):
        return []
    return []


def _uuid(value) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None

