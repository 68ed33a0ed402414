from typing import Any

from django import template

from twofold.evm.access import sees_money

register = template.Library()


@register.filter
def may_see_money(user: Any, project: Any) -> bool:
    return sees_money(user, project)
