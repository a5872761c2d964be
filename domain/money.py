"""Money: `Decimal` pounds with pence. Never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from domain.errors import ValidationError

PENNY = Decimal("0.01")
ZERO = Decimal("0.00")


def round_pence(value: Decimal) -> Decimal:
    """Round half-up to the penny (PAYMENTS.md: 97.2857 -> 97.29, 0.005 -> 0.01)."""
    return value.quantize(PENNY, rounding=ROUND_HALF_UP)


def parse_money(value: object, field: str = "amount", *, allow_zero: bool = False) -> Decimal:
    """A weekly rate or fee from user input: a Decimal with at most two places, not negative."""
    if isinstance(value, float):
        raise ValidationError(field, "Give money as a decimal string, not a float")
    if isinstance(value, Decimal):
        amount = value
    else:
        text = str(value).strip().replace(",", "").lstrip("£")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValidationError(field, f"Enter an amount in pounds, like 343.00 (got {str(value)!r})") from None
    if not amount.is_finite():
        raise ValidationError(field, "Enter an amount in pounds, like 343.00")
    # The size check comes first: Decimal cannot quantize a huge number to pence.
    if amount > Decimal("1000000"):
        raise ValidationError(field, "Enter a weekly amount under £1,000,000")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError(field, "Enter an amount greater than £0")
    if amount != amount.quantize(PENNY):
        raise ValidationError(field, "Enter an amount with no more than 2 decimal places")
    return amount.quantize(PENNY)


def format_money(amount: Decimal) -> str:
    """'1344.00' -> '£1,344.00' (negative: '-£329.00')."""
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"
