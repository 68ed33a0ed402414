"""Cost pages: the weekly timesheet (and timer), approvals, expenses, rates and currency,
process budgets by fiscal year, a project's actual work and cost, and the exports.

Views are thin: they parse forms and call the same services as the API.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from twofold.accounts.models import User
from twofold.core.errors import Forbidden, Invalid, NotFound, ServiceError
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    apply_service_error,
    forbidden_page,
    organisation_of,
    organisation_required,
    posted_version,
    render_page,
    same_site_path,
)
from twofold.costs import budget_sync, exports, grid_html, selectors, services
from twofold.costs.forms import (
    BudgetForm,
    CostSettingsForm,
    DecisionForm,
    ExpenseForm,
    RateForm,
    ResubmitForm,
)
from twofold.costs.models import EntryStatus, Expense, Rate, Timesheet
from twofold.costs.weeks import week_grid
from twofold.operations.models import Process
from twofold.projects.models import Project, Task


def _week_of(request: HttpRequest) -> dt.date:
    org = organisation_of(request)
    try:
        day = dt.date.fromisoformat(request.GET.get("week", "") or request.POST.get("week", ""))
    except ValueError:
        day = timezone.localdate()
    day = min(max(day, dt.date(2000, 1, 1)), dt.date(2100, 12, 31))
    return services.week_start_of(org, day)


def _cells_from(post: Any, start: dt.date) -> list[services.Cell]:
    cells = []
    for name, value in post.items():
        if not name.startswith("h|"):
            continue
        _, line, day = [*name.split("|"), "", ""][:3]
        try:
            when = dt.date.fromisoformat(day)
        except ValueError:
            continue
        cells.append(services.Cell(line, when, value.strip().replace(",", ".")))
    return cells


@organisation_required
def timesheet(request: HttpRequest) -> HttpResponse:
    """A person's week: lines × days, totals against their availability; saving keeps drafts."""
    org, user = organisation_of(request), actor_of(request)
    start = _week_of(request)
    extra = {request.GET["add"]} if request.GET.get("add") else set()
    error, status = "", 200
    if not can(user, Action.CONTRIBUTE, org):
        # Not a grid with "Save" buttons that then refuse: guests do not log time.
        return forbidden_page(request, "Guests do not log time.")
    if request.method == "POST":
        try:
            raw = request.POST.get("version", "")
            version = posted_version(raw)
            cells = _cells_from(request.POST, start)
            if cells:
                services.save_cells(
                    actor=user,
                    organisation=org,
                    person=user,
                    week_start=start,
                    cells=cells,
                    expected_version=version,
                )
            sheet = Timesheet.objects.filter(
                organisation=org, person=user, week_start=start
            ).first()
            if request.POST.get("submit") and sheet is None:
                raise Invalid("There are no hours to submit this week.", field="week")
            if request.POST.get("submit") and sheet is not None:
                sent = services.submit_timesheet(
                    actor=user, timesheet=sheet, expected_version=sheet.version
                )
                messages.success(
                    request, f"Submitted {sent} entr{'y' if sent == 1 else 'ies'} for approval."
                )
            else:
                messages.success(request, "Saved.")
            return redirect(f"{reverse('costs:timesheet')}?week={start.isoformat()}")
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except Forbidden as exc:
            return forbidden_page(request, exc.message)
        except ServiceError as exc:
            error, status = exc.message, exc.status
    try:
        week = week_grid(org, user, start, extra=extra)
    except Invalid:
        week = week_grid(org, user, start)
    if error:
        for row in week.rows:
            for c in row.cells:
                c.typed = request.POST.get(f"h|{row.line.key}|{c.day.isoformat()}")
    addable = _addable_lines(org, user, {r.line.key for r in week.rows})
    return render_page(
        request,
        "costs/pages/timesheet.html",
        {
            "week": week,
            "rows": grid_html.week_rows(week),
            "error": error,
            "addable": addable,
            "addable_options": grid_html.options(addable),
            "previous": start - dt.timedelta(days=7),
            "next": start + dt.timedelta(days=7),
            "this_week": services.week_start_of(org, timezone.localdate()),
            "section": "time",
        },
        status=status,
    )


