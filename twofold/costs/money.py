"""Amounts written the organisation's way: its currency (ISO 4217) in its locale.

No locale library is installed, so the few locales offered carry their own conventions (group
and decimal separators, where the symbol goes); the currencies list the common ISO 4217 codes
with their symbols and minor units. A currency without a symbol is written with its code.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any


@dataclass(frozen=True)
class LocaleStyle:
    """How a locale writes money: ``1,234.56 €`` or ``€1,234.56``."""

    label: str
    group: str
    decimal: str
    symbol_first: bool
    space: bool


LOCALES: dict[str, LocaleStyle] = {
    "en-GB": LocaleStyle("English (United Kingdom): £1,234.56", ",", ".", True, False),
    "en-US": LocaleStyle("English (United States): $1,234.56", ",", ".", True, False),
    "en-IE": LocaleStyle("English (Ireland): €1,234.56", ",", ".", True, False),
    "de-DE": LocaleStyle("Deutsch (Deutschland): 1.234,56 €", ".", ",", False, True),
    "de-CH": LocaleStyle("Deutsch (Schweiz): CHF 1’234.56", "’", ".", True, True),
    "fr-FR": LocaleStyle("Français (France): 1 234,56 €", "\u202f", ",", False, True),
    "nl-NL": LocaleStyle("Nederlands: € 1.234,56", ".", ",", True, True),
    "es-ES": LocaleStyle("Español (España): 1.234,56 €", ".", ",", False, True),
    "it-IT": LocaleStyle("Italiano: 1.234,56 €", ".", ",", False, True),
    "sv-SE": LocaleStyle("Svenska: 1 234,56 kr", "\u00a0", ",", False, True),
    "nb-NO": LocaleStyle("Norsk bokmål: kr 1 234,56", "\u00a0", ",", True, True),
    "da-DK": LocaleStyle("Dansk: 1.234,56 kr.", ".", ",", False, True),
    "pl-PL": LocaleStyle("Polski: 1 234,56 zł", "\u00a0", ",", False, True),
    "ja-JP": LocaleStyle("日本語: ￥1,235", ",", ".", True, False),
}

# code → (symbol, minor units)
CURRENCIES: dict[str, tuple[str, int]] = {
    "EUR": ("€", 2), "GBP": ("£", 2), "USD": ("$", 2), "CHF": ("CHF", 2), "SEK": ("kr", 2),
    "NOK": ("kr", 2), "DKK": ("kr.", 2), "PLN": ("zł", 2), "CZK": ("Kč", 2), "HUF": ("Ft", 2),
    "JPY": ("¥", 0), "CNY": ("CN¥", 2), "INR": ("₹", 2), "CAD": ("CA$", 2), "AUD": ("A$", 2),
    "NZD": ("NZ$", 2), "ZAR": ("R", 2), "BRL": ("R$", 2), "MXN": ("MX$", 2), "SGD": ("S$", 2),
    "HKD": ("HK$", 2), "KRW": ("₩", 0), "TRY": ("₺", 2), "ISK": ("kr", 0), "RON": ("lei", 2),
}  # fmt: skip


def minor_units(currency: str) -> int:
    """How many decimals ``currency``'s amounts have (its ISO 4217 exponent): 2 for EUR, 0 for
    JPY; 2 for a code not listed."""
    return CURRENCIES.get(currency, (currency, 2))[1]


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency``: ``0.01`` for EUR, ``1`` for JPY."""
    return Decimal(1).scaleb(-minor_units(currency))


def decimals_refused(amount: Decimal, currency: str, what: str = "The amount") -> str | None:
    """Why ``amount`` cannot be kept in ``currency`` (more decimals than it has: a yen has
    none), None when it can. Amounts are refused, not rounded, as everywhere else: a rate of
    ¥1,000.50 was kept and used at 1,000.50 while every page wrote it ¥1,001."""
    places = minor_units(currency)
    if amount == amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP):
        return None
    if places == 0:
        return f"{what} is a whole number of {currency} (it has no minor unit)."
    return f"{what} has at most {places} decimal places in {currency}."


def format_money(
    amount: Any, currency: str = "EUR", locale: str = "en-GB", *, places: int | None = None
) -> str:
    """``amount`` in ``currency`` as ``locale`` writes it; ``places`` overrides the minor units
    (0 for whole amounts in tables and charts). None is written as an em dash."""
    if amount is None or amount == "":
        return "—"
    style = LOCALES.get(locale, LOCALES["en-GB"])
    symbol, minor = CURRENCIES.get(currency, (currency, 2))
    digits = minor if places is None else min(places, minor)
    value = Decimal(str(amount))
    with localcontext() as ctx:  # however large (past 28 digits quantize raised)
        ctx.prec = max(ctx.prec, value.adjusted() + digits + 1)
        value = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    negative = value < 0
    whole, _, fraction = f"{abs(value):.{digits}f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    number = style.group.join(groups) + (style.decimal + fraction if digits else "")
    gap = "\u00a0" if style.space or (len(symbol) > 1 and symbol.isalpha()) else ""
    text = f"{symbol}{gap}{number}" if style.symbol_first else f"{number}{gap or chr(160)}{symbol}"
    return f"−{text}" if negative else text
