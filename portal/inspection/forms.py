"""The inspection pages' forms: choosing the date to see a child's record "as known on", and
the window of a provider's outcomes. Both are GET forms (a view of the record, not a change
to it), so they carry no CSRF token and the address can be bookmarked or shared."""

from __future__ import annotations

from datetime import date, timedelta

from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from werkzeug.datastructures import MultiDict
from wtforms import DateField
from wtforms.fields.core import UnboundField
from wtforms.validators import InputRequired, Optional, ValidationError

from domain import clock
from portal.forms import Form

EARLIEST = date(1990, 1, 1)


class FilterForm(Form):
    """A form read from the query string (no CSRF: it changes nothing): `FilterForm.from_args(request.args)`."""

    class Meta:
        csrf = False

    @classmethod
    def from_args(cls, args: MultiDict) -> FilterForm:
        """Only the fields the query string names; a date always as its three parts (day,
        month, year), however many a hand-made address gives."""
        names = [name for name in cls._unbound_names() if name in args]
        if not names:
            return cls(formdata=None)
        data = MultiDict()
        for name in cls._unbound_names():  # every field, or the date widget has no parts to show
            values = args.getlist(name)
            for value in (values + ["", "", ""])[:3]:
                data.add(name, value)
        return cls(formdata=data)

    @classmethod
    def _unbound_names(cls) -> list[str]:
        return [name for name in dir(cls) if isinstance(getattr(cls, name, None), UnboundField)]

    @property
    def submitted(self) -> bool:
        return any(f.raw_data for f in self if f.raw_data)


class Day(DateField):
    """A date in three parts (GOV.UK's date input), with a message a person can act on."""

    def __init__(self, label: str, invalid: str = "The date must be a real date, like 27 3 2025", **kwargs: object):
        self.invalid = invalid
        kwargs.setdefault("format", "%d %m %Y")
        kwargs.setdefault("widget", GovDateInput())
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist and not any(v.strip() for v in valuelist):
            self.data = None
            return
        try:
            super().process_formdata([" ".join(v.strip() for v in valuelist)] if valuelist else valuelist)
        except ValueError:
            self.data = None
            raise ValueError(self.invalid) from None


def _not_in_the_future(_form: Form, field: DateField) -> None:
    if field.data is not None and field.data > clock.today():
        raise ValidationError("The date must be today or in the past")


def _not_too_early(_form: Form, field: DateField) -> None:
    if field.data is not None and field.data < EARLIEST:
        raise ValidationError("The date must be in 1990 or later")


class AsKnownOnForm(FilterForm):
    as_known_on = Day(
        "Show the record as it stood on",
        description="Only what had been recorded by the end of that day. For example, 27 3 2025",
        validators=[InputRequired("Enter the date to see the record as it stood"), _not_in_the_future,
                    _not_too_early])


class WindowForm(FilterForm):
    window_from = Day("From", description="For example, 1 4 2024", validators=[Optional(), _not_too_early],
                      invalid="The start of the window must be a real date, like 1 4 2024")
    window_to = Day("To (and including)", description="For example, 31 3 2025", validators=[Optional(), _not_too_early],
                    invalid="The end of the window must be a real date, like 31 3 2025")

    def validate(self, extra_validators=None) -> bool:  # type: ignore[override]
        ok = super().validate(extra_validators)
        if ok and self.window_from.data and self.window_to.data and self.window_to.data < self.window_from.data:
            self.window_to.errors = [*self.window_to.errors, "The end of the window must be on or after its start"]
            return False
        return ok

    @staticmethod
    def default_window() -> tuple[date, date]:
        """The three years to today (inspections look back to the last one)."""
        today = clock.today()
        return today.replace(year=today.year - 3) if not (today.month == 2 and today.day == 29) \
            else date(today.year - 3, 2, 28), today + timedelta(days=1)

    def window(self) -> tuple[date, date]:
        """[starts, ends): the dates chosen, or the default, with the end made exclusive."""
        starts, ends = self.default_window()
        if self.window_from.data:
            starts = self.window_from.data
        if self.window_to.data:
            ends = self.window_to.data + timedelta(days=1)
        return starts, max(ends, starts + timedelta(days=1))