def _addable_lines(org: Any, user: User, shown: set[str]) -> list[tuple[str, str]]:
    """Processes ("process: general") and open tasks of projects the person works on."""
    options = [
        (f"process:{pk}", f"Process: {name} — general")
        for pk, name in Process.objects.filter(
            organisation=org, deleted_at__isnull=True, archived_at__isnull=True
        ).values_list("pk", "name")
    ]
    managed = list(
        Project.objects.filter(
            organisation=org, manager_id=user.pk, archived_at__isnull=True
        ).values_list("pk", flat=True)[:50]
    )
    # By project (its index), not by organisation: the latter would read every task.
    tasks = (
        Task.objects.filter(project_id__in=managed, is_summary=False)
        .exclude(status="done")
        .order_by("project_id", "position")
        .values_list("pk", "name", "project__code")[:60]
    )
    options += [(f"task:{pk}", f"{code} · {name}") for pk, name, code in tasks]
    return [o for o in options if o[0] not in shown]


@require_POST
@organisation_required
def timer_start(request: HttpRequest) -> HttpResponse:
    org, user = organisation_of(request), actor_of(request)
    line = request.POST.get("line", "")
    try:
        services.start_timer(actor=user, organisation=org, line=line)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Forbidden as exc:
        return forbidden_page(request, exc.message)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("costs:timesheet")
    messages.success(request, "Timer started.")
    return redirect(_safe_next(request) or reverse("costs:timesheet"))


@require_POST
@organisation_required
def timer_stop(request: HttpRequest) -> HttpResponse:
    org, user = organisation_of(request), actor_of(request)
    try:
        stopped = services.stop_timer_explained(actor=user, organisation=org)
    except Forbidden as exc:
        return forbidden_page(request, exc.message)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("costs:timesheet")
    if stopped.hours:
        messages.success(request, f"Timer stopped: {stopped.hours} h added to today.")
    else:
        messages.warning(request, f"Timer stopped, nothing logged: {stopped.note}")
    return redirect(_safe_next(request) or reverse("costs:timesheet"))


def _safe_next(request: HttpRequest) -> str:
    """The page to go back to: a path on this site only (not ``//host`` nor ``/\\host``)."""
    return same_site_path(request, request.POST.get("next", ""))


@organisation_required
def approvals(request: HttpRequest) -> HttpResponse:
    """Weeks and expenses waiting for the viewer's decision."""
    org, user = organisation_of(request), actor_of(request)
    if request.method == "POST":
        return HttpResponse(status=405)
    expenses = list(
        selectors.visible_expenses(user, org.pk)
        .filter(status=EntryStatus.SUBMITTED)
        .filter(selectors.decides_filter(user, org.pk))[:200]
    )
    return render_page(
        request,
        "costs/pages/approvals.html",
        {"weeks": selectors.pending_weeks(user, org.pk), "expenses": expenses, "section": "time"},
    )


def _timesheet(request: HttpRequest, timesheet_id: int) -> Timesheet:
    sheet = (
        Timesheet.objects.filter(pk=timesheet_id, organisation=organisation_of(request))
        .select_related("person", "organisation")
        .first()
    )
    if sheet is None:
        raise Http404("Not found.")
    return sheet


@organisation_required
def approval(request: HttpRequest, timesheet_id: int) -> HttpResponse:
    """One submitted week: its lines and days; approve or return the lines the viewer decides."""
    org, user = organisation_of(request), actor_of(request)
    sheet = _timesheet(request, timesheet_id)
    mine = sheet.person_id == user.pk
    everything = selectors.sees_all_money(user, org.pk)
    decides = everything or sheet.entries.filter(selectors.decides_filter(user, org.pk)).exists()
    if not decides and not mine:  # a week one may not see is not there (no existence oracle)
        raise Http404("Not found.")
    form = DecisionForm(request.POST or None, initial={"version": sheet.version})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            approve = "approve" in request.POST
            try:
                done = services.decide_timesheet(
                    actor=user,
                    timesheet=sheet,
                    approve=approve,
                    expected_version=form.cleaned_data["version"],
                    reason=form.cleaned_data["reason"],
                )
                messages.success(
                    request,
                    f"{'Approved' if approve else 'Returned'} {done} entr{'y' if done == 1 else 'ies'}.",
                )
                return redirect("costs:approvals")
            except ServiceError as exc:
                status = apply_service_error(form, exc)
        else:
            status = 400
    # A project manager or process owner sees the part of the week they decide, not the rest
    # of it (lines on projects and processes that are not theirs, and the hours on them in the
    # totals): the grid is built from the entries they decide (``selectors.decides_filter``,
    # the rule of the API's time entries), entry by entry, so a line holding hours on two
    # processes (a request whose queue moved) counts only the hours on theirs. The person and
    # admins and owners see the whole week.
    partial = not (mine or everything)
    week = week_grid(
        org,
        sheet.person,
        sheet.week_start,
        suggest=False,
        only=selectors.decides_filter(user, org.pk) if partial else None,
    )
    decidable = {
        e.line_key
        for e in sheet.entries.filter(selectors.decides_filter(user, org.pk)).only(
            # timesheet_id too: the related manager reads it on every row (a query each)
            "kind",
            "task_id",
            "occurrence_id",
            "request_id",
            "process_id",
            "timesheet_id",
        )
    }
    return render_page(
        request,
        "costs/pages/approval.html",
        {
            "sheet": sheet,
            "week": week,
            "form": form,
            "decidable": decidable,
            "partial": partial,
            "mine": mine,
            "section": "time",
        },
        status=status,
    )


