"""Money and index formatting for the earned-value pages (two decimals, thousands grouped)."""

from decimal import ROUND_HALF_UP, Decimal
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
    return str(_index(value))


def _index(value: Any) -> Decimal:
    """An index (SPI, CPI) as shown: two decimals, half up, as the cost reasons judge it."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@register.filter
def index_class(value: Any) -> str:
    """``evm-bad`` below 0.90, ``evm-warn`` below 0.95, judged on the figure as shown (a CPI of
    0.8996 showed "0.90" in red while its reason said amber)."""
    if value is None:
        return ""
    shown = _index(value)
    return "evm-bad" if shown < Decimal("0.90") else "evm-warn" if shown < Decimal("0.95") else ""


@register.filter
def signed_class(value: Any) -> str:
    if value is None:
        return ""
    amount = Decimal(str(value))
    return "neg" if amount < 0 else ("pos" if amount > 0 else "")
