"""Fixtures for the SSDA903 import tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from importer_files import Rows, good_files, write_files


@pytest.fixture
def files(tmp_path: Path) -> Callable[..., Path]:
    """`files(**changes)`: the good files with some replaced (None: left out), in a new directory."""
    made = iter(range(1000))

    def make(only: Sequence[str] | None = None, **changes: Rows | str | bytes | None) -> Path:
        chosen: dict[str, Rows | str | bytes | None] = dict(good_files())
        if only is not None:
            chosen = {k: v for k, v in chosen.items() if k in only}
        for key, value in changes.items():
            chosen[key.replace("_csv", ".csv")] = value
        return write_files(tmp_path / f"files{next(made)}", {k: v for k, v in chosen.items() if v is not None})

    return make
