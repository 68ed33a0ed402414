"""Close-out pages: the handover's operational parts (htmx sections on the handover page),
hypercare, and lessons learned. Thin: every write goes through ``services``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from twofold.closeout import selectors, services
from twofold.closeout.forms import (
    DocumentForm,
    HypercareForm,
    LessonForm,
    PartKpiForm,
    PartQueueForm,
    PartRoutineForm,
    ProcessChangeForm,
    ToImprovementForm,
    ToRiskForm,
    ToTemplateForm,
)
from twofold.closeout.models import HandoverPart, Lesson, PartKind
from twofold.closeout.parts import describe
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
from twofold.improvement import selectors as improvement_selectors
from twofold.improvement.models import Handover, HandoverStatus
from twofold.operations.forms import StepFormSet
from twofold.operations.models import Process
from twofold.project_templates.models import ProjectTemplate
from twofold.projects import selectors as project_selectors
from twofold.projects.models import Phase, Project

RESULT_URL = {
    PartKind.PROCESS: "operations:process",
    PartKind.ROUTINE: "operations:routine",
    PartKind.KPI: "operations:kpi",
    PartKind.QUEUE: "operations:queue",
}


def _handover(request: HttpRequest, pk: int) -> Handover:
    try:
        handover = improvement_selectors.get_handover(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if handover.organisation_id != organisation_of(request).pk:
        raise Http404("Not found.")
    return handover


def blank_form(kind: str, handover: Handover, data: Any = None, files: Any = None) -> Any:
    process = handover.process
    if kind == PartKind.ROUTINE:
        return PartRoutineForm(
            data, process=process, organisation=handover.organisation, prefix="routine"
        )
    if kind == PartKind.KPI:
        return PartKpiForm(data, process=process, prefix="kpi")
    if kind == PartKind.QUEUE:
        return PartQueueForm(
            data, process=process, organisation=handover.organisation, prefix="queue"
        )
    if kind == PartKind.PROCESS:
        return ProcessChangeForm(data, organisation=handover.organisation, prefix="process")
    return DocumentForm(data, files, prefix="document")


def section_context(
    request: HttpRequest,
    handover: Handover,
    kind: str,
    parts: list[HandoverPart],
    form: Any = None,
    steps: Any = None,
) -> dict[str, Any]:
    may_draft = services.may_draft(actor_of(request), handover)
    if may_draft and form is None:
        form = blank_form(kind, handover)
    if kind == PartKind.ROUTINE and may_draft and steps is None:
        steps = StepFormSet(prefix="steps")
    for part in parts:
        part.summary = describe(part.kind, part.name, part.spec)  # type: ignore[attr-defined]
        url = RESULT_URL.get(PartKind(part.kind))
        part.result_url = reverse(url, args=[part.result_id]) if url and part.result_id else ""  # type: ignore[attr-defined]
    return {
        "handover": handover,
        "kind": kind,
        "label": PartKind(kind).label,
        "parts": parts,
        "form": form,
        "steps": steps,
        "may_draft": may_draft,
        "accepted": handover.status == HandoverStatus.ACCEPTED,
    }


def _name_of(kind: str, form: Any) -> str:
    return "" if kind == PartKind.PROCESS else str(form.cleaned_data.get("name") or "")


@organisation_required
def section(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """One kind's section of the handover page; POST drafts a part of that kind."""
    handover = _handover(request, pk)
    if kind not in PartKind.values:
        raise Http404("Unknown kind.")
    form, steps, code = None, None, 200
    if request.method == "POST":
        form = blank_form(kind, handover, request.POST, request.FILES)
        steps = StepFormSet(request.POST, prefix="steps") if kind == PartKind.ROUTINE else None
        if form.is_valid() and (steps is None or steps.is_valid()):
            spec = (
                form.spec(steps)
                if kind == PartKind.ROUTINE
                else (
                    {"doc_kind": form.cleaned_data["doc_kind"]}
                    if kind == PartKind.DOCUMENT
                    else form.spec()
                )
            )
            existing = form.cleaned_data.get("existing")
            try:
                services.add_part(
                    actor=actor_of(request),
                    handover=handover,
                    kind=kind,
                    name=_name_of(kind, form),
                    spec=spec,
                    existing_id=existing.pk if existing else None,
                    file=request.FILES.get("document-file"),
                )
            except ServiceError as exc:
                code = apply_service_error(form, exc)
            else:
                if not request.htmx:  # type: ignore[attr-defined]
                    messages.success(request, f"{PartKind(kind).label} drafted.")
                    return redirect("improvement:handover", handover.pk)
                form, steps = None, None
        else:
            code = 422
    parts = [p for p in selectors.parts_of(handover) if p.kind == kind]
    return render_page(
        request,
        "closeout/pages/section.html",
        {"section": "improvement", **section_context(request, handover, kind, parts, form, steps)},
        partial="closeout/partials/section.html",
        status=code,
    )


