"""Inspection access, for admins. The inspectorate's admin grants an inspector access to one
council's or one provider's records for a window of days, and revokes it. A council's or a
provider's admin sees who may see its records and every page an inspector opened: who,
what, when."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovTextArea, GovTextInput
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from domain import clock
from portal.admin import bp
from portal.forms import Form
from portal.inspection.forms import Day
from portal.views.common import actor, command, org_scoped, reads, register_scope, requires_role
from projections import grants, organisations, users

register_scope("grant", grants.grant_owner)

INSPECTORATE = organisations.INSPECTORATE


def _is_inspectorate() -> bool:
    return current_user.org_kind == INSPECTORATE


class GrantForm(Form):
    inspector = SelectField("Inspector", validators=[InputRequired("Choose the inspector")], widget=GovSelect())
    org = SelectField("Council or provider", validators=[InputRequired("Choose the council or provider to inspect")],
                      widget=GovSelect())
    starts = Day("First day of access", description="For example, 3 3 2025",
                 validators=[InputRequired("Enter the first day of access")],
                 invalid="The first day of access must be a real date, like 3 3 2025")
    last_day = Day("Last day of access", description="Access ends at the end of this day. For example, 14 3 2025",
                   validators=[InputRequired("Enter the last day of access")],
                   invalid="The last day of access must be a real date, like 14 3 2025")
    purpose = StringField("Inspection", description="For example, ILACS inspection, March 2025",
                          validators=[InputRequired("Say what the inspection is"),
                                      Length(max=200, message="Use 200 characters or fewer")],
                          widget=GovTextInput())
    # The domain names the window's end `ends` (exclusive); this form asks for the last day.
    domain_fields = {"ends": "last_day", "org_kind": "org"}

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)
        inspectors = [u for u in users.users_in(reads(), organisations.INSPECTORATE_ID)
                      if u.role == "inspector" and not u.disabled]
        self.inspector.choices = [("", "Choose an inspector")] + [(str(u.user_id), u.email) for u in inspectors]
        self.org.choices = [("", "Choose a council or provider")] + [
            (str(o.org_id), f"{o.name} ({'council' if o.kind == organisations.COUNCIL else 'provider'})")
            for o in sorted(organisations.organisations(reads()), key=lambda o: (o.kind, o.name))]


class RevokeForm(Form):
    reason = TextAreaField("Why are you ending this access early?",
                           validators=[InputRequired("Say why you are ending this access"),
                                       Length(max=500, message="Use 500 characters or fewer")],
                           widget=GovTextArea())


@bp.route("/inspection-access")
@requires_role("admin")
def grants_list():
    if _is_inspectorate():
        return render_template("admin/grants_inspectorate.html", grants=grants.all_grants(reads()), today=clock.today())
    return render_template("admin/grants.html", grants=grants.grants_for_org(reads(), current_user.org_id),
                           log=grants.access_log_for_org(reads(), current_user.org_id), today=clock.today())


@bp.route("/inspection-access/grant", methods=["GET", "POST"])
@requires_role("admin")
def grants_list_new():
    if not _is_inspectorate():
        abort(404)
    form = GrantForm()
    if form.validate_on_submit():
        with command(form) as app:
            app.grant_inspection(UUID(form.inspector.data), UUID(form.org.data), form.starts.data,
                                 form.last_day.data + timedelta(days=1), form.purpose.data, actor())
        if form.accepted:
            flash("Access granted.", "success")
            return redirect(url_for("admin.grants_list"))
    return render_template("admin/grants_new.html", form=form)


@bp.route("/inspection-access/<uuid:grant_id>/revoke", methods=["GET", "POST"])
@requires_role("admin")
@org_scoped(grant_id="grant")
def grants_list_revoke(grant_id: UUID):
    found = grants.grant(reads(), grant_id)
    form = RevokeForm()
    if form.validate_on_submit():
        with command(form) as app:
            app.revoke_inspection(grant_id, form.reason.data, actor())
        if form.accepted:
            flash(f"{found.inspector_email} can no longer see {found.org_name}'s records.", "success")
            return redirect(url_for("admin.grants_list"))
    return render_template("admin/grants_revoke.html", form=form, grant=found)


@bp.app_template_filter("admin_grants_date")
def _date(value) -> str:
    return "" if value is None else f"{value.day} {value:%B %Y}"


@bp.app_template_filter("admin_grants_time")
def _time(value) -> str:
    return "" if value is None else f"{value.day} {value:%B %Y} at {value:%H:%M}"
