"""``{% money amount %}``: an amount in the organisation's currency, written in its locale.

The organisation's ``CostSettings`` is read once per request (cached on the request).
"""

from __future__ import annotations

from typing import Any

from django import template

from twofold.costs.money import format_money

register = template.Library()


def _settings(context: Any) -> tuple[str, str]:
    request = context.get("request")
    cached = getattr(request, "_twofold_money", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from twofold.costs.selectors import cost_settings

    membership = getattr(request, "membership", None)
    found = ("EUR", "en-GB")
    if membership:
        row = cost_settings(membership.organisation_id)
        found = (row.currency, row.locale)
    if request is not None:
        request._twofold_money = found
    return found


@register.simple_tag(takes_context=True)
def money(context: Any, amount: Any, places: int | None = None) -> str:
    """The amount with the currency symbol and the locale's separators (``places=0``: whole)."""
    currency, locale = _settings(context)
    return format_money(amount, currency, locale, places=places)


@register.simple_tag(takes_context=True)
def currency_code(context: Any) -> str:
    return _settings(context)[0]


@register.filter
def hours(value: Any) -> str:
    """Hours without trailing zeros: 8, 7.5, 7.25."""
    if value is None or value == "":
        return ""
    from decimal import Decimal

    text = f"{Decimal(str(value)).quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.simple_tag(takes_context=True)
def logged_hours(context: Any, person: Any, week: Any, approved: bool = False) -> str:
    """Hours ``person`` logged (submitted or approved; ``approved``: approved only) in the 7
    days from ``week`` (one query): the actual beside the capacity view's planned hours."""
    import datetime as dt

    from twofold.costs.selectors import actual_hours_by_person_week

    membership = getattr(context.get("request"), "membership", None)
    if membership is None or person is None or week is None:
        return ""
    found = actual_hours_by_person_week(
        membership.organisation_id,
        [person.pk],
        week,
        week + dt.timedelta(days=6),
        week.weekday(),
        approved_only=approved,
    )
    return hours(found.get((person.pk, week), 0))
