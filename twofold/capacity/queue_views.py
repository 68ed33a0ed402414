"""The request queues' workload settings: each queue's mean handling time (admins set it), with
what it means for the capacity model (forecast arrivals and hours a week)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from twofold.accounts.models import Organisation, Team
from twofold.capacity import services
from twofold.capacity.demand import HISTORY_WEEKS
from twofold.capacity.models import DEFAULT_HANDLING_MINUTES, QueueWorkload
from twofold.core.errors import ServiceError
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    apply_service_error,
    organisation_of,
    organisation_required,
    render_page,
)
from twofold.operations.models import Queue
from twofold.projects.services import tz_of


class QueueWorkloadForm(forms.Form):
    handling_minutes = forms.IntegerField(
        min_value=1,
        max_value=24 * 60,
        label="Mean handling time (minutes)",
        widget=forms.NumberInput(attrs={"step": "1", "inputmode": "numeric"}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


@dataclass
class QueueRow:
    queue: Queue
    process: str
    team: str
    team_size: int
    arrivals_per_day: float
    minutes: int
    is_default: bool
    version: int | None
    form: QueueWorkloadForm | None = None

    @property
    def hours_per_week(self) -> float:
        """The queue's forecast load: arrivals per working day × handling time × 5 days."""
        return self.arrivals_per_day * self.minutes / 60 * 5

    @property
    def counted(self) -> bool:
        """The capacity model counts a queue whose process has a team with members."""
        return self.team_size > 0


def queue_rows(organisation: Organisation) -> list[QueueRow]:
    """Every live queue with its flow and handling time (3 queries whatever the number)."""
    today = timezone.localdate()
    since = today - dt.timedelta(weeks=HISTORY_WEEKS)
    since_moment = dt.datetime.combine(since, dt.time.min, tzinfo=tz_of(organisation))
    queues = list(
        Queue.objects.filter(organisation=organisation, archived_at__isnull=True)
        .select_related("process", "process__team")
        .annotate(arrivals=Count("requests", filter=Q(requests__created_at__gte=since_moment)))
        .order_by("name")
    )
    rows = {
        w.queue_id: w for w in QueueWorkload.objects.filter(queue_id__in=[q.pk for q in queues])
    }
    team_ids = {q.process.team_id for q in queues if q.process and q.process.team_id}
    sizes = dict(
        Team.objects.filter(pk__in=team_ids).annotate(n=Count("members")).values_list("pk", "n")
    )
    days = int(
        np.busday_count(np.datetime64(since, "D"), np.datetime64(today, "D"), weekmask="1111100")
    )
    out = []
    for q in queues:
        team = q.process.team if q.process else None
        row = rows.get(q.pk)
        out.append(
            QueueRow(
                queue=q,
                process=q.process.name if q.process else "",
                team=team.name if team else "",
                team_size=sizes.get(team.pk, 0) if team else 0,
                arrivals_per_day=q.arrivals / days if days else 0.0,
                minutes=row.handling_minutes if row else DEFAULT_HANDLING_MINUTES,
                is_default=row is None,
                version=row.version if row else 0,  # 0: on the default when read
            )
        )
    return out


@organisation_required
@require_http_methods(["GET", "POST"])
def queues(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    manage = can(actor_of(request), Action.MANAGE, organisation)
    rows = queue_rows(organisation)
    status = 200
    posted = request.POST.get("queue", "") if request.method == "POST" else ""
    for row in rows:
        if manage:
            row.form = QueueWorkloadForm(
                request.POST if posted == str(row.queue.pk) else None,
                prefix=f"q{row.queue.pk}",
                initial={"handling_minutes": row.minutes, "version": row.version},
            )
    if request.method == "POST":
        row_posted = next((r for r in rows if str(r.queue.pk) == posted), None)
        if row_posted is None:
            raise Http404("Queue not found.")
        if not manage:
            return render_page(
                request,
                "capacity/pages/queues.html",
                {
                    "section": "people",
                    "rows": rows,
                    "can_manage": False,
                    "refused": "Only an admin sets handling times.",
                },
                status=403,
            )
        form = row_posted.form
        assert form is not None
        status = 422
        if form.is_valid():
            try:
                services.set_queue_workload(
                    actor=actor_of(request),
                    queue=row_posted.queue,
                    handling_minutes=form.cleaned_data["handling_minutes"],
                    expected_version=form.cleaned_data["version"],
                )
            except ServiceError as error:
                status = apply_service_error(form, error)
            else:
                messages.success(request, f"{row_posted.queue.name}: handling time saved.")
                return redirect("capacity:queues")
    return render_page(
        request,
        "capacity/pages/queues.html",
        {"section": "people", "rows": rows, "can_manage": manage, "weeks": HISTORY_WEEKS},
        status=status,
    )
