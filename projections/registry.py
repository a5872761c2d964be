"""The list of read models the runner feeds. A new view module adds its View here."""

from __future__ import annotations

from projections.base import View

VIEWS: list[type[View]] = []
