"""``{{ finish|finish_day }}`` / ``{{ finish|finish_day:start }}``: the finish date under the one
end-of-day convention of :mod:`twofold.projects.dates` (then format it with ``|date``)."""

from __future__ import annotations

import datetime as dt

from django import template

from twofold.projects.dates import finish_day as _finish_day

register = template.Library()


@register.filter
def finish_day(finish: dt.datetime | None, start: dt.datetime | None = None) -> dt.date | None:
    return _finish_day(finish, start=start)