def _expense_targets(org: Any) -> list[tuple[str, str]]:
    projects = Project.objects.filter(organisation=org, archived_at__isnull=True).values_list(
        "pk", "code", "name"
    )
    processes = Process.objects.filter(organisation=org, archived_at__isnull=True).values_list(
        "pk", "name"
    )
    return [(f"project:{pk}", f"Project {code} {name}") for pk, code, name in projects] + [
        (f"process:{pk}", f"Process {name}") for pk, name in processes
    ]


@organisation_required
def expenses(request: HttpRequest) -> HttpResponse:
    """Expenses the viewer recorded or decides, and a form to record one."""
    org, user = organisation_of(request), actor_of(request)
    form = ExpenseForm(request.POST or None, request.FILES or None)
    form.fields["target"].choices = _expense_targets(org)  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST":
        if not can(user, Action.CONTRIBUTE, org):
            return forbidden_page(request, "Guests do not record expenses.")
        if form.is_valid():
            data = form.cleaned_data
            kind, _, pk = data["target"].partition(":")
            try:
                target = services.resolve_expense_target(org, **{f"{kind}_id": int(pk)})
                services.create_expense(
                    actor=user,
                    organisation=org,
                    spent_on=data["spent_on"],
                    category=data["category"],
                    amount=data["amount"],
                    description=data["description"],
                    supplier=data["supplier"],
                    attachment=data.get("attachment"),
                    **target,
                )
                messages.success(request, "Expense recorded; it waits for approval.")
                return redirect("costs:expenses")
            except ServiceError as exc:
                status = apply_service_error(form, exc)
        else:
            status = 400
    rows = list(selectors.visible_expenses(user, org.pk)[:200])
    return render_page(
        request,
        "costs/pages/expenses.html",
        {
            "form": form,
            "expenses": rows,
            "can_record": can(user, Action.CONTRIBUTE, org),
            "section": "time",
        },
        status=status,
    )


def _expense(request: HttpRequest, expense_id: int) -> Expense:
    """The expense if the viewer may see it (recorded it or decides it); else 404, as for an id
    that does not exist: a 403 would confirm that it does."""
    org, user = organisation_of(request), actor_of(request)
    found: Expense | None = selectors.visible_expenses(user, org.pk).filter(pk=expense_id).first()
    if found is None:
        raise Http404("Not found.")
    return found


@organisation_required
def expense(request: HttpRequest, expense_id: int) -> HttpResponse:
    """One expense: its details and attachment; approve or return it."""
    item = _expense(request, expense_id)
    user = actor_of(request)
    resubmitting = request.method == "POST" and "resubmit" in request.POST
    form = DecisionForm(
        request.POST if request.method == "POST" and not resubmitting else None,
        initial={"version": item.version},
    )
    fix = ResubmitForm(
        request.POST if resubmitting else None,
        initial={"version": item.version, "amount": item.amount, "description": item.description},
    )
    status = 200
    if resubmitting:
        if fix.is_valid():
            try:
                services.resubmit_expense(
                    actor=user,
                    expense=item,
                    expected_version=fix.cleaned_data["version"],
                    amount=fix.cleaned_data["amount"],
                    description=fix.cleaned_data["description"],
                )
                messages.success(request, "Expense corrected and sent for approval again.")
                return redirect("costs:expense", item.pk)
            except ServiceError as exc:
                status = apply_service_error(fix, exc)
        else:
            status = 400
    elif request.method == "POST":
        if form.is_valid():
            approve = "approve" in request.POST
            try:
                services.decide_expense(
                    actor=actor_of(request),
                    expense=item,
                    approve=approve,
                    expected_version=form.cleaned_data["version"],
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, "Expense approved." if approve else "Expense returned.")
                return redirect("costs:approvals")
            except ServiceError as exc:
                status = apply_service_error(form, exc)
        else:
            status = 400
    decides = (
        item.status == EntryStatus.SUBMITTED
        and Expense.objects.filter(pk=item.pk)
        .filter(selectors.decides_filter(user, item.organisation_id))
        .exists()
    )
    return render_page(
        request,
        "costs/pages/expense.html",
        {
            "expense": item,
            "form": form,
            "decides": decides,
            "fix": fix,
            "corrects": item.status == EntryStatus.RETURNED and item.submitted_by_id == user.pk,
            "section": "time",
        },
        status=status,
    )