@organisation_required
@require_POST
def remove_part(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        part = selectors.get_part(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    handover = _handover(request, part.handover_id)
    kind = part.kind
    code = 200
    try:
        services.remove_part(
            actor=actor_of(request),
            part=part,
            expected_version=posted_version(request.POST.get("version")),
        )
    except Forbidden as exc:
        back = reverse("improvement:handover", args=[handover.pk])
        return forbidden_page(request, exc.message, back=back)
    except ServiceError as exc:
        if not request.htmx:  # type: ignore[attr-defined]
            messages.error(request, exc.message)
            return redirect("improvement:handover", handover.pk)
        code = exc.status
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("improvement:handover", handover.pk)
    parts = [p for p in selectors.parts_of(handover) if p.kind == kind]
    return render_page(
        request,
        "closeout/pages/section.html",
        section_context(request, handover, kind, parts),
        partial="closeout/partials/section.html",
        status=code,
    )


@organisation_required
@require_POST
def hypercare(request: HttpRequest, pk: int) -> HttpResponse:
    handover = _handover(request, pk)
    form = HypercareForm(request.POST, prefix="hypercare")
    if form.is_valid():
        try:
            services.set_hypercare(
                actor=actor_of(request),
                handover=handover,
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
                expected_version=form.cleaned_data.get("version"),
            )
        except Forbidden as exc:
            back = reverse("improvement:handover", args=[handover.pk])
            return forbidden_page(request, exc.message, back=back)
        except ServiceError as exc:
            apply_service_error(form, exc)
    if form.errors:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, str(e))
    else:
        messages.success(request, "Hypercare saved.")
    return redirect(reverse("improvement:handover", args=[handover.pk]) + "#co-hypercare")


# --- Lessons -----------------------------------------------------------------------------------


def _lesson(request: HttpRequest, pk: int) -> Lesson:
    try:
        lesson = selectors.get_lesson(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if lesson.organisation_id != organisation_of(request).pk:
        raise Http404("Not found.")
    return lesson


@organisation_required
def lessons(request: HttpRequest) -> HttpResponse:
    """Every lesson of the organisation, filtered by words, process, template, project, outcome."""
    org = organisation_of(request)
    params = request.GET
    chosen: dict[str, Any] = {
        "q": params.get("q", "").strip()[:200],
        "project": whole_number(params.get("project")),
        "process": whole_number(params.get("process")),
        "template": whole_number(params.get("template")),
        "outcome": params.get("outcome", "")
        if params.get("outcome") in {"improvement", "risk", "template", "none"}
        else "",
    }
    rows = selectors.lessons_of(
        org,
        q=chosen["q"],
        project_id=chosen["project"],
        process_id=chosen["process"],
        template_id=chosen["template"],
        outcome=chosen["outcome"],
    )
    return render_page(
        request,
        "closeout/pages/lessons.html",
        {
            "section": "improvement",
            "tab": "lessons",
            "lessons": rows,
            "chosen": chosen,
            "filtered": any(chosen.values()),
            "processes": Process.objects.filter(organisation=org).order_by("name"),
            "templates": ProjectTemplate.objects.filter(organisation=org).order_by("name"),
            "projects": Project.objects.filter(organisation=org).order_by("code"),
        },
        partial="closeout/partials/lesson_rows.html",
    )


@organisation_required
def project_lessons(request: HttpRequest, pk: int) -> HttpResponse:
    """A project's lessons, and the form to record one while the project is in closure."""
    org = organisation_of(request)
    try:
        project = project_selectors.get_project(request.user, org, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    may_record = project.phase == Phase.CLOSURE and can(request.user, Action.EDIT, project)
    form = LessonForm(request.POST or None, organisation=org)
    code = 200
    if request.method == "POST":
        if not can(request.user, Action.EDIT, project):
            return forbidden_page(
                request,
                "Your role lets you read lessons, not record them.",
                back=reverse("closeout:project_lessons", args=[project.pk]),
            )
        if not may_record:
            raise Http404("Not found.")
        if form.is_valid():
            try:
                lesson = services.record_lesson(
                    actor=actor_of(request), project=project, **form.values()
                )
            except ServiceError as exc:
                code = apply_service_error(form, exc)
            else:
                messages.success(request, f"Lesson “{lesson.title}” recorded.")
                return redirect("closeout:lesson", lesson.pk)
        else:
            code = 422
    return render_page(
        request,
        "closeout/pages/project_lessons.html",
        {
            "section": "projects",
            "project": project,
            "lessons": selectors.lessons_of(org, project_id=project.pk),
            "form": form,
            "may_record": may_record,
        },
        status=code,
    )


@organisation_required
def lesson_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One lesson: edit it, or turn it into an improvement item, a risk or a template change."""
    lesson = _lesson(request, pk)
    org = organisation_of(request)
    user = actor_of(request)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    bound = request.POST if action else None
    version = {"version": lesson.version}
    edit = LessonForm(
        bound if action == "edit" else None,
        organisation=org,
        initial={**version, **{f: getattr(lesson, f) for f in services.LESSON_FIELDS}},
    )
    to_item = ToImprovementForm(
        bound if action == "improvement" else None,
        organisation=org,
        initial={**version, "process": lesson.process_id},
    )
    to_risk = ToRiskForm(bound if action == "risk" else None, organisation=org, initial=version)
    to_template = ToTemplateForm(
        bound if action == "template" else None,
        organisation=org,
        initial={**version, "template": lesson.template_id, "text": lesson.recommendation[:200]},
    )
    forms = {"edit": edit, "improvement": to_item, "risk": to_risk, "template": to_template}
    code = 200
    if action:
        form = forms.get(action)
        if form is None:
            raise Http404("Unknown action.")
        if form.is_valid():
            d = form.cleaned_data
            try:
                if action == "edit":
                    services.update_lesson(
                        actor=user, lesson=lesson, expected_version=d["version"], **edit.values()
                    )
                    messages.success(request, "Lesson saved.")
                elif action == "improvement":
                    item = services.lesson_to_improvement(
                        actor=user,
                        lesson=lesson,
                        expected_version=d["version"],
                        process=d["process"],
                        owner=d["owner"],
                    )
                    messages.success(request, f"Improvement item “{item.title}” raised.")
                elif action == "risk":
                    risk = services.lesson_to_risk(
                        actor=user,
                        lesson=lesson,
                        expected_version=d["version"],
                        project=d["project"],
                        probability=d["probability"],
                        impact=d["impact"],
                    )
                    messages.success(request, f"Risk raised on {risk.project.code}.")
                else:
                    services.lesson_to_template(
                        actor=user,
                        lesson=lesson,
                        expected_version=d["version"],
                        template=d["template"],
                        phase=d["phase"],
                        text=d["text"],
                    )
                    messages.success(request, f"Added to {d['template'].name}'s checklist.")
            except ServiceError as exc:
                code = apply_service_error(form, exc)
            else:
                return redirect("closeout:lesson", lesson.pk)
        else:
            code = 422
    return render_page(
        request,
        "closeout/pages/lesson.html",
        {
            "section": "improvement",
            "tab": "lessons",
            "lesson": lesson,
            "forms": forms,
            "open_form": action,
            "can_edit": can(user, Action.EDIT, lesson),
            "can_manage": can(user, Action.MANAGE, lesson),
            "history": history.history_for(lesson, viewer=request.user),
        },
        status=code,
    )
