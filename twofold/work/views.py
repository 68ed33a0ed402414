"""My work page: parse the kind filter, read the merged list, render."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from twofold.core.web import actor_of, organisation_of, organisation_required, render_page
from twofold.work import selectors


@organisation_required
def my_work(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    now = timezone.now()
    work = selectors.my_work(actor_of(request), organisation_of(request), kind=kind, now=now)
    return render_page(
        request,
        "work/pages/my_work.html",
        {
            "work": work,
            "kind": kind if kind in work.counts else "",
            "kinds": [
                (k.value, selectors.KIND_LABELS[k], work.counts[k.value]) for k in selectors.Kind
            ],
            "now": now,
            "soon": now + dt.timedelta(days=7),
            "section": "my-work",
        },
    )
