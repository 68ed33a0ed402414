"""Processes, KPIs, queues, routines and requests in the trash (from ``OperationsConfig.ready``).

A process goes with its KPIs, queues (and their requests) and routines; a queue with its
requests. Measurements, request events, routine steps, occurrences and evidence hide with their
parent through their managers. Purge removes evidence files from storage.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from twofold.core import trash
from twofold.core.policy import Action
from twofold.operations.models import Kpi, Process, Queue, Request, Routine, StepEvidence


def _process_descendants(process: Process) -> list[QuerySet[Any]]:
    return [
        Kpi.objects.filter(process=process),
        Routine.objects.filter(process=process),
    ]  # queues stay (no longer linked once the process is purged), as the page says


def _process_of(obj: Any) -> Any:
    pk = getattr(obj, "process_id", None)
    return None if pk is None else Process.all_objects.get(pk=pk)


def _in_process(obj: Any) -> str:
    process = _process_of(obj)
    return f"in {process}" if process is not None else ""


def _evidence_files(evidence: QuerySet[Any]) -> list[str]:
    return [str(name) for name in evidence.exclude(file="").values_list("file", flat=True) if name]


def _describe(obj: Any) -> str:
    from twofold.operations.services import deletion_impact

    impact = deletion_impact(obj)
    what = ", ".join(f"{n} {words}" for n, words in impact.goes)
    return f"with {what}" if what else ""


def register() -> None:
    kinds = [
        (Process, "process", "operations:process", _process_descendants),
        (Kpi, "KPI", "operations:kpi", None),
        (Queue, "request queue", "operations:queue", lambda q: [Request.objects.filter(queue=q)]),
        (Routine, "routine", "operations:routine", None),
    ]
    purge = {
        Process: lambda p: _evidence_files(
            StepEvidence.all_objects.filter(occurrence__routine__process=p)
        ),
        Routine: lambda r: _evidence_files(StepEvidence.all_objects.filter(occurrence__routine=r)),
    }
    for model, noun, page, descendants in kinds:
        trash.register(
            trash.TrashKind(
                model=model,
                noun=noun,
                action=Action.MANAGE,
                url=lambda obj, page=page: reverse(page, args=[obj.pk]),  # type: ignore[misc]
                descendants=descendants or trash._nothing,
                parent=_process_of if model is not Queue else trash._no_parent,
                context=_in_process,
                describe=_describe,
                before_purge=purge.get(model, trash._no_files),
            )
        )
    trash.register(
        trash.TrashKind(
            model=Request,
            noun="request",
            action=Action.EDIT,
            url=lambda r: reverse("operations:request", args=[r.pk]),
            parent=lambda r: Queue.all_objects.get(pk=r.queue_id),
            context=lambda r: f"in {Queue.all_objects.get(pk=r.queue_id)}",
        )
    )
