"""What each role can do: the home page's list of tasks and the service navigation, as data.

A task names the endpoint of the journey that does it. Until that endpoint exists the home
page lists the task without a link ("not available yet") and the navigation leaves it out;
once a journey's blueprint registers the endpoint, the link appears. A journey that adds a
task, or names its endpoint differently, edits TASKS.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for

COUNCIL, PROVIDER, INSPECTORATE = "council", "provider", "inspectorate"


@dataclass(frozen=True)
class Task:
    title: str
    description: str
    endpoint: str
    roles: tuple[str, ...]
    org_kinds: tuple[str, ...]
    in_navigation: bool = True

    def for_user(self, role: str, org_kind: str) -> bool:
        return role in self.roles and org_kind in self.org_kinds


TASKS: tuple[Task, ...] = (
    Task("Children", "Find a child, see how their needs have changed and record a needs assessment.",
         "commissioning.children", ("social_worker", "commissioner", "admin"), (COUNCIL,)),
    Task("Referrals", "Raise a needs-based referral, release it to the providers best placed to meet the child's "
         "needs, compare their offers and award a placement.",
         "commissioning.referrals", ("commissioner", "admin"), (COUNCIL,)),
    Task("Fees", "Set needs-banded fees and the banding policy.",
         "commissioning.fees", ("commissioner", "admin"), (COUNCIL,)),
    Task("Payments", "Calculate, check and approve needs-based payment runs, and export remittances.",
         "commissioning.payment_runs", ("commissioner", "admin"), (COUNCIL,)),
    Task("Insight", "See how needs and costs compare across your children.",
         "commissioning.insight", ("commissioner", "admin"), (COUNCIL,)),
    Task("Referral inbox", "See the referrals sent to you, and make or decline offers.",
         "providers.inbox", ("provider", "admin"), (PROVIDER,)),
    Task("Homes", "Keep your homes' places and the needs they can meet up to date.",
         "providers.homes", ("provider", "admin"), (PROVIDER,)),
    Task("Placements and payments", "See the children placed with you and what you will be paid for their care.",
         "providers.placements", ("provider", "admin"), (PROVIDER,)),
    Task("Children's needs over time", "Review how each child's needs changed in each placement, and what was "
         "known when.", "inspection.children", ("inspector",), (INSPECTORATE,)),
    Task("Provider outcomes", "Compare how children's needs changed with each provider.",
         "inspection.providers", ("inspector",), (INSPECTORATE,)),
    Task("Verify the record", "Check that nothing in the record has been altered.",
         "inspection.verify", ("inspector",), (INSPECTORATE,)),
    Task("Users", "Invite people to your organisation and disable accounts that are no longer needed.",
         "admin.users", ("admin",), (COUNCIL, PROVIDER)),
    Task("Inspection access", "See which inspectors may see your records, and every page they opened.",
         "admin.grants_list", ("admin",), (COUNCIL, PROVIDER, INSPECTORATE)),
)


@dataclass(frozen=True)
class ShownTask:
    title: str
    description: str
    href: str | None  # None: the journey is not available yet

    @property
    def available(self) -> bool:
        return self.href is not None


def _exists(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def tasks_for(role: str, org_kind: str) -> list[ShownTask]:
    return [ShownTask(t.title, t.description, url_for(t.endpoint) if _exists(t.endpoint) else None)
            for t in TASKS if t.for_user(role, org_kind)]


def _is_within(endpoint: str | None, task: Task) -> bool:
    """A task's pages are its endpoint and those named after it: "admin.users_invite" is in "admin.users"."""
    return endpoint is not None and (endpoint == task.endpoint or endpoint.startswith(task.endpoint + "_"))


def navigation_for(role: str, org_kind: str) -> list[dict[str, object]]:
    """GOV.UK service navigation items: home, then each available task (the current one marked)."""
    items: list[dict[str, object]] = [{"text": "Home", "href": url_for("main.home"),
                                       "current": request.endpoint == "main.home"}]
    for task in TASKS:
        if task.in_navigation and task.for_user(role, org_kind) and _exists(task.endpoint):
            items.append({"text": task.title, "href": url_for(task.endpoint),
                          "current": request.endpoint == task.endpoint,
                          "active": _is_within(request.endpoint, task)})
    return items
