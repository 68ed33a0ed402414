"""Both sides on each other's pages (registered in ``ImprovementConfig.ready``, see core.panels).

* Operations overview, per process: the projects changing it (phase, health, go-live date) and
  its open improvement items.
* A project's overview: the processes it changes, with each one's KPI states and go-live date,
  and (for those who may edit the project) the form to link a process or set its go-live.

Each provider reads with a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from twofold.core.fastread import FastRead, FastRows, Read
from twofold.core.policy import Action, can
from twofold.core.web import organisation_of
from twofold.improvement.models import OPEN_STATUSES, ImprovementItem, ProcessChange
from twofold.operations.models import Kpi, Process
from twofold.projects.models import Phase, Project


def _health_by_project(organisation: Any, project_ids: set[int]) -> dict[int, Any]:
    """Health of the given projects, from the portfolio (one pass, constant queries)."""
    if not project_ids:
        return {}
    from twofold.projects import selectors as projects

    return {
        c.project.pk: c.health
        for c in projects.portfolio(organisation, sparklines=False)
        if c.project.pk in project_ids
    }


@dataclass
class ProcessSide:
    changes: list[ProcessChange] = field(default_factory=list)
    items: list[ImprovementItem] = field(default_factory=list)


def process_cards(request: HttpRequest, process_ids: Sequence[int]) -> dict[int, SafeString]:
    """Per process: projects changing it (not closed or archived) and open improvement items."""
    org = organisation_of(request)
    sides: dict[int, ProcessSide] = defaultdict(ProcessSide)
    changes = (
        ProcessChange.objects.filter(
            organisation=org, process_id__in=list(process_ids), project__archived_at__isnull=True
        )
        .select_related("project")
        .order_by("go_live", "project__name")
    )
    for change in changes:
        sides[change.process_id].changes.append(change)
    items = ImprovementItem.objects.filter(
        organisation=org, process_id__in=list(process_ids), status__in=OPEN_STATUSES
    ).only("id", "title", "status", "process_id", "go_live")
    for item in items:
        if item.process_id is not None:
            sides[item.process_id].items.append(item)
    health = _health_by_project(org, {c.project_id for s in sides.values() for c in s.changes})
    out = {}
    for pk, side in sides.items():
        rows = [(c, health.get(c.project_id)) for c in side.changes]
        out[pk] = mark_safe(  # noqa: S308 - rendered by the template engine (escaped)
            render_to_string(
                "improvement/partials/process_side.html",
                {"rows": rows, "items": side.items[:5], "more_items": len(side.items) - 5},
            )
        )
    return out


@dataclass
class AffectedProcess:
    change: ProcessChange
    kpis: list[Kpi]

    @property
    def signal(self) -> bool:
        return any(k.state == "signal" for k in self.kpis)


# The project overview's panel reads, compiled once (core/fastread.py). Raw SQL bypasses
# ``ProcessChange.objects``, so it leaves out a process in the trash itself, as the API does.
_CHANGES_OF = FastRead(
    ProcessChange,
    "t.project_id = %s AND r.deleted_at IS NULL",
    order_by="t.id",
    related="process",
)
_LIVE_PROCESSES = FastRows(
    Process,
    lambda organisation_id: (
        Process.objects.filter(organisation_id=organisation_id, archived_at__isnull=True)
        .order_by("name")
        .values_list("id", "name")
    ),
)


# The live KPIs of the processes a project changes, in one read by the project's id (so the
# page can send it ahead with the changes, before it knows which processes they are).
_KPIS_OF_PROJECT = FastRead(
    Kpi,
    f"t.process_id IN (SELECT c.process_id FROM {ProcessChange._meta.db_table} c"  # noqa: S608
    " WHERE c.project_id = %s) AND t.archived_at IS NULL AND t.deleted_at IS NULL",
    order_by="t.name, t.id",
)


def project_overview_reads(project: Project) -> list[Read]:
    """:func:`project_overview`'s reads, to read ahead (``core.readahead``, panel
    ``process_changes``). The processes to link are sent for everyone; the panel uses them
    only for those who may edit."""
    return [
        (_CHANGES_OF, [project.pk]),
        (_KPIS_OF_PROJECT, [project.pk]),
        (_LIVE_PROCESSES, [project.organisation_id]),
    ]


class ProcessChoice(NamedTuple):
    id: int
    name: str


def affected_processes(project: Project) -> list[AffectedProcess]:
    """The processes ``project`` changes, with their live KPIs (two queries; one when it
    changes none)."""
    changes = _CHANGES_OF.all([project.pk])
    kpis: dict[int, list[Kpi]] = defaultdict(list)
    for kpi in _KPIS_OF_PROJECT.all([project.pk]) if changes else []:
        kpis[kpi.process_id].append(kpi)
    return [AffectedProcess(c, kpis[c.process_id]) for c in changes]


def project_overview(request: HttpRequest, project: Project) -> SafeString:
    """The "Processes this project changes" panel of a project's overview."""
    affected = affected_processes(project)
    may_edit = can(request.user, Action.EDIT, project)
    linked = {a.change.process_id for a in affected}
    choices = []
    if may_edit:
        choices = [
            ProcessChoice(pk, name)
            for pk, name in _LIVE_PROCESSES.rows(project.organisation_id)
            if pk not in linked
        ]
    return mark_safe(  # noqa: S308 - rendered by the template engine (escaped)
        render_to_string(
            "improvement/partials/project_side.html",
            {
                "project": project,
                "affected": affected,
                "may_edit": may_edit,
                "choices": choices,
                "closed": project.phase == Phase.CLOSURE and project.archived_at is not None,
            },
            request=request,
        )
    )