@require_GET
@organisation_required
def expense_attachment(request: HttpRequest, expense_id: int) -> HttpResponse:
    item = _expense(request, expense_id)
    if not item.attachment:
        raise Http404("No attachment.")
    return receipt_response(item)


def receipt_response(item: Expense) -> HttpResponse:
    """An expense's receipt as a download with safe headers (the page's and the API's)."""
    from twofold.core.uploads import SERVED_AS, extension_of, safe_response

    name = item.attachment_name or "attachment"
    try:
        handle = item.attachment.open("rb")
        size = item.attachment.size
    except FileNotFoundError as exc:  # the stored file is gone (a restore without media...)
        raise Http404("The receipt's file is missing.") from exc
    return safe_response(  # type: ignore[return-value]
        handle,
        original_name=name,
        size=size,
        content_type=SERVED_AS.get(extension_of(name), "application/octet-stream"),
    )


@organisation_required
def rates(request: HttpRequest) -> HttpResponse:
    """Currency and the rates of people and roles, with their history (admins and owners)."""
    org, user = organisation_of(request), actor_of(request)
    if not can(user, Action.MANAGE, org):
        return forbidden_page(request, "Rates are visible to admins and owners only.")
    current = selectors.cost_settings(org.pk)
    settings_form = CostSettingsForm(
        request.POST if "currency" in request.POST else None,
        initial={
            "currency": current.currency,
            "locale": current.locale,
            "version": current.version,
        },
    )
    form = RateForm(request.POST if "hourly" in request.POST else None)
    form.fields["person"].queryset = User.objects.filter(memberships__organisation=org)  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST":
        target = settings_form if "currency" in request.POST else form
        if target.is_valid():
            data = target.cleaned_data
            try:
                if target is settings_form:
                    services.update_cost_settings(
                        actor=user,
                        organisation=org,
                        currency=data["currency"],
                        locale=data["locale"],
                        expected_version=data.get("version"),
                    )
                    messages.success(request, "Currency saved.")
                else:
                    services.create_rate(
                        actor=user,
                        organisation=org,
                        person=data["person"],
                        role=data["role"],
                        hourly=data["hourly"],
                        overtime_factor=data["overtime_factor"],
                        effective_from=data["effective_from"],
                    )
                    messages.success(request, "Rate added.")
                return redirect("costs:rates")
            except ServiceError as exc:
                status = apply_service_error(target, exc)
        else:
            status = 400
    return render_page(
        request,
        "costs/pages/rates.html",
        {
            "rates": selectors.rate_history(org.pk),
            "form": form,
            "settings_form": settings_form,
            "section": "settings",
        },
        status=status,
    )


@require_POST
@organisation_required
def rate_delete(request: HttpRequest, rate_id: int) -> HttpResponse:
    org, user = organisation_of(request), actor_of(request)
    rate = Rate.objects.filter(pk=rate_id, organisation=org).first()
    if rate is None:
        raise Http404("Not found.")
    try:
        services.delete_rate(actor=user, rate=rate)
    except Forbidden as exc:
        return forbidden_page(request, exc.message)
    messages.success(request, "Rate removed.")
    return redirect("costs:rates")


def _fiscal_year(request: HttpRequest) -> int:
    org = organisation_of(request)
    try:
        year = int(request.GET.get("fy", ""))
    except ValueError:
        year = budget_sync.current_fiscal_year(org)  # in the organisation's zone
    return min(max(year, 2000), 2100)


