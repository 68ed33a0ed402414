"""Money and index formatting for the earned-value pages (two decimals, thousands grouped)."""

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def money(value: Any) -> str:
    if value is None or value == "":
        return "—"
    amount = Decimal(str(value))
    text = f"{abs(amount):,.2f}"
    return f"−{text}" if amount < 0 else text


@register.filter
def index(value: Any) -> str:
    if value is None:
        return "—"
    return f"{Decimal(str(value)):.2f}"


@register.filter
def signed_class(value: Any) -> str:
    if value is None:
        return ""
    amount = Decimal(str(value))
    return "neg" if amount < 0 else ("pos" if amount > 0 else "")
