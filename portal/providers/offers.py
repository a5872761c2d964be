"""Answering a referral: making an offer (a home offering a placement type sought, a weekly
price, a start date and how each need at moderate or above will be met), amending it,
withdrawing it, or declining the referral with a reason from the fixed list. Once the
offer window has closed, or the referral has ended, the pages say so and show no form."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import flash, redirect, render_template, url_for

from portal.providers import bp
from portal.providers.display import date_and_time, provider_id, today
from portal.providers.forms import DeclineForm, WithdrawOfferForm, home_choices, offer_form
from portal.providers.inbox import Answering, referral_or_404
from portal.views.common import actor, command, org_scoped, reads, requires_role
from projections.inbox import InboxDetail
from projections.provider_views import homes_for_provider


def _needs(item: InboxDetail) -> list[tuple[str, int]]:
    return [(n.key, n.score) for n in item.needs]


def _back(referral_id: UUID) -> Any:
    return redirect(url_for("providers.inbox_referral", referral_id=referral_id))


def why_not(item: InboxDetail, answering: Answering, doing: str) -> str:
    """Why this provider cannot do `doing` ("make an offer") on the referral now."""
    if item.status in ("awarded", "unsuccessful", "withdrawn", "closed"):
        return f"This referral is {item.status_label.lower()}, so you cannot {doing}."
    if answering.window_closed:
        return f"The offer window closed on {date_and_time(item.offers_close_at)}, so you cannot {doing}."
    if item.status == "declined":
        return f"You have declined this referral, so you cannot {doing}."
    if item.status == "offered":
        if doing == "decline it":
            return "You have made an offer on this referral. Withdraw it before declining."
        return f"You have already made an offer on this referral, so you cannot {doing}. You can amend or withdraw it."
    return f"You have not made an offer on this referral, so you cannot {doing}."


@bp.route("/inbox/<uuid:referral_id>/offer", methods=["GET", "POST"])
@requires_role("provider", "admin")
@org_scoped(referral_id="inbox_referral")
def inbox_offer(referral_id: UUID):
    item = referral_or_404(referral_id)
    answering = Answering.of(item)
    homes = homes_for_provider(reads(), provider_id(), today(), place_codes=item.place_codes)
    if not answering.can_offer or not homes:
        reason = why_not(item, answering, "make an offer") if not answering.can_offer else None
        return render_template("providers/offer.html", item=item, form=None, reason=reason, homes=homes, amend=False)
    form = offer_form(_needs(item))
    form.home_id.choices = home_choices(homes)
    if form.validate_on_submit():
        with command(form) as app:
            app.make_offer(referral_id, provider_id(), UUID(form.home_id.data), form.weekly_price.data,
                           form.start_date.data, form.how_needs_met(), actor(), note=(form.note.data or "").strip())
        if form.accepted:
            flash(f"Your offer has been sent to {item.council_name}.", "success")
            return _back(referral_id)
    return render_template("providers/offer.html", item=item, form=form, reason=None, homes=homes, amend=False)


@bp.route("/inbox/<uuid:referral_id>/offer/amend", methods=["GET", "POST"])
@requires_role("provider", "admin")
@org_scoped(referral_id="inbox_referral")
def inbox_offer_amend(referral_id: UUID):
    item = referral_or_404(referral_id)
    answering = Answering.of(item)
    if not answering.can_amend:
        return render_template("providers/offer.html", item=item, form=None, amend=True, homes=[],
                               reason=why_not(item, answering, "amend an offer"))
    offer = item.offer
    form = offer_form(_needs(item), amend=True, data={
        "weekly_price": f"{offer.weekly_price:.2f}", "start_date": offer.start_date,
        **{f"need_{key}": text for key, text in offer.how_needs_met.items()}})
    if form.validate_on_submit():
        with command(form) as app:
            app.amend_offer(referral_id, provider_id(), offer.offer_id, form.weekly_price.data, form.start_date.data,
                            form.how_needs_met(), actor())
        if form.accepted:
            flash("Your offer has been amended.", "success")
            return _back(referral_id)
    return render_template("providers/offer.html", item=item, form=form, reason=None, homes=[], amend=True)


@bp.route("/inbox/<uuid:referral_id>/offer/withdraw", methods=["GET", "POST"])
@requires_role("provider", "admin")
@org_scoped(referral_id="inbox_referral")
def inbox_offer_withdraw(referral_id: UUID):
    item = referral_or_404(referral_id)
    answering = Answering.of(item)
    if not answering.can_withdraw:
        return render_template("providers/withdraw.html", item=item, form=None,
                               reason=why_not(item, answering, "withdraw an offer"))
    form = WithdrawOfferForm()
    if form.validate_on_submit():
        with command(form) as app:
            app.withdraw_offer(referral_id, provider_id(), item.offer.offer_id, (form.reason.data or "").strip(),
                               actor())
        if form.accepted:
            flash("Your offer has been withdrawn.", "success")
            return _back(referral_id)
    return render_template("providers/withdraw.html", item=item, form=form, reason=None)


@bp.route("/inbox/<uuid:referral_id>/decline", methods=["GET", "POST"])
@requires_role("provider", "admin")
@org_scoped(referral_id="inbox_referral")
def inbox_decline(referral_id: UUID):
    item = referral_or_404(referral_id)
    answering = Answering.of(item)
    if not answering.can_decline:
        return render_template("providers/decline.html", item=item, form=None,
                               reason=why_not(item, answering, "decline it"))
    form = DeclineForm()
    if form.validate_on_submit():
        with command(form) as app:
            app.decline_referral(referral_id, provider_id(), form.reason.data, (form.note.data or "").strip(), actor())
        if form.accepted:
            flash("You have declined this referral. The council has been told why.", "success")
            return _back(referral_id)
    return render_template("providers/decline.html", item=item, form=form, reason=None)
