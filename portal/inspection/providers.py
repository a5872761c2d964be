"""Provider outcomes for an inspection: the providers an inspector may see today, and for
one provider over a window: the children in its care, the needs change under each placement
and per six months, its distribution, the domains that improved or worsened, placements
that ended and why (SSDA903 reasons), and how it answered referrals. Averages over fewer
than five children are hidden. The inspection pack is the same review as a PDF."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from flask import abort, render_template, request
from flask_login import current_user

from domain import clock
from portal.charts import bar_chart
from portal.documents import pdf_response, render_pdf
from portal.inspection import INSPECTOR, bp, open_under_grant
from portal.inspection.forms import WindowForm
from portal.views.common import org_scoped, reads, requires_role
from projections import chain, grants
from projections.inspection import ProviderReview, provider_review


@bp.route("/providers")
@requires_role(INSPECTOR)
def providers():
    in_force = grants.grants_for_inspector(reads(), current_user.id, clock.today())
    return render_template("inspection/providers.html", grants=[g for g in in_force if g.org_kind == "provider"])


@bp.route("/providers/<uuid:provider_id>")
@requires_role(INSPECTOR)
@org_scoped(provider_id="inspected_provider")
def providers_show(provider_id: UUID):
    grant = open_under_grant(provider_id, "provider", "provider", provider_id)
    form = WindowForm.from_args(request.args)
    valid = form.validate() if form.submitted else True
    starts, ends = form.window() if valid else WindowForm.default_window()
    review = provider_review(reads(), provider_id, starts, ends)
    if review is None:
        abort(404)
    return render_template("inspection/provider.html", review=review, grant=grant,
                           form=form if form.submitted else None, window_form=form, charts=provider_charts(review),
                           last_day=ends - timedelta(days=1))


@bp.route("/providers/<uuid:provider_id>/pack.pdf")
@requires_role(INSPECTOR)
@org_scoped(provider_id="inspected_provider")
def providers_pack(provider_id: UUID):
    grant = open_under_grant(provider_id, "provider_pack", "provider", provider_id)
    default_starts, default_ends = WindowForm.default_window()
    starts = _iso_date(request.args.get("from")) or default_starts
    ends = _iso_date(request.args.get("until")) or default_ends
    review = provider_review(reads(), provider_id, starts, max(ends, starts + timedelta(days=1)))
    if review is None:
        abort(404)
    checkpoint = chain.record_checkpoint(reads(), "inspection pack (a provider's outcomes)")
    made = clock.today()
    pdf = render_pdf("documents/inspection_provider.html", title=f"Inspection pack: {review.name}",
                     footer=f"{review.name} ({review.code}): outcomes {starts.isoformat()} to "
                            f"{(review.ends - timedelta(days=1)).isoformat()}. Made {made.isoformat()} against "
                            f"checkpoint {checkpoint.position if checkpoint else 'none'}",
                     author=current_user.org_name, subject="A provider's outcomes: needs change, endings, referrals",
                     review=review, grant=grant, checkpoint=checkpoint, charts=provider_charts(review),
                     last_day=review.ends - timedelta(days=1), made_at=clock.now())
    return pdf_response(pdf, f"inspection-pack-provider-{review.code}-{made.isoformat()}.pdf")


def provider_charts(review: ProviderReview) -> dict[str, object]:
    """The distribution of needs change per six months (counts of placements: no averages)."""
    if not review.counted:
        return {}
    return {"distribution": bar_chart(
        [b.label for b in review.distribution], [("Placements", [b.placements for b in review.distribution])],
        title=f"Needs change per six months: {review.name}", id="distribution")}


def _iso_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(400)
