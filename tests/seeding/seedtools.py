"""Helpers for the seed's tests."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from projections.ledger import Ledger

# A fixed "today", so that two seeds in one test run record the same moments whatever the
# clock says (a seed records nothing after the end of the day before). Within a few days of
# the real date, so the history ends in the recent past.
TODAY = date.today() - timedelta(days=2)


DECODERS = {"uuid_hex": lambda v: UUID(hex=v), "date_iso": date.fromisoformat,
            "datetime_iso": datetime.fromisoformat, "decimal_str": Decimal}


def decoded(value: Any) -> Any:
    """A stored event's JSON state with the transcoder's typed values (ids, dates, times,
    money) turned back into Python values."""
    if isinstance(value, dict):
        if set(value) == {"_type_", "_data_"} and value["_type_"] in DECODERS:
            return DECODERS[value["_type_"]](value["_data_"])
        return {k: decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decoded(v) for v in value]
    return value


def stored_events(ledger: Ledger) -> list[tuple[str, dict[str, Any]]]:
    """Every event in the store, in log order, as (topic, state decoded)."""
    recorder = ledger.app.recorder
    found: list[tuple[str, dict[str, Any]]] = []
    start = 1
    while True:
        page = recorder.select_notifications(start=start, limit=5000)
        if not page:
            return found
        found.extend((n.topic, {**decoded(json.loads(bytes(n.state))), "originator_id": n.originator_id,
                                "originator_version": n.originator_version}) for n in page)
        start = page[-1].id + 1
