"""Small checks shared by the aggregates, each raising a ValidationError naming the field."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from domain.errors import ValidationError


def require_text(field: str, value: object, *, max_length: int = 200, label: str | None = None) -> str:
    text = ("" if value is None else str(value)).strip()
    if not text:
        raise ValidationError(field, f"Enter {label or field.replace('_', ' ')}")
    if len(text) > max_length:
        raise ValidationError(field, f"{(label or field.replace('_', ' ')).capitalize()} must be {max_length} characters or fewer")
    return text


def optional_text(field: str, value: object, *, max_length: int = 2000) -> str:
    text = ("" if value is None else str(value)).strip()
    if len(text) > max_length:
        raise ValidationError(field, f"{field.replace('_', ' ').capitalize()} must be {max_length} characters or fewer")
    return text


def require_date(field: str, value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(field, "Enter a real date")
    if not date(1990, 1, 1) <= value <= date(2100, 1, 1):
        raise ValidationError(field, "Enter a date between 1990 and 2100")
    return value


def require_choice(field: str, value: object, choices: Iterable[str], *, label: str | None = None) -> str:
    options = tuple(choices)
    if value not in options:
        raise ValidationError(field, f"Choose a valid {label or field.replace('_', ' ')} (got {value!r})")
    return str(value)


def text_list(field: str, values: Iterable[object] | None, *, max_items: int = 10, max_length: int = 500) -> list[str]:
    items = [optional_text(field, v, max_length=max_length) for v in (values or [])]
    items = [i for i in items if i]
    if len(items) > max_items:
        raise ValidationError(field, f"Give no more than {max_items} {field.replace('_', ' ')}")
    return items
