"""Continuous-improvement pages: the board, the list, signals, items, handovers. Thin: every
write goes through ``services``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from twofold.core import history
from twofold.core.errors import Forbidden, NotFound, ServiceError
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    apply_service_error,
    forbidden_page,
    organisation_of,
    organisation_required,
    posted_version,
    render_page,
    whole_number,
)
from twofold.improvement import go_live, selectors, services
from twofold.improvement.forms import (
    CompleteForm,
    DecisionForm,
    GoLiveForm,
    HandoverForm,
    ItemForm,
    NewProcessForm,
    StartProjectForm,
    StatusForm,
)
from twofold.improvement.models import (
    NEXT_STATUSES,
    Handover,
    HandoverStatus,
    ImprovementItem,
    ItemStatus,
    Source,
)
from twofold.operations.models import Kpi, Queue, Routine
from twofold.projects import selectors as project_selectors
from twofold.quality import selectors as quality_selectors

T = TypeVar("T")


def _get(request: HttpRequest, getter: Callable[..., T], *args: Any) -> T:
    try:
        obj = getter(request.user, *args)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if getattr(obj, "organisation_id", None) != organisation_of(request).pk:
        raise Http404("Not found.")
    return obj


def _context(request: HttpRequest, tab: str, **extra: Any) -> dict[str, Any]:
    org = organisation_of(request)
    return {
        "section": "improvement",
        "tab": tab,
        "can_edit": can(request.user, Action.EDIT, org),
        "can_manage": can(request.user, Action.MANAGE, org),
        **extra,
    }


@organisation_required
def board(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    return render_page(
        request,
        "improvement/pages/board.html",
        _context(request, "board", columns=selectors.board(org)),
    )


@organisation_required
def item_list(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    status = request.GET.get("status", "")
    source = request.GET.get("source", "")
    sort = request.GET.get("sort", "priority")
    status = status if status in ItemStatus.values else ""
    source = source if source in Source.values else ""
    items = selectors.item_list(org, status=status, source=source, sort=sort)
    return render_page(
        request,
        "improvement/pages/list.html",
        _context(
            request,
            "list",
            items=items,
            status=status,
            source=source,
            sort=sort,
            statuses=ItemStatus.choices,
            sources=Source.choices,
        ),
    )


@organisation_required
def signals(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    return render_page(
        request,
        "improvement/pages/signals.html",
        _context(
            request,
            "signals",
            signals=selectors.signals(org),
            # Open nonconformances are one more source of signals (the quality app owns them).
            nonconformances=quality_selectors.open_signals(org),
        ),
    )


def _origin(request: HttpRequest, data: Any) -> tuple[str, Kpi | Queue | Routine | None]:
    source = data.get("source", Source.IDEA)
    if source not in Source.values or source == Source.IDEA:
        return Source.IDEA, None
    ref = whole_number(data.get("ref"))
    if ref is None:
        raise Http404("Unknown signal.")
    return source, _get(request, selectors.source_object, source, ref)


@organisation_required
def item_new(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    if not can(request.user, Action.EDIT, org):
        return forbidden_page(request, "Your role lets you read improvement items, not add them.")
    source, origin = _origin(request, request.POST if request.method == "POST" else request.GET)
    signal = selectors.signal_for(source, origin) if origin is not None else None
    # Raised already (a second tab, the back button): say so up front; raising again is refused.
    raised = selectors.open_item_from(source, origin) if origin is not None else None
    initial: dict[str, Any] = {}
    if origin is not None:
        initial = {
            "title": signal.headline.replace(" — ", ": ") if signal else str(origin),
            "problem": signal.evidence if signal else "",
            "process": getattr(origin, "process", None),
            "owner": getattr(getattr(origin, "process", None), "owner", None),
        }
    form = ItemForm(
        request.POST if request.method == "POST" else None, organisation=org, initial=initial
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            item = services.create_item(
                actor=actor_of(request),
                organisation=org,
                source=source,
                kpi=origin if isinstance(origin, Kpi) else None,
                queue=origin if isinstance(origin, Queue) else None,
                routine=origin if isinstance(origin, Routine) else None,
                **data,
            )
        except ServiceError as exc:
            status = apply_service_error(form, exc)
        else:
            messages.success(request, f"Improvement “{item.title}” raised.")
            return redirect("improvement:item", item.pk)
    elif request.method == "POST":
        status = 422
    return render_page(
        request,
        "improvement/pages/item_form.html",
        _context(
            request,
            "board",
            form=form,
            item=None,
            source=source,
            origin=origin,
            signal=signal,
            raised=raised,
            title="Raise an improvement",
        ),
        status=status,
    )


@organisation_required
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = organisation_of(request)
    item = _get(request, selectors.get_item, pk)
    if not can(request.user, Action.EDIT, item):
        return forbidden_page(
            request,
            "Your role lets you read this item, not edit it.",
            back=reverse("improvement:item", args=[item.pk]),
        )
    initial = {f: getattr(item, f) for f in services.ITEM_FIELDS} | {"version": item.version}
    form = ItemForm(
        request.POST if request.method == "POST" else None,
        organisation=org,
        editing=True,
        initial=initial,
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.update_item(
                actor=actor_of(request), item=item, expected_version=version, **data
            )
        except ServiceError as exc:
            status = apply_service_error(form, exc)
        else:
            messages.success(request, "Improvement saved.")
            return redirect("improvement:item", item.pk)
    elif request.method == "POST":
        status = 422
    return render_page(
        request,
        "improvement/pages/item_form.html",
        _context(
            request,
            "board",
            form=form,
            item=item,
            source=item.source,
            origin=None,
            signal=None,
            title=f"Edit “{item.title}”",
        ),
        status=status,
    )


STATUS_BUTTONS = {
    ItemStatus.TRIAGED: "Triage",
    ItemStatus.NEW: "Back to new",
    ItemStatus.REJECTED: "Reject",
    ItemStatus.IN_PROGRESS: "Start work",
}


FORWARD = [ItemStatus.NEW, ItemStatus.TRIAGED, ItemStatus.IN_PROGRESS, ItemStatus.DONE]


def _moves(item: ImprovementItem) -> list[tuple[str, str, bool]]:
    """The status buttons: ``(status, label, primary)``, forward moves first.

    Only a forward move is primary; going back (in progress → triaged) is a secondary button
    after it, so the obvious button never undoes work. Rejecting has its own form, and "done"
    its own (it needs the measured result).
    """
    current = FORWARD.index(ItemStatus(item.status)) if item.status in FORWARD else -1
    rows = []
    for s in NEXT_STATUSES[item.status]:
        if s not in STATUS_BUTTONS:
            continue
        forward = s in FORWARD and FORWARD.index(ItemStatus(s)) > current
        label = STATUS_BUTTONS[ItemStatus(s)]
        if not forward and s == ItemStatus.TRIAGED:
            label = "Back to triaged"
        elif not forward and s == ItemStatus.NEW and item.status == ItemStatus.REJECTED:
            label = "Reopen"
        rows.append((s, label, forward))
    rows.sort(key=lambda row: (not row[2], row[0] == ItemStatus.REJECTED))
    return rows


@organisation_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = organisation_of(request)
    item = _get(request, selectors.get_item, pk)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    post = request.POST if action else None
    status_form = StatusForm(post if action == "status" else None)
    start_form = StartProjectForm(
        post if action == "start" else None,
        organisation=org,
        initial={
            "name": item.title,
            "manager": item.owner,
            "target_start": timezone.localdate(),
            "version": item.version,
        },
    )
    complete_form = CompleteForm(
        post if action == "complete" else None, initial={"version": item.version}
    )
    go_live_form = GoLiveForm(
        post if action == "go_live" else None,
        initial={"go_live": item.go_live, "version": item.version},
    )
    code = 200
    if request.method == "POST":
        actor = actor_of(request)
        form: Any = {
            "status": status_form,
            "start": start_form,
            "complete": complete_form,
            "go_live": go_live_form,
        }.get(action)
        if form is None:
            raise Http404("Unknown action.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "status":
                    services.set_status(
                        actor=actor,
                        item=item,
                        status=data["status"],
                        reason=data["reason"],
                        expected_version=data["version"],
                    )
                    messages.success(request, f"Item is now {item.get_status_display().lower()}.")
                elif action == "go_live":
                    go_live.set_item_go_live(
                        actor=actor,
                        item=item,
                        go_live=data["go_live"],
                        expected_version=data["version"],
                    )
                    messages.success(
                        request,
                        "Go-live recorded: the KPIs start a new phase on that day."
                        if data["go_live"]
                        else "Go-live cleared.",
                    )
                elif action == "start":
                    project = services.start_project(
                        actor=actor,
                        item=item,
                        expected_version=data["version"],
                        manager=data["manager"],
                        name=data["name"],
                        target_start=data["target_start"],
                        target_finish=data["target_finish"],
                    )
                    messages.success(request, f"Project {project} started in initiation.")
                else:
                    services.complete_item(
                        actor=actor,
                        item=item,
                        expected_version=data["version"],
                        result=data["result"],
                        result_value=data["result_value"],
                    )
                    messages.success(request, "Improvement done.")
            except ServiceError as exc:
                code = apply_service_error(form, exc)
            else:
                return redirect("improvement:item", item.pk)
        else:
            code = 422
    card = selectors.project_card(org, item.project_id) if item.project_id else None
    moves = _moves(item)
    return render_page(
        request,
        "improvement/pages/item.html",
        _context(
            request,
            "board",
            item=item,
            card=card,
            moves=moves,
            status_form=status_form,
            start_form=start_form,
            complete_form=complete_form,
            go_live_form=go_live_form,
            checks=go_live.item_checks(item),
            action_forms=[status_form, start_form, complete_form, go_live_form],
            can_edit_item=can(request.user, Action.EDIT, item),
            can_start=can(request.user, Action.MANAGE, item)
            and item.is_open
            and not item.project_id,
            can_complete=item.status == ItemStatus.IN_PROGRESS
            and services.running_project(item) is None,
            handovers=selectors.handovers_for_project(item.project_id) if item.project_id else [],
            history=history.history_for(item, viewer=request.user),
        ),
        status=code,
    )


@organisation_required
def handovers(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    user = actor_of(request)
    mine = request.GET.get("mine") == "1"
    rows = selectors.handovers_of(org, owner_id=user.pk if mine else None)
    pending = [h for h in rows if h.status == HandoverStatus.PROPOSED]
    decided = [h for h in rows if h.status != HandoverStatus.PROPOSED]
    return render_page(
        request,
        "improvement/pages/handovers.html",
        _context(request, "handovers", pending=pending, decided=decided, mine=mine),
    )


@organisation_required
def handover_new(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    if not can(request.user, Action.EDIT, org):
        return forbidden_page(request, "Your role lets you read handovers, not start them.")
    initial: dict[str, Any] = {}
    project_id = whole_number(request.GET.get("project"))
    if project_id is not None and project_id > 0:
        try:
            initial["project"] = project_selectors.get_project(request.user, org, project_id)
        except NotFound as exc:
            raise Http404(exc.message) from exc
    form = HandoverForm(
        request.POST if request.method == "POST" else None, organisation=org, initial=initial
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            handover = services.propose_handover(
                actor=actor_of(request),
                project=data["project"],
                process=data["process"],
                deliverables=data["deliverables"],
                note=data["note"],
                new_process_name=data["new_process_name"],
                new_process_owner=data["new_process_owner"],
                new_process_description=data["new_process_description"],
            )
        except ServiceError as exc:
            status = apply_service_error(form, exc)
        else:
            messages.success(request, "Handover proposed to the process owner.")
            return redirect("improvement:handover", handover.pk)
    elif request.method == "POST":
        status = 422
    return render_page(
        request,
        "improvement/pages/handover_form.html",
        _context(request, "handovers", form=form),
        status=status,
    )


@organisation_required
def handover_detail(request: HttpRequest, pk: int) -> HttpResponse:
    handover: Handover = _get(request, selectors.get_handover, pk)
    user = actor_of(request)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    new_process_form = None
    if handover.process_id is None and handover.creates_process:
        new_process_form = NewProcessForm(
            request.POST if action == "new_process" else None,
            organisation=handover.organisation,
            initial={
                "version": handover.version,
                "new_process_name": handover.new_process_name,
                "new_process_owner": handover.new_process_owner_id,
                "new_process_description": handover.new_process_description,
            },
        )
    form = DecisionForm(
        request.POST if action and action != "new_process" else None,
        initial={"version": handover.version},
    )
    code = 200
    if request.method == "POST" and action == "new_process":
        if new_process_form is None:
            raise Http404("This handover goes to an existing process.")
        if new_process_form.is_valid():
            data = new_process_form.cleaned_data
            try:
                services.set_new_process(
                    actor=user,
                    handover=handover,
                    name=data["new_process_name"],
                    owner=data["new_process_owner"],
                    description=data["new_process_description"],
                    expected_version=data["version"],
                )
            except ServiceError as exc:
                code = apply_service_error(new_process_form, exc)
            else:
                messages.success(request, "New process saved.")
                return redirect("improvement:handover", handover.pk)
        else:
            code = 422
    elif request.method == "POST":
        if action not in {"tick", "accept", "return", "resubmit"}:
            raise Http404("Unknown action.")
        if form.is_valid():
            version, note = form.cleaned_data["version"], form.cleaned_data["note"]
            try:
                if action == "tick":
                    done = set(request.POST.getlist("done"))
                    items = [
                        {"text": d["text"], "done": str(i) in done}
                        for i, d in enumerate(handover.deliverables)
                    ]
                    services.update_deliverables(
                        actor=user, handover=handover, deliverables=items, expected_version=version
                    )
                    messages.success(request, "Checklist saved.")
                elif action == "accept":
                    services.accept_handover(
                        actor=user, handover=handover, expected_version=version, note=note
                    )
                    messages.success(request, "Handover accepted: operations now runs it.")
                elif action == "return":
                    services.return_handover(
                        actor=user, handover=handover, expected_version=version, reason=note
                    )
                    messages.success(request, "Handover sent back to the project.")
                else:
                    services.resubmit_handover(
                        actor=user, handover=handover, expected_version=version, note=note
                    )
                    messages.success(request, "Handover resubmitted.")
            except ServiceError as exc:
                code = apply_service_error(form, exc)
            else:
                return redirect("improvement:handover", handover.pk)
        else:
            code = 422
    may_decide = services.may_decide(user, handover)
    may_propose = services.may_propose(user, handover.project)
    return render_page(
        request,
        "improvement/pages/handover.html",
        _context(
            request,
            "handovers",
            handover=handover,
            form=form,
            may_decide=may_decide and handover.status == HandoverStatus.PROPOSED,
            may_accept=services.may_accept_own(user, handover),
            may_tick=may_propose and handover.status != HandoverStatus.ACCEPTED,
            may_resubmit=may_propose and handover.status == HandoverStatus.RETURNED,
            items=selectors.items_for_project(handover.project_id),
            history=history.history_for(handover, viewer=request.user),
            new_process_form=new_process_form
            if new_process_form is not None and services.may_draft_new_process(user, handover)
            else None,
        ),
        status=code,
    )


__all__ = ["ImprovementItem"]


@require_POST
@organisation_required
def item_trash(request: HttpRequest, pk: int) -> HttpResponse:
    """Move an improvement item to the trash (members); back to the list with a message."""
    item = _get(request, selectors.get_item, pk)
    raw = request.POST.get("version", "")
    try:
        services.trash_item(
            actor=actor_of(request), item=item, expected_version=posted_version(raw)
        )
    except Forbidden as exc:
        return forbidden_page(
            request, exc.message, back=reverse("improvement:item", args=[item.pk])
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("improvement:item", item.pk)
    messages.success(request, f"“{item.title}” moved to the trash: an admin can restore it.")
    return redirect("improvement:list")
