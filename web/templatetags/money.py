"""Prices as people read them: `{{ service.price|money }}` is `£50.00` in the clinic's
currency (`CURRENCY`, an ISO 4217 code)."""

from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings

register = template.Library()

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "AUD": "A$", "CAD": "C$", "JPY": "¥", "INR": "₹"}


@register.filter
def money(value) -> str:
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return ""
    code = settings.CURRENCY
    digits = 0 if code == "JPY" else 2
    number = f"{amount:,.{digits}f}"
    symbol = SYMBOLS.get(code)
    return f"{symbol}{number}" if symbol else f"{number} {code}"
