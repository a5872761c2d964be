"""Awarding a referral: one offer accepted, paid at the banded fee for the child's band or
at the offered price (spot), with feedback for each provider whose offer is not chosen;
then the confirmation. The award starts the placement (and ends any the child is in that
day, as a move): the domain's `award_referral` does all of it in one save."""

from __future__ import annotations

from uuid import UUID

from flask import abort, flash, redirect, render_template, request, url_for
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovTextArea
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from portal.commissioning import bp
from portal.commissioning.referrals import (
    COUNCIL_ROLES, STATE_LABELS, child_page, council_id, councils_only, difference, money, place_type,
)
from portal.forms import Form
from portal.views.common import actor, command, org_scoped, reads, requires_role
from projections import cohort
from projections.board import BoardOffer, ReferralBoard, referral_board


class AwardForm(Form):
    pricing = RadioField("How will the placement be paid?", widget=GovRadioInput(),
                         validators=[InputRequired("Select how the placement will be paid")])

    # One feedback box for each other open offer's provider, added by `award_form`.
    feedback_for: dict[str, UUID] = {}

    def feedback(self) -> dict[str, str]:
        """Feedback keyed by provider id as text, as the domain takes it."""
        return {str(provider): self[name].data.strip() for name, provider in self.feedback_for.items()
                if self[name].data and self[name].data.strip()}


def award_form(chosen: BoardOffer, others: list[BoardOffer]) -> AwardForm:
    """The form for awarding `chosen`: its pricing choices and a feedback box for each
    provider whose open offer will be unsuccessful."""

    class Form_(AwardForm):
        feedback_for = {}

    for n, offer in enumerate(others, 1):
        name = f"feedback_{n}"
        setattr(Form_, name, TextAreaField(
            f"Feedback for {offer.provider_name or 'the provider'}",
            description=f"Why their offer ({money(offer.weekly_price)} a week at {offer.home_name or 'their home'}) "
                        "was not chosen. They see this with the outcome.",
            validators=[Length(max=2000, message="Feedback must be 2,000 characters or fewer")],
            widget=GovTextArea()))
        Form_.feedback_for[name] = offer.provider_id
    form = Form_()
    banded = (f"At the banded fee: {money(chosen.banded_fee)} a week now for band {chosen.band}, following the "
              "child's band and the fee schedule as they change") if chosen.banded_fee is not None else (
        "At the banded fee: no fee is in force for this placement type and the child's band yet, so nothing is "
        "paid until one is set")
    form.pricing.choices = [SelectChoice("banded", banded),
                            SelectChoice("spot", f"At the price offered (spot): {money(chosen.weekly_price)} a week, "
                                                 "until the fee is varied")]
    return form


def _offer(board: ReferralBoard, offer_id: str | None) -> BoardOffer:
    """The open offer named in the address: one of this referral's, or the page is not found."""
    for offer in board.offers:
        if str(offer.offer_id) == (offer_id or "") and offer.state == "live":
            return offer
    abort(404)


@bp.route("/referrals/<uuid:referral_id>/award", methods=["GET", "POST"])
@requires_role(*COUNCIL_ROLES)
@org_scoped(referral_id="referral")
@councils_only
def referrals_award(referral_id: UUID):
    board = referral_board(reads(), council_id(), referral_id)
    if board is None:
        abort(404)
    if board.state != "released":
        flash(f"This referral is {STATE_LABELS[board.state].lower()}: there is no offer to award.", "error")
        return redirect(url_for("commissioning.referrals_show", referral_id=referral_id))
    # The offer is checked against this referral's own offers (the referral is scoped above).
    chosen = _offer(board, request.args.get("offer"))
    others = [o for o in board.offers if o.state == "live" and o.offer_id != chosen.offer_id]
    form = award_form(chosen, others)
    if form.validate_on_submit():
        with command(form) as app:
            app.award_referral(referral_id, chosen.offer_id, form.pricing.data, form.feedback(), actor())
        if form.accepted:
            return redirect(url_for("commissioning.referrals_awarded", referral_id=referral_id))
    return render_template("commissioning/referral_award.html", form=form, board=board, offer=chosen, others=others,
                           feedback_fields=[form[name] for name in form.feedback_for], place_type=place_type,
                           difference=difference)


@bp.route("/referrals/<uuid:referral_id>/awarded")
@requires_role(*COUNCIL_ROLES)
@org_scoped(referral_id="referral")
@councils_only
def referrals_awarded(referral_id: UUID):
    board = referral_board(reads(), council_id(), referral_id)
    if board is None:
        abort(404)
    if board.state != "awarded":
        return redirect(url_for("commissioning.referrals_show", referral_id=referral_id))
    accepted = next(o for o in board.offers if o.offer_id == board.awarded_offer_id)
    unsuccessful = [o for o in board.offers if o.state == "unsuccessful"]
    placement = next((p for p in cohort.child_placements(reads(), board.child_id)
                      if p.placement_id == str(board.placement_id)), None)
    return render_template("commissioning/referral_awarded.html", board=board, offer=accepted, placement=placement,
                           unsuccessful=unsuccessful, child_href=child_page(board.child_id), place_type=place_type)

