"""The providers' forms: an offer on a referral (and its amendment), withdrawing an offer,
declining a referral, adding a home and changing a home's capacity.

Fields are named as the domain's errors name them (`home_id`, `weekly_price`,
`start_date`, `reason`, `note`, `places`...), so a refused command lands on the field at
fault; the answers to "how will you meet this need" are one textarea per need, made for
the referral in hand, mapped from the domain's `how_needs_met.<domain>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput, GovDateInput, GovRadioInput, GovSelect, GovTextArea, GovTextInput,
)
from wtforms import DateField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation, ValidationError,
)

from domain import clock
from domain.codes import DECLINE_REASONS, PLACE_CODES
from domain.errors import ValidationError as DomainValidationError
from domain.money import parse_money
from domain.needs import CURRENT_FRAMEWORK, MAX_SCORE, level
from portal.forms import Form


class GovDateField(DateField):
    """A GOV.UK date input (day, month, year) with GOV.UK's error messages: "Enter the
    start date" when empty, "... must include a month" when part is missing, "... must be a
    real date" otherwise."""

    def __init__(self, label: str, what: str, **kwargs: Any):
        super().__init__(label, format="%d %m %Y", widget=GovDateInput(), **kwargs)
        self.what = what  # "The start date"

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if not valuelist:
            return
        parts = [v.strip() for v in valuelist]
        if not any(parts):
            return
        missing = [name for name, v in zip(("day", "month", "year"), parts) if not v]
        if missing:
            raise ValueError(f"{self.what} must include a {' and '.join(missing)}")
        try:
            self.data = datetime.strptime(" ".join(parts), "%d %m %Y").date()
        except ValueError:
            raise ValueError(f"{self.what} must be a real date") from None
        if self.data.year < 1000:
            self.data = None
            raise ValueError(f"{self.what} must be a real date")

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()
        if self.data is None:
            raise StopValidation(f"Enter {self.what[0].lower()}{self.what[1:]}")


def money_field_check(form: Any, field: Any) -> None:
    """The domain's own money rule, so a bad price is shown with every other error at once."""
    try:
        parse_money(field.data, "weekly_price")
    except DomainValidationError as error:
        raise ValidationError(error.message) from None


def not_in_the_past(form: Any, field: Any) -> None:
    if field.data is not None and field.data < clock.today():
        raise ValidationError("The start date cannot be in the past")


NEED_FIELD = "need_"

# Made before the other offer fields, so an offer's errors are listed in the page's order.
_HOME = SelectField("Home", validators=[InputRequired("Choose the home the child would live in")], widget=GovSelect(),
                    validate_choice=False)


class OfferTerms(Form):
    """The price, start and how each need will be met: what an offer and its amendment share."""

    weekly_price = StringField(
        "Weekly price", description="In pounds, for example 850.00",
        validators=[DataRequired("Enter the weekly price"), money_field_check], widget=GovTextInput())
    start_date = GovDateField("Start date", "The start date", description="For example, 27 3 2026",
                              validators=[not_in_the_past])

    # The domain names an answer "how_needs_met.<domain key>"; each is a field of its own here.
    domain_fields: dict[str, str] = {}
    need_keys: tuple[str, ...] = ()

    def how_needs_met(self) -> dict[str, str]:
        return {key: (self[NEED_FIELD + key].data or "").strip() for key in self.need_keys}

    @property
    def need_fields(self) -> list[Any]:
        return [self[NEED_FIELD + key] for key in self.need_keys]


def home_choices(homes: Sequence[Any]) -> list[SelectChoice]:
    """The homes an offer may name, each with its free places, after a "Choose a home" prompt."""
    return [SelectChoice("", "Choose a home")] + [
        SelectChoice(str(h.home_id), f"{h.name} ({h.home_ref}): {h.vacancies} of {h.places} places free")
        for h in homes]


class OfferForm(OfferTerms):
    home_id = _HOME
    note = TextAreaField("Anything else the council should know (optional)",
                         validators=[Optional(), Length(max=2000, message="Use 2,000 characters or fewer")],
                         widget=GovTextArea())

    def validate_home_id(self, field: Any) -> None:
        if field.data not in {choice.value for choice in field.choices if choice.value}:
            raise ValidationError("Choose a home from the list")


class AmendOfferForm(OfferTerms):
    pass


def _need_label(key: str, score: int) -> str:
    return f"{CURRENT_FRAMEWORK.label(key)}: {level(score).label.lower()} ({score} out of {MAX_SCORE})"