@organisation_required
def process_budget(request: HttpRequest, process_id: int) -> HttpResponse:
    """A process's budget for a fiscal year against its actuals, month by month."""
    org, user = organisation_of(request), actor_of(request)
    process = (
        Process.objects.filter(pk=process_id, organisation=org, deleted_at__isnull=True)
        .select_related("organisation")
        .first()
    )
    if process is None:
        raise Http404("Not found.")
    if not selectors.sees_process_money(user, process):
        return forbidden_page(
            request, "Budgets and costs of a process are visible to its owner and admins."
        )
    year = _fiscal_year(request)
    may_set = selectors.may_set_process_budget(user, process)
    if request.method == "POST" and not may_set:
        return forbidden_page(request, "Only an admin sets a process's budget.")
    form = BudgetForm(
        request.POST or None,
        initial={
            "fiscal_year": year,
            "version": selectors.process_budget_version(process.pk, year),
        },
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.set_process_budget(
                    actor=user,
                    process=process,
                    fiscal_year=form.cleaned_data["fiscal_year"],
                    amount=form.cleaned_data["amount"],
                    expected_version=form.cleaned_data.get("version"),
                )
                messages.success(request, "Budget saved.")
                return redirect(
                    f"{reverse('costs:process_budget', args=[process.pk])}?fy={form.cleaned_data['fiscal_year']}"
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
        else:
            status = 400
    actuals = selectors.process_actuals(process, year)
    if actuals.budget is not None and not form.is_bound:
        form.initial["amount"] = actuals.budget
    money = selectors.cost_settings(org.pk)
    return render_page(
        request,
        "costs/pages/process_budget.html",
        {
            "process": process,
            "fy": actuals,
            "form": form,
            "may_set": may_set,
            "year": year,
            "label": selectors.fiscal_year_label(org, year),
            "previous": year - 1,
            "next": year + 1,
            "chart": _chart(actuals, money),
            "section": "operations",
        },
        status=status,
    )


def _chart(actuals: selectors.ProcessActuals, money: Any) -> dict[str, Any]:
    """Monthly bars of actuals and the cumulative actual against the budget line (SVG units)."""
    from twofold.costs.money import format_money

    width, height, pad = 720, 220, 8
    months = actuals.months
    cumulative, running = [], Decimal(0)
    for m in months:
        running += m.total
        cumulative.append(running)
    top = max([*cumulative, actuals.budget or Decimal(0), Decimal(1)])
    slot = (width - 2 * pad) / max(len(months), 1)

    def y(value: Decimal) -> float:
        return round(height - pad - float(value / top) * (height - 2 * pad), 1)

    bars = [
        {
            "x": round(pad + i * slot + slot * 0.2, 1),
            "w": round(slot * 0.6, 1),
            "y": y(m.total),
            "h": round(height - pad - y(m.total), 1),
            "label": f"{m.month:%b %Y}: {format_money(m.total, money.currency, money.locale, places=0)}",
        }
        for i, m in enumerate(months)
    ]
    points = " ".join(
        f"{round(pad + (i + 0.5) * slot, 1)},{y(v)}" for i, v in enumerate(cumulative)
    )
    budget_y = y(actuals.budget) if actuals.budget else None
    return {"width": width, "height": height, "bars": bars, "line": points, "budget_y": budget_y}


@organisation_required
def project_costs(request: HttpRequest, project_id: int) -> HttpResponse:
    """A project's actual work per task (hours) and, for its manager and admins, cost."""
    org, user = organisation_of(request), actor_of(request)
    project = Project.objects.filter(
        pk=project_id, organisation=org, deleted_at__isnull=True
    ).first()
    if project is None:
        raise Http404("Not found.")
    if request.method == "POST":
        return HttpResponse(status=405)
    money = selectors.sees_project_money(user, project)
    rows = selectors.project_actuals(project)
    live = list(
        Task.objects.filter(project=project).only(
            "pk", "name", "position", "effort_minutes", "duration_minutes", "is_summary"
        )
    )
    tasks = [t for t in live if not t.is_summary]
    leaves = {t.pk for t in tasks}
    from collections import defaultdict

    hours: dict[int | None, Decimal] = defaultdict(Decimal)
    cost: dict[int | None, Decimal] = defaultdict(Decimal)
    # The actuals no task row shows get rows of their own, so that the rows add up to the
    # totals: summary tasks (time logged before they had subtasks), tasks in the trash, tasks
    # deleted (their time keeps no task) and expenses booked on the project with no task.
    by_task: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    deleted, no_task = [Decimal(0), Decimal(0)], [Decimal(0), Decimal(0)]
    for r in rows:
        hours[r.task_id] += r.hours
        cost[r.task_id] += r.cost
        if r.task_id in leaves:
            continue
        bucket = (
            by_task[r.task_id]
            if r.task_id is not None
            else (no_task if r.category is not None else deleted)
        )
        bucket[0] += r.hours
        bucket[1] += r.cost
    named = {t.pk: f"{t.name} (summary task)" for t in live if t.is_summary}
    trashed = [pk for pk in by_task if pk not in named]
    if trashed:
        gone = Task.all_objects.filter(pk__in=trashed).values_list("pk", "name")
        named |= {pk: f"{name} (in the trash)" for pk, name in gone}
    others = [(named.get(pk, "Deleted tasks"), *sums) for pk, sums in by_task.items()]
    others.sort()
    others += [("Deleted tasks", *deleted), ("Project expenses (no task)", *no_task)]
    extra = [
        {"label": label, "actual": h, "cost": c} for label, h, c in others if h or (money and c)
    ]
    table = []
    for t in tasks:
        planned = Decimal(t.effort_minutes or t.duration_minutes) / 60
        table.append(
            {
                "task": t,
                "planned": planned,
                "actual": hours[t.pk],
                "remaining": max(planned - hours[t.pk], Decimal(0)),
                "cost": cost[t.pk],
            }
        )
    expenses_total = sum((r.cost for r in rows if r.category), Decimal(0))
    return render_page(
        request,
        "costs/pages/project_costs.html",
        {
            "project": project,
            "table": table,
            "extra": extra,
            "money": money,
            "hours": sum(hours.values(), Decimal(0)),
            "cost": sum(cost.values(), Decimal(0)),
            "expenses_total": expenses_total,
            "unrated": any(not r.rated for r in rows),
            "section": "projects",
        },
    )


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    try:
        start = dt.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        start = today - dt.timedelta(days=90)
    try:
        end = dt.date.fromisoformat(request.GET.get("to", ""))
    except ValueError:
        end = today
    return start, end


@require_GET
@organisation_required
def export_timesheets(request: HttpRequest, fmt: str) -> HttpResponse:
    """Time entries the viewer may see (their own and those they decide), CSV or XLSX; rates
    and costs only for admins and owners."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("Not found.")
    org, user = organisation_of(request), actor_of(request)
    start, end = _period(request)
    entries = list(
        selectors.visible_entries(user, org.pk)
        .filter(day__range=(start, end))
        .order_by("day", "person_id", "id")
    )
    money = selectors.sees_all_money(user, org.pk)
    book = selectors.rates_for(org, {e.person_id for e in entries}, start, end) if money else None
    header = [
        "Date",
        "Person",
        "Line",
        "Project",
        "Process",
        "Task or item",
        "Hours",
        "Overtime",
        "Status",
        "Note",
    ]
    if money:
        header += ["Hourly rate", "Cost"]

    def rows() -> Any:
        for e in entries:
            item = (
                e.task or e.request or (e.occurrence.routine if e.occurrence else None) or "General"
            )
            row: list[Any] = [
                e.day,
                e.person.display_name,
                e.get_kind_display(),
                e.project.name if e.project else "",
                e.process.name if e.process else "",
                str(item),
                e.hours,
                e.overtime,
                e.get_status_display(),
                e.note,
            ]
            if book is not None:
                row += [
                    book.hourly(e.person_id, e.day),
                    book.cost(e.person_id, e.day, e.hours, overtime=e.overtime),
                ]
            yield row

    return exports.export_response(
        fmt, f"timesheets-{start.isoformat()}-{end.isoformat()}", "Timesheets", header, rows()
    )


@require_GET
@organisation_required
def export_expenses(request: HttpRequest, fmt: str) -> HttpResponse:
    """Expenses the viewer may see, CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("Not found.")
    org, user = organisation_of(request), actor_of(request)
    start, end = _period(request)
    items = list(
        selectors.visible_expenses(user, org.pk)
        .filter(spent_on__range=(start, end))
        .order_by("spent_on", "id")
    )
    header = [
        "Date",
        "Project",
        "Task",
        "Process",
        "Category",
        "Description",
        "Supplier",
        "Amount",
        "Currency",
        "Status",
        "Recorded by",
    ]
    currency = selectors.cost_settings(org.pk).currency
    rows = (
        [
            x.spent_on,
            x.project.name if x.project else "",
            x.task.name if x.task else "",
            x.process.name if x.process else "",
            x.get_category_display(),
            x.description,
            x.supplier,
            x.amount,
            currency,
            x.get_status_display(),
            x.submitted_by.display_name if x.submitted_by else "",
        ]
        for x in items
    )
    return exports.export_response(
        fmt, f"expenses-{start.isoformat()}-{end.isoformat()}", "Expenses", header, rows
    )
