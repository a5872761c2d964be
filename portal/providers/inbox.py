"""The referral inbox: the referrals released to this provider, filtered by status (tabs
with counts), sorted and paged; and one referral, opened, with the child's pseudonymised
needs profile, the guide fee, the offer window and this provider's own answer. Opening a
referral records the provider's first view (the domain keeps only the first)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from flask import abort, render_template, request, url_for

from portal import charts
from portal.providers import bp
from portal.providers.display import now, provider_id, today
from portal.views.common import actor, command, org_scoped, reads, requires_role
from projections import inbox as inbox_view
from projections.inbox import InboxDetail, inbox_for, referral_for_provider, status_counts
from projections.provider_views import guide_fees

PAGE_SIZE = 20

SORT_LABELS = {
    "closing": "Offers closing soonest",
    "needed_by": "Needed soonest",
    "newest": "Newest first",
    "need": "Highest need first",
}
# Tabs always shown (with their counts, zeros too); the others appear when they hold something.
ALWAYS_SHOWN = inbox_view.OPEN_STATUSES


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def inbox_url(status: str | None, sort: str, page: int = 1) -> str:
    """The inbox's address with only the choices that differ from the defaults."""
    args: dict[str, Any] = {}
    if status:
        args["status"] = status
    if sort != inbox_view.DEFAULT_SORT:
        args["sort"] = sort
    if page > 1:
        args["page"] = page
    return url_for("providers.inbox", **args)


def pagination(page: int, pages: int, link: Any) -> dict[str, Any] | None:
    """The GOV.UK pagination component's parameters: previous, numbered pages (the first,
    the last and those either side of this one, with ellipses between), next."""
    if pages <= 1:
        return None
    shown = sorted({1, pages, page - 1, page, page + 1} & set(range(1, pages + 1)))
    items: list[dict[str, Any]] = []
    for n in shown:
        if items and n - items[-1].get("number", n) > 1:
            items.append({"ellipsis": True})
        items.append({"number": n, "href": link(n), "current": n == page})
    params: dict[str, Any] = {"items": items, "landmarkLabel": "Pages of results"}
    if page > 1:
        params["previous"] = {"href": link(page - 1)}
    if page < pages:
        params["next"] = {"href": link(page + 1)}
    return params


@bp.route("/inbox")
@requires_role("provider", "admin")
def inbox():
    status = request.args.get("status")
    status = status if status in inbox_view.STATUSES else None
    sort = request.args.get("sort")
    sort = sort if sort in inbox_view.SORTS else inbox_view.DEFAULT_SORT
    page = _page_number(request.args.get("page"))
    with reads().connect() as conn:
        counts = status_counts(conn, provider_id())
        found = inbox_for(conn, provider_id(), status=status, sort=sort, page=page, page_size=PAGE_SIZE)
        if found.items == [] and page > found.pages:  # past the end (the inbox shrank): the last page
            page = found.pages
            found = inbox_for(conn, provider_id(), status=status, sort=sort, page=page, page_size=PAGE_SIZE)
    tabs = [{"status": None, "label": "All", "count": sum(counts.values()), "href": inbox_url(None, sort)}]
    tabs += [{"status": s, "label": label, "count": counts[s], "href": inbox_url(s, sort)}
             for s, label in inbox_view.STATUSES.items() if s in ALWAYS_SHOWN or counts[s] or s == status]
    return render_template(
        "providers/inbox.html", page=found, status=status, status_label=inbox_view.STATUSES.get(status or ""),
        sort_items=[{"value": key, "text": label, "selected": key == sort} for key, label in SORT_LABELS.items()],
        tabs=tabs,
        pagination=pagination(found.page, found.pages, lambda n: inbox_url(status, sort, n)),
    )


@dataclass(frozen=True)
class Answering:
    """What this provider can still do with the referral, from where it stands for them."""

    window_closed: bool
    can_offer: bool
    can_amend: bool
    can_withdraw: bool
    can_decline: bool

    @classmethod
    def of(cls, item: InboxDetail) -> Answering:
        closed = item.offers_close_at is not None and now() > item.offers_close_at
        pending = item.status in (inbox_view.NEW, inbox_view.VIEWED)
        offered = item.status == inbox_view.OFFERED
        return cls(window_closed=closed, can_offer=pending and not closed, can_amend=offered and not closed,
                   can_withdraw=offered, can_decline=pending and not closed)

    @property
    def open(self) -> bool:
        return self.can_offer or self.can_amend or self.can_withdraw or self.can_decline


def referral_or_404(referral_id: UUID) -> InboxDetail:
    item = referral_for_provider(reads(), provider_id(), referral_id)
    if item is None:
        abort(404)
    return item


def needs_chart(item: InboxDetail) -> charts.Chart:
    return charts.needs_profile_chart([(n.key, n.label) for n in item.needs], {n.key: n.score for n in item.needs},
                                      title="The child's needs profile", id="needs-profile",
                                      current_label="Needs when referred")


@bp.route("/inbox/<uuid:referral_id>")
@requires_role("provider", "admin")
@org_scoped(referral_id="inbox_referral")
def inbox_referral(referral_id: UUID):
    item = referral_or_404(referral_id)
    if item.viewed_at is None:
        # A read that records: the domain keeps only a provider's first view, so opening the
        # referral again records nothing more.
        with command() as app:
            app.record_referral_view(referral_id, provider_id(), actor())
        item = referral_or_404(referral_id)
    night = max(item.needed_by, today())
    fees = guide_fees(reads(), item.council_id, provider_id(), {n.key: n.score for n in item.needs},
                      item.framework_version, item.place_codes, night)
    return render_template("providers/referral.html", item=item, answering=Answering.of(item), fees=fees,
                           fee_night=night, chart=needs_chart(item))