def offer_form(needs: Sequence[tuple[str, int]], *, amend: bool = False, **kwargs: Any) -> OfferTerms:
    """The offer (or amendment) form for a referral: one "how will you meet this need"
    textarea for each domain at moderate or above, labelled with the domain and the child's level."""
    base = AmendOfferForm if amend else OfferForm
    asked = [(key, score) for key, score in needs if score >= 4]
    fields: dict[str, Any] = {
        NEED_FIELD + key: TextAreaField(
            _need_label(key, score),
            description="How will you meet this need?",
            validators=[DataRequired(f"Say how you will meet the child's need in "
                                     f"{CURRENT_FRAMEWORK.label(key).lower()}"),
                        Length(max=2000, message="Use 2,000 characters or fewer")],
            widget=GovTextArea())
        for key, score in asked
    }
    fields["need_keys"] = tuple(key for key, _ in asked)
    fields["domain_fields"] = {f"how_needs_met.{key}": NEED_FIELD + key for key, _ in asked}
    form_class = type(base.__name__, (base,), fields)
    return form_class(**kwargs)


class WithdrawOfferForm(Form):
    reason = TextAreaField("Why are you withdrawing your offer? (optional)",
                           description="The council will see this.",
                           validators=[Optional(), Length(max=1000, message="Use 1,000 characters or fewer")],
                           widget=GovTextArea())


class DeclineForm(Form):
    reason = RadioField("Why are you declining this referral?",
                        choices=[SelectChoice(k, v) for k, v in DECLINE_REASONS.items()],
                        validators=[InputRequired("Choose why you are declining")], widget=GovRadioInput(),
                        validate_choice=False)
    note = TextAreaField("Tell the council more", description="Required if you choose other reason.",
                         validators=[Length(max=1000, message="Use 1,000 characters or fewer")],
                         widget=GovTextArea())

    def validate_reason(self, field: Any) -> None:
        if field.data not in DECLINE_REASONS:
            raise ValidationError("Choose why you are declining")

    def validate_note(self, field: Any) -> None:
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError("Say why you are declining")


# -- homes ------------------------------------------------------------------------------------


class WholeNumberField(IntegerField):
    """A whole number with a GOV.UK message of the form's choosing when it is not one."""

    def __init__(self, label: str, not_a_number: str, **kwargs: Any):
        super().__init__(label, **kwargs)
        self.not_a_number = not_a_number

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                raise ValueError(self.not_a_number) from None

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()


class _HomeDetails(Form):
    home_ref = StringField("Home reference", description="Your own reference for the home, for example its Ofsted URN",
                           validators=[DataRequired("Enter the home's reference"),
                                       Length(max=30, message="Use 30 characters or fewer")],
                           widget=GovTextInput())
    name = StringField("Name", validators=[DataRequired("Enter the home's name"),
                                           Length(max=200, message="Use 200 characters or fewer")],
                       widget=GovTextInput())
    place_codes = SelectMultipleField("Placement types offered",
                                      validators=[InputRequired("Choose at least one placement type")],
                                      widget=GovCheckboxesInput(), validate_choice=False)
    location = StringField("Location (optional)", description="A town or area, for example Norwich",
                           validators=[Optional(), Length(max=100, message="Use 100 characters or fewer")],
                           widget=GovTextInput())


class CapacityForm(Form):
    places = WholeNumberField("Number of places", "Enter the number of places as a whole number",
                              description="How many children the home can care for at once",
                              validators=[InputRequired("Enter the number of places"),
                                          NumberRange(0, 200, "Enter a number of places from 0 to 200")],
                              widget=GovTextInput())

    def capacity(self) -> dict[str, int]:
        return {key: self[key].data for key in CURRENT_FRAMEWORK.keys}

    @property
    def capacity_fields(self) -> list[Any]:
        return [self[key] for key in CURRENT_FRAMEWORK.keys]


# One field a domain: the highest score the home is ready to meet (the domain's capacity profile).
for _key in CURRENT_FRAMEWORK.keys:
    _label = CURRENT_FRAMEWORK.label(_key)
    setattr(CapacityForm, _key, WholeNumberField(
        _label, f"Enter a whole number from 0 to {MAX_SCORE} for {_label.lower()}",
        validators=[InputRequired(f"Enter a score from 0 to {MAX_SCORE} for {_label.lower()}"),
                    NumberRange(0, MAX_SCORE, f"The score for {_label.lower()} must be from 0 to {MAX_SCORE}")],
        widget=GovTextInput()))


class AddHomeForm(_HomeDetails, CapacityForm):
    def __init__(self, *args: Any, place_codes: Sequence[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.place_codes.choices = [SelectChoice(code, f"{code}: {PLACE_CODES.get(code, code)}")
                                    for code in place_codes]

    def validate_place_codes(self, field: Any) -> None:
        allowed = {choice.value for choice in field.choices}
        if not field.data or any(code not in allowed for code in field.data):
            raise ValidationError("Choose at least one placement type from the list")
