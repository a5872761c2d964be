"""The children placed with the provider, never named (a placement reference, age,
placement type, dates, band and weekly rate), each with their needs while placed here and
how those needs have changed since the start; and what approved payment runs paid, run by
run and line by line, with the remittance to download."""

from __future__ import annotations

from uuid import UUID

from flask import abort, render_template, request, url_for
from flask_login import current_user

from domain.needs import CURRENT_FRAMEWORK
from domain.payment_runs import APPROVED
from portal import charts
from portal.providers import bp, remittances
from portal.providers.display import provider_id, today
from portal.providers.inbox import pagination
from portal.views.common import org_scoped, reads, requires_role
from projections import provider_views, schedules
from projections.provider_views import (
    CURRENT, ENDED, ProviderPlacementDetail, placement_for_provider, placements_for_provider,
)

PAGE_SIZE = 25
FILTERS = {CURRENT: "Current", ENDED: "Ended"}


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def placements_url(which: str | None, page: int = 1) -> str:
    args: dict[str, object] = {}
    if which:
        args["show"] = which
    if page > 1:
        args["page"] = page
    return url_for("providers.placements", **args)


@bp.route("/placements")
@requires_role("provider", "admin")
def placements():
    which = request.args.get("show")
    which = which if which in FILTERS else CURRENT
    page = _page_number(request.args.get("page"))
    found = placements_for_provider(reads(), provider_id(), today(), which, page, PAGE_SIZE)
    if not found.placements and page > found.pages:
        found = placements_for_provider(reads(), provider_id(), today(), which, found.pages, PAGE_SIZE)
    with reads().connect() as conn:
        payments = schedules.payments_for_provider(conn, str(provider_id()))
    tabs = [{"value": key, "label": label, "count": found.counts[key], "href": placements_url(key)}
            for key, label in FILTERS.items()]
    return render_template("providers/placements.html", found=found, which=which, tabs=tabs, today=today(),
                           payments=payments[:3], more_payments=len(payments) > 3,
                           pagination=pagination(found.page, found.pages, lambda n: placements_url(which, n)))


def trajectory(placement: ProviderPlacementDetail) -> charts.Chart:
    """The child's total needs from the start of the placement (the assessment in force
    then) to the latest while placed here, with a small chart for each domain."""
    ours = current_user.org_name
    points = [(p.effective_date, p.total,
               "At the start of the placement" if p.baseline and p.effective_date <= placement.start_date else ours)
              for p in placement.trajectory]
    per_domain = {key: [(p.effective_date, p.scores.get(key, 0)) for p in placement.trajectory]
                  for key in CURRENT_FRAMEWORK.keys}
    return charts.trajectory_chart(points, per_domain, title=f"Needs while placed: {placement.reference}",
                                   id="needs-trajectory",
                                   domain_labels={d.key: d.label for d in CURRENT_FRAMEWORK.domains})


@bp.route("/placements/<uuid:placement_id>")
@requires_role("provider", "admin")
@org_scoped(placement_id="provider_placement")
def placements_show(placement_id: UUID):
    placement = placement_for_provider(reads(), provider_id(), placement_id, today())
    if placement is None:
        abort(404)
    with reads().connect() as conn:
        paid = [p for p in schedules.placement_schedule(conn, str(placement_id)) if p.run_state == APPROVED]
    return render_template("providers/placement.html", placement=placement,
                           chart=trajectory(placement) if placement.trajectory else None, paid=paid)


@bp.route("/payments")
@requires_role("provider", "admin")
def placements_payments():
    with reads().connect() as conn:
        payments = schedules.payments_for_provider(conn, str(provider_id()))
    return render_template("providers/payments.html", payments=payments)


@bp.route("/payments/<uuid:run_id>")
@requires_role("provider", "admin")
@org_scoped(run_id="provider_payment_run")
def placements_payment_run(run_id: UUID):
    with reads().connect() as conn:
        paid = schedules.payments_for_provider(conn, str(provider_id()))
        payment = next((p for p in paid if p.run_id == str(run_id)), None)
        lines = schedules.run_lines(conn, str(run_id), str(provider_id()))
    if payment is None:
        abort(404)
    return render_template("providers/payment_run.html", payment=payment, lines=lines,
                           reference=provider_views.placement_reference)


@bp.route("/payments/<uuid:run_id>/remittance.pdf")
@requires_role("provider", "admin")
@org_scoped(run_id="provider_payment_run")
def placements_remittance(run_id: UUID):
    return remittances.download(run_id, provider_id())
