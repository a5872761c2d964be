"""Verify the record: recompute the tamper-evident chain over every stored event and compare
it with the chain and its checkpoints (projections/chain.py), then show the result and the
checkpoint to quote. Verification reads the whole store, so it runs when asked (the
button), not on every visit; a successful check is recorded as a checkpoint."""

from __future__ import annotations

from flask import render_template
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField
from wtforms.validators import Optional, ValidationError

from portal.forms import Form
from portal.inspection import INSPECTOR, bp
from portal.views.common import ledger, reads, requires_role
from projections import chain


class VerifyForm(Form):
    checkpoint = StringField(
        "A published checkpoint to check against (optional)",
        description="As printed in an inspection pack: the position, a colon, then the 64-character link",
        validators=[Optional()], widget=GovTextInput())

    def validate_checkpoint(self, field: StringField) -> None:
        if field.data:
            try:
                chain.parse_checkpoint(field.data)
            except ValueError:
                raise ValidationError("Enter the checkpoint as printed, like 1200:9f86d081… (64 characters after "
                                      "the colon)") from None


@bp.route("/verify", methods=["GET", "POST"])
@requires_role(INSPECTOR)
def verify():
    form = VerifyForm()
    result = None
    if form.validate_on_submit():
        given = [chain.parse_checkpoint(form.checkpoint.data)] if form.checkpoint.data else []
        store = ledger()
        result = chain.verify(store.engine, chain.events_table(store.app.recorder), given=given)
        if result.ok:
            chain.record_checkpoint(store.engine, "verified on the inspection verify page")
    return render_template("inspection/verify.html", form=form, result=result,
                           head=chain.head(reads()), latest=chain.latest_checkpoint(reads()))
