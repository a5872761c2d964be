"""Forms: the shared base every portal form extends, and the forms of signing in, setting a
password and managing users. A journey's own forms live beside its views.

Fields use govuk-frontend-wtf's widgets, so `{{ form.email(params={...}) }}` draws the GOV.UK
component with its label, hint and error message. Every form carries a CSRF token (render it
with the `csrf_field()` macro in templates/components/forms.html).
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovRadioInput, GovTextArea, GovTextInput
from wtforms import PasswordField, RadioField, StringField, TextAreaField
from wtforms.validators import EqualTo, InputRequired, Length

from domain.errors import Conflict, DomainError, NotFound, PermissionDenied

CONFLICT_MESSAGE = ("Someone else changed this at the same time, so nothing was saved. "
                    "Check what is shown now and try again.")
MIN_PASSWORD_LENGTH = 12


class Form(FlaskForm):
    """A form that can show a refused command as its errors (see portal.views.common.command)."""

    # Where a domain error's field has another name on this form: {"provider_ids": "providers"}.
    domain_fields: ClassVar[dict[str, str]] = {}

    def refuse(self, error: DomainError) -> None:
        if isinstance(error, PermissionDenied):
            raise error
        if isinstance(error, Conflict):
            self.form_errors.append(CONFLICT_MESSAGE)
            return
        field = self._fields.get(self.domain_fields.get(error.field, error.field))
        if field is not None and field.name != "csrf_token":
            field.errors = [*field.errors, error.message]
        elif isinstance(error, NotFound):
            raise error
        else:
            self.form_errors.append(error.message)

    @property
    def accepted(self) -> bool:
        """Submitted, valid, and not refused by the command."""
        return self.is_submitted() and not self.errors


class SignInForm(Form):
    email = StringField("Email address", validators=[InputRequired("Enter your email address")],
                        widget=GovTextInput())
    password = PasswordField("Password", validators=[InputRequired("Enter your password")],
                             widget=GovPasswordInput())


class SetPasswordForm(Form):
    password = PasswordField(
        "Create a password",
        description=f"Use at least {MIN_PASSWORD_LENGTH} characters. Three or four words you will remember make "
                    "a strong password.",
        validators=[InputRequired("Enter a password"),
                    Length(min=MIN_PASSWORD_LENGTH, max=256,
                           message=f"Use at least {MIN_PASSWORD_LENGTH} characters (and no more than 256)")],
        widget=GovPasswordInput())
    confirm = PasswordField("Confirm your password",
                            validators=[InputRequired("Enter your password again"),
                                        EqualTo("password", "The passwords do not match")],
                            widget=GovPasswordInput())


class InviteUserForm(Form):
    email = StringField("Email address", validators=[InputRequired("Enter their email address"), Length(max=254)],
                        widget=GovTextInput())
    role = RadioField("Role", validators=[InputRequired("Choose a role")], widget=GovRadioInput(),
                      validate_choice=True)

    def __init__(self, *args: object, roles: list[tuple[str, str]], **kwargs: object):
        super().__init__(*args, **kwargs)
        self.role.choices = roles


class DisableUserForm(Form):
    reason = TextAreaField("Why are you disabling this account?",
                           description="For example, they have left the organisation. This is kept in the audit "
                                       "trail.",
                           validators=[InputRequired("Say why you are disabling this account"),
                                       Length(max=500, message="Use 500 characters or fewer")],
                           widget=GovTextArea())


class ConfirmForm(Form):
    """A button and nothing else (sign out): the form is there for its CSRF token."""


def day_month_year(parts: list[str], called: str) -> date | None:
    """The date in a GOV.UK date input's three boxes (day, month, year), None when all are
    empty, or a ValueError with GOV.UK's message ("Date needed must include a month")."""
    day, month, year = (v.strip() for v in parts)
    if not (day or month or year):
        return None
    missing = [name for name, value in (("day", day), ("month", month), ("year", year)) if not value]
    if missing:
        raise ValueError(f"{called} must include a {' and a '.join(missing)}")
    if not (day.isdigit() and month.isdigit() and year.isdigit()):
        raise ValueError(f"{called} must be a real date")
    if len(year) != 4:
        raise ValueError("Year must include 4 numbers")
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"{called} must be a real date") from None
