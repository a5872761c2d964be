"""The list of read models the runner feeds. A new view module adds its View here."""

from __future__ import annotations

from projections.audit import AuditView
from projections.base import View
from projections.board import BoardView
from projections.chain import ChainView
from projections.cohort import CohortView
from projections.grants import GrantsView
from projections.inbox import InboxView
from projections.organisations import OrganisationsView
from projections.provider_views import ProviderRegistrationsView
from projections.schedules import SchedulesView
from projections.users import UsersView

VIEWS: list[type[View]] = [InboxView, BoardView, AuditView, CohortView, SchedulesView, OrganisationsView, UsersView,
                         ProviderRegistrationsView, GrantsView, ChainView]
