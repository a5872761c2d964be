"""A provider's homes: each with its places, vacancies and capacity profile (the highest
score in each needs domain the home is ready to meet); adding a home; changing a home's
places and capacity."""

from __future__ import annotations

from uuid import UUID

from flask import abort, flash, redirect, render_template, url_for

from domain.needs import CURRENT_FRAMEWORK
from portal import charts
from portal.providers import bp
from portal.providers.display import provider_id, today
from portal.providers.forms import AddHomeForm, CapacityForm
from portal.views.common import actor, command, org_scoped, reads, requires_role
from projections.provider_views import ProviderHome, home_for_provider, homes_for_provider, registered_place_codes


def capacity_chart(home: ProviderHome) -> charts.Chart:
    return charts.needs_profile_chart([(c.key, c.label) for c in home.capacity], home.capacity_scores,
                                      title=f"Needs {home.name} is ready to meet", id="capacity-profile",
                                      current_label="Highest score the home is ready to meet")


def home_or_404(home_id: UUID) -> ProviderHome:
    home = home_for_provider(reads(), provider_id(), home_id, today())
    if home is None:
        abort(404)
    return home


@bp.route("/homes")
@requires_role("provider", "admin")
def homes():
    found = homes_for_provider(reads(), provider_id(), today())
    return render_template("providers/homes.html", homes=found, today=today(),
                           places=sum(h.places for h in found), vacancies=sum(h.vacancies for h in found))


@bp.route("/homes/add", methods=["GET", "POST"])
@requires_role("provider", "admin")
def homes_add():
    form = AddHomeForm(place_codes=registered_place_codes(reads(), provider_id()))
    if form.validate_on_submit():
        with command(form) as app:
            app.add_home(provider_id(), form.home_ref.data.strip(), form.name.data.strip(), form.place_codes.data,
                         form.places.data, form.capacity(), (form.location.data or "").strip(), actor())
        if form.accepted:
            flash(f"{form.name.data.strip()} has been added to your homes.", "success")
            return redirect(url_for("providers.homes"))
    return render_template("providers/add_home.html", form=form, domains=CURRENT_FRAMEWORK.domains)


@bp.route("/homes/<uuid:home_id>")
@requires_role("provider", "admin")
@org_scoped(home_id="home")
def homes_show(home_id: UUID):
    home = home_or_404(home_id)
    return render_template("providers/home.html", home=home, chart=capacity_chart(home))


@bp.route("/homes/<uuid:home_id>/capacity", methods=["GET", "POST"])
@requires_role("provider", "admin")
@org_scoped(home_id="home")
def homes_capacity(home_id: UUID):
    home = home_or_404(home_id)
    form = CapacityForm(data={"places": home.places, **home.capacity_scores})
    if form.validate_on_submit():
        with command(form) as app:
            app.change_home_capacity(provider_id(), home_id, form.places.data, form.capacity(), actor())
        if form.accepted:
            flash(f"The places and capacity of {home.name} have been changed.", "success")
            return redirect(url_for("providers.homes_show", home_id=home_id))
    return render_template("providers/capacity.html", form=form, home=home)
