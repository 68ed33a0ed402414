"""API for costs: timesheets and time entries, the timer, expenses, rates, process budgets
(the same services and rules as the pages)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal, cast

from django.http import FileResponse, HttpRequest
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import StrictBool, StrictInt, StrictStr

from twofold.accounts.models import Membership, Organisation, User
from twofold.accounts.selectors import get_organisation
from twofold.core.api_schemas import READ, WRITE, BodyIn
from twofold.core.errors import Forbidden, Invalid, NotFound, fields_as
from twofold.core.policy import Action, require
from twofold.core.web import actor_of
from twofold.costs import budget_sync, selectors, services
from twofold.costs.models import Expense, Rate, Timesheet
from twofold.costs.weeks import Week, week_grid
from twofold.operations.models import Process
from twofold.projects.api import StrictDate

router = Router(tags=["costs"])

Hours = Annotated[Decimal, Field(ge=0, le=24, decimal_places=2)]
Amount = Annotated[Decimal, Field(gt=0, lt=10**10, decimal_places=2)]
StatusName = Literal["draft", "submitted", "approved", "returned"]


def _org(request: HttpRequest, org_id: int) -> Organisation:
    return get_organisation(request.user, org_id)


# --- Timesheets -------------------------------------------------------------------------------


class TimesheetCellOut(Schema):
    day: dt.date
    hours: Decimal
    locked_hours: Decimal = Field(..., description="Submitted or approved: not editable now.")
    status: StatusName | Literal[""]


class TimesheetLineOut(Schema):
    line: str = Field(..., description="`task:ID`, `occurrence:ID`, `request:ID` or `process:ID`.")
    label: str
    context: str
    closed: bool = Field(
        ...,
        description="Takes no new hours (read-only on the week page): what it names is in the "
        "trash or deleted, or it is closed to new time (its task became a summary task or its "
        "project is archived, its request's queue is archived or has no process, its routine "
        "or process is archived). Its hours can still be lowered.",
    )
    closed_reason: str | None = Field(
        ..., description="Why it is closed, as the week page says it; null while it is open."
    )
    cells: list[TimesheetCellOut]
    total: Decimal


class TimesheetWeekOut(Schema):
    id: int | None
    person_id: int
    week_start: dt.date
    version: int
    lines: list[TimesheetLineOut]
    day_totals: list[Decimal]
    available: list[Decimal]
    total: Decimal


class TimesheetCellIn(BodyIn):
    line: Annotated[StrictStr, Field(max_length=40)]
    day: StrictDate
    hours: Hours
    note: Annotated[StrictStr, Field(max_length=200)] = ""
    overtime: StrictBool | None = Field(
        None,
        description="Overtime (costs hours × rate × the rate's overtime factor). Omitted: as the "
        "cell was (new hours: not overtime). On submitted or approved hours it cannot change "
        "(422 naming `overtime`).",
    )


class TimesheetCellsIn(BodyIn):
    week: StrictDate = Field(..., description="The first day of the week.")
    version: StrictInt | None = Field(None, description="If you have it; last write wins without.")
    cells: list[TimesheetCellIn] = Field(..., max_length=500)


class TimesheetDecisionIn(BodyIn):
    version: StrictInt
    approve: StrictBool
    reason: Annotated[StrictStr, Field(max_length=300)] = ""
    lines: list[StrictStr] | None = Field(
        None, description="Only these lines (default: all yours)."
    )


class TimesheetSubmitIn(BodyIn):
    version: StrictInt


class TimesheetDecidedOut(Schema):
    entries: int
    version: int


class TimesheetWeekQuery(Schema):
    week: dt.date | None = None


def _week_out(week: Week) -> TimesheetWeekOut:
    return TimesheetWeekOut(
        id=week.sheet.pk if week.sheet else None,
        person_id=week.person.pk,
        week_start=week.start,
        version=week.version,
        lines=[
            TimesheetLineOut(
                line=r.line.key,
                label=r.line.label,
                context=r.line.context,
                closed=r.closed_reason is not None,
                closed_reason=r.closed_reason,
                total=r.total,
                cells=[
                    TimesheetCellOut(
                        day=c.day, hours=c.hours, locked_hours=c.locked, status=cast(Any, c.status)
                    )
                    for c in r.cells
                ],
            )
            for r in week.rows
        ],
        day_totals=week.day_totals,
        available=week.available,
        total=week.total,
    )


@router.get("/organisations/{org_id}/timesheet", response={200: TimesheetWeekOut, **READ})
def get_timesheet(
    request: HttpRequest, org_id: int, query: Query[TimesheetWeekQuery]
) -> TimesheetWeekOut:
    """Your week (default: this week): its lines (with your open work), days and totals."""
    from django.utils import timezone

    org = _org(request, org_id)
    day = query.week or timezone.localdate()
    if not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
        raise Invalid("Choose a week between 2000 and 2100.", field="week")
    start = services.week_start_of(org, day)
    return _week_out(week_grid(org, actor_of(request), start))


@router.put("/organisations/{org_id}/timesheet", response={200: TimesheetWeekOut, **WRITE})
def put_timesheet(request: HttpRequest, org_id: int, payload: TimesheetCellsIn) -> TimesheetWeekOut:
    """Set cells of your week (each ``hours`` is the cell's new total)."""
    org, user = _org(request, org_id), actor_of(request)
    services.save_cells(
        actor=user,
        organisation=org,
        person=user,
        week_start=payload.week,
        cells=[services.Cell(c.line, c.day, c.hours, c.note, c.overtime) for c in payload.cells],
        expected_version=payload.version,
    )
    return _week_out(week_grid(org, user, payload.week, suggest=False))


def _sheet(request: HttpRequest, org_id: int, timesheet_id: int) -> Timesheet:
    org = _org(request, org_id)
    sheet = (
        Timesheet.objects.filter(pk=timesheet_id, organisation=org)
        .select_related("organisation", "person")
        .first()
    )
    if sheet is None:
        raise NotFound("Not found.")
    return sheet


@router.post(
    "/organisations/{org_id}/timesheets/{timesheet_id}/submit",
    response={200: TimesheetDecidedOut, **WRITE},
)
def submit_timesheet(
    request: HttpRequest, org_id: int, timesheet_id: int, payload: TimesheetSubmitIn
) -> TimesheetDecidedOut:
    sheet = _sheet(request, org_id, timesheet_id)
    if sheet.person_id != actor_of(request).pk and not selectors.sees_all_money(
        request.user, sheet.organisation_id
    ):
        raise NotFound("Not found.")
    sent = services.submit_timesheet(
        actor=actor_of(request), timesheet=sheet, expected_version=payload.version
    )
    sheet.refresh_from_db(fields=["version"])
    return TimesheetDecidedOut(entries=sent, version=sheet.version)


@router.post(
    "/organisations/{org_id}/timesheets/{timesheet_id}/decision",
    response={200: TimesheetDecidedOut, **WRITE},
)
def decide_timesheet(
    request: HttpRequest, org_id: int, timesheet_id: int, payload: TimesheetDecisionIn
) -> TimesheetDecidedOut:
    """Approve or return the submitted lines you decide (project manager, process owner, admin).
    A week that is neither yours nor has a line you decide answers 404, as the page does."""
    sheet = _sheet(request, org_id, timesheet_id)
    user = actor_of(request)
    if (
        sheet.person_id != user.pk
        and not selectors.sees_all_money(user, sheet.organisation_id)
        and not sheet.entries.filter(selectors.decides_filter(user, sheet.organisation_id)).exists()
    ):
        raise NotFound("Not found.")
    done = services.decide_timesheet(
        actor=actor_of(request),
        timesheet=sheet,
        approve=payload.approve,
        expected_version=payload.version,
        reason=payload.reason,
        lines=payload.lines,
    )
    sheet.refresh_from_db(fields=["version"])
    return TimesheetDecidedOut(entries=done, version=sheet.version)


class TimeEntryOut(Schema):
    id: int
    timesheet_id: int
    person_id: int
    day: dt.date
    hours: Decimal
    line: str
    project_id: int | None
    process_id: int | None
    overtime: bool
    note: str
    status: StatusName
    corrects_id: int | None


class TimeEntryQuery(Schema):
    start: dt.date = Field(..., alias="from")
    end: dt.date = Field(..., alias="to")


@router.get("/organisations/{org_id}/time-entries", response={200: list[TimeEntryOut], **READ})
def list_time_entries(
    request: HttpRequest, org_id: int, query: Query[TimeEntryQuery]
) -> list[TimeEntryOut]:
    """Your entries and those you decide, between two dates (at most 366 days, 10,000 rows)."""
    org = _org(request, org_id)
    if query.end < query.start or (query.end - query.start).days > 366:
        raise Invalid("Choose at most a year, `to` on or after `from`.", field="to")
    rows = selectors.visible_entries(request.user, org.pk).filter(
        day__range=(query.start, query.end)
    )
    return [
        TimeEntryOut(
            id=e.pk,
            timesheet_id=e.timesheet_id,
            person_id=e.person_id,
            day=e.day,
            hours=e.hours,
            line=e.line_key,
            project_id=e.project_id,
            process_id=e.process_id,
            overtime=e.overtime,
            note=e.note,
            status=cast(Any, e.status),
            corrects_id=e.corrects_id,
        )
        for e in rows.order_by("day", "id")[:10000]
    ]


# --- Timer ------------------------------------------------------------------------------------


class TimerIn(BodyIn):
    line: Annotated[StrictStr, Field(max_length=40, description="`task:ID` or `request:ID`.")]


class TimerOut(Schema):
    line: str
    started_at: dt.datetime


class TimerStoppedOut(Schema):
    hours: Decimal
    note: str = Field(
        "",
        description="Why nothing was logged when `hours` is 0 (the line takes no new time any "
        "more, no time passed, the day is full); the timer is stopped all the same.",
    )


@router.post("/organisations/{org_id}/timer", response={201: TimerOut, **WRITE})
def start_timer(request: HttpRequest, org_id: int, payload: TimerIn) -> Status[TimerOut]:
    timer = services.start_timer(
        actor=actor_of(request), organisation=_org(request, org_id), line=payload.line
    )
    return Status(201, TimerOut(line=payload.line, started_at=timer.started_at))


@router.delete("/organisations/{org_id}/timer", response={200: TimerStoppedOut, **WRITE})
def stop_timer(request: HttpRequest, org_id: int) -> TimerStoppedOut:
    """Stop your timer; its hours go to today's cell of its line (`note` says why none did)."""
    stopped = services.stop_timer_explained(
        actor=actor_of(request), organisation=_org(request, org_id)
    )
    return TimerStoppedOut(hours=stopped.hours, note=stopped.note)


# --- Expenses ---------------------------------------------------------------------------------


CategoryName = Literal[
    "materials", "equipment", "services", "software", "travel", "training", "other"
]


class ExpenseOut(Schema):
    id: int
    project_id: int | None
    task_id: int | None
    process_id: int | None
    spent_on: dt.date
    category: CategoryName
    amount: Decimal
    currency: str
    supplier: str
    description: str
    has_attachment: bool
    status: StatusName
    submitted_by_id: int | None
    decided_by_id: int | None
    return_reason: str
    version: int


class ExpenseIn(BodyIn):
    project_id: StrictInt | None = None
    task_id: StrictInt | None = None
    process_id: StrictInt | None = None
    spent_on: StrictDate
    category: CategoryName
    amount: Amount
    supplier: Annotated[StrictStr, Field(max_length=160)] = ""
    description: Annotated[StrictStr, Field(min_length=1, max_length=200)]


class ExpenseDecisionIn(BodyIn):
    version: StrictInt
    approve: StrictBool
    reason: Annotated[StrictStr, Field(max_length=300)] = ""


def _expense_out(x: Expense, currency: str) -> ExpenseOut:
    return ExpenseOut(
        id=x.pk,
        project_id=x.project_id,
        task_id=x.task_id,
        process_id=x.process_id,
        spent_on=x.spent_on,
        category=cast(Any, x.category),
        amount=x.amount,
        currency=currency,
        supplier=x.supplier,
        description=x.description,
        has_attachment=bool(x.attachment),
        status=cast(Any, x.status),
        submitted_by_id=x.submitted_by_id,
        decided_by_id=x.decided_by_id,
        return_reason=x.return_reason,
        version=x.version,
    )


@router.get("/organisations/{org_id}/expenses", response={200: list[ExpenseOut], **READ})
def list_expenses(request: HttpRequest, org_id: int) -> list[ExpenseOut]:
    """Expenses you recorded or decide, newest first (at most 1,000)."""
    org = _org(request, org_id)
    currency = selectors.cost_settings(org.pk).currency
    return [
        _expense_out(x, currency) for x in selectors.visible_expenses(request.user, org.pk)[:1000]
    ]


@router.post("/organisations/{org_id}/expenses", response={201: ExpenseOut, **WRITE})
def create_expense(request: HttpRequest, org_id: int, payload: ExpenseIn) -> Status[ExpenseOut]:
    org = _org(request, org_id)
    target = services.resolve_expense_target(
        org, project_id=payload.project_id, process_id=payload.process_id, task_id=payload.task_id
    )
    with fields_as({"project": "project_id", "process": "process_id", "task": "task_id"}):
        expense = services.create_expense(
            actor=actor_of(request),
            organisation=org,
            **target,
            spent_on=payload.spent_on,
            category=payload.category,
            amount=payload.amount,
            supplier=payload.supplier,
            description=payload.description,
        )
    return Status(201, _expense_out(expense, selectors.cost_settings(org.pk).currency))


def _visible_expense(request: HttpRequest, org: Organisation, expense_id: int) -> Expense:
    found: Expense | None = (
        selectors.visible_expenses(request.user, org.pk).filter(pk=expense_id).first()
    )
    if found is None:  # as for an id that does not exist: a 403 would confirm it does
        raise NotFound("Not found.")
    return found


@router.post(
    "/organisations/{org_id}/expenses/{expense_id}/receipt",
    response={200: ExpenseOut, **WRITE},
    summary="Add or replace an expense's receipt (multipart `file`; whoever recorded it, "
    "until it is approved)",
)
def put_receipt(
    request: HttpRequest,
    org_id: int,
    expense_id: int,
    file: File[UploadedFile],
    version: Form[int],
) -> ExpenseOut:
    org = _org(request, org_id)
    expense = services.attach_receipt(
        actor=actor_of(request),
        expense=_visible_expense(request, org, expense_id),
        attachment=file,
        expected_version=version,
    )
    return _expense_out(expense, selectors.cost_settings(org.pk).currency)


@router.get("/organisations/{org_id}/expenses/{expense_id}/receipt", response={200: None, **READ})
def get_receipt(request: HttpRequest, org_id: int, expense_id: int) -> FileResponse:
    """The receipt itself, with the download page's safe headers (404 when there is none)."""
    from twofold.costs.views import receipt_response

    expense = _visible_expense(request, _org(request, org_id), expense_id)
    if not expense.attachment:
        raise NotFound("This expense has no receipt.")
    return receipt_response(expense)  # type: ignore[return-value]


@router.post(
    "/organisations/{org_id}/expenses/{expense_id}/decision", response={200: ExpenseOut, **WRITE}
)
def decide_expense(
    request: HttpRequest, org_id: int, expense_id: int, payload: ExpenseDecisionIn
) -> ExpenseOut:
    org = _org(request, org_id)
    expense = services.decide_expense(
        actor=actor_of(request),
        expense=_visible_expense(request, org, expense_id),
        approve=payload.approve,
        expected_version=payload.version,
        reason=payload.reason,
    )
    return _expense_out(expense, selectors.cost_settings(org.pk).currency)


class ExpenseResubmitIn(BodyIn):
    version: StrictInt
    amount: Amount | None = None
    description: Annotated[StrictStr, Field(max_length=200)] | None = None


@router.post(
    "/organisations/{org_id}/expenses/{expense_id}/resubmit", response={200: ExpenseOut, **WRITE}
)
def resubmit_expense(
    request: HttpRequest, org_id: int, expense_id: int, payload: ExpenseResubmitIn
) -> ExpenseOut:
    """The person who recorded a returned expense corrects it (amount, description) and sends
    it for approval again (the page's "Resubmit")."""
    org = _org(request, org_id)
    expense = _visible_expense(request, org, expense_id)
    values: dict[str, Any] = {}
    if payload.amount is not None:
        values["amount"] = payload.amount
    if payload.description is not None:
        values["description"] = payload.description
    expense = services.resubmit_expense(
        actor=actor_of(request), expense=expense, expected_version=payload.version, **values
    )
    return _expense_out(expense, selectors.cost_settings(org.pk).currency)


# --- Rates ------------------------------------------------------------------------------------


class RateOut(Schema):
    id: int
    person_id: int | None
    role: str
    hourly: Decimal
    overtime_factor: Decimal
    effective_from: dt.date
    currency: str
    version: int


class RateIn(BodyIn):
    person_id: StrictInt | None = None
    role: Annotated[StrictStr, Field(max_length=120)] = ""
    hourly: Annotated[Decimal, Field(ge=0, lt=10**8, decimal_places=2)]
    overtime_factor: Annotated[Decimal, Field(ge=1, le=5, decimal_places=2)] = Decimal(1)
    effective_from: StrictDate


def _rates_org(request: HttpRequest, org_id: int) -> Organisation:
    org = _org(request, org_id)
    require(request.user, Action.MANAGE, org)
    return org


@router.get("/organisations/{org_id}/rates", response={200: list[RateOut], **READ, 403: WRITE[403]})
def list_rates(request: HttpRequest, org_id: int) -> list[RateOut]:
    """Every rate with its history (admins and owners)."""
    org = _rates_org(request, org_id)
    currency = selectors.cost_settings(org.pk).currency
    return [
        RateOut(
            id=r.pk,
            person_id=r.person_id,
            role=r.role,
            hourly=r.hourly,
            overtime_factor=r.overtime_factor,
            effective_from=r.effective_from,
            currency=currency,
            version=r.version,
        )
        for r in selectors.rate_history(org.pk)
    ]


@router.post("/organisations/{org_id}/rates", response={201: RateOut, **WRITE})
def create_rate(request: HttpRequest, org_id: int, payload: RateIn) -> Status[RateOut]:
    org = _rates_org(request, org_id)
    person = None
    if payload.person_id is not None:
        person = User.objects.filter(
            pk__in=Membership.objects.filter(organisation=org, user_id=payload.person_id).values(
                "user_id"
            )
        ).first()
        if person is None:
            raise Invalid("Choose a person of this organisation.", field="person_id")
    rate = services.create_rate(
        actor=actor_of(request),
        organisation=org,
        person=person,
        role=payload.role,
        hourly=payload.hourly,
        overtime_factor=payload.overtime_factor,
        effective_from=payload.effective_from,
    )
    return Status(
        201,
        RateOut(
            id=rate.pk,
            person_id=rate.person_id,
            role=rate.role,
            hourly=rate.hourly,
            overtime_factor=rate.overtime_factor,
            effective_from=rate.effective_from,
            currency=selectors.cost_settings(org.pk).currency,
            version=rate.version,
        ),
    )


@router.delete("/organisations/{org_id}/rates/{rate_id}", response={204: None, **WRITE})
def delete_rate(
    request: HttpRequest, org_id: int, rate_id: int, version: int | None = None
) -> Status[None]:
    """Delete a rate entered by mistake (admins and owners): costs computed from it change.
    ``version`` (optional): the version you read; a stale one answers 409."""
    org = _rates_org(request, org_id)
    rate = Rate.objects.filter(pk=rate_id, organisation=org).first()
    if rate is None:
        raise NotFound("Rate not found.")
    services.delete_rate(actor=actor_of(request), rate=rate, expected_version=version)
    return Status(204, None)


# --- Process budgets --------------------------------------------------------------------------


class ProcessBudgetMonthOut(Schema):
    month: dt.date
    hours: Decimal
    time_cost: Decimal
    expenses: Decimal
    recorded_spend: Decimal = Field(
        ..., description="Spend recorded on the process page (POST …/processes/{id}/spend)."
    )
    total: Decimal


class ProcessBudgetOut(Schema):
    process_id: int
    fiscal_year: int
    label: str
    start: dt.date
    end: dt.date
    currency: str
    budget: Decimal | None
    version: int = Field(..., description="Send back to change the budget (0: none yet).")
    actual: Decimal
    remaining: Decimal | None
    months: list[ProcessBudgetMonthOut]


class ProcessBudgetQuery(Schema):
    fiscal_year: int | None = Field(None, ge=2000, le=2100)


class ProcessBudgetIn(BodyIn):
    fiscal_year: Annotated[StrictInt, Field(ge=2000, le=2100)]
    amount: Annotated[Decimal, Field(ge=0, lt=10**12, decimal_places=2)]
    version: Annotated[StrictInt | None, Field(ge=0)] = Field(
        None,
        description="The budget's `version` as read (0: the year had none); another → 409. "
        "Omitted: last write wins.",
    )


def _process(request: HttpRequest, org_id: int, process_id: int) -> Process:
    org = _org(request, org_id)
    process = (
        Process.objects.filter(pk=process_id, organisation=org, deleted_at__isnull=True)
        .select_related("organisation")
        .first()
    )
    if process is None:
        raise NotFound("Not found.")
    if not selectors.sees_process_money(request.user, process):
        raise Forbidden("Budgets and costs of a process are visible to its owner and admins.")
    return process


def _budget_out(process: Process, year: int) -> ProcessBudgetOut:
    fy = selectors.process_actuals(process, year)
    return ProcessBudgetOut(
        process_id=process.pk,
        fiscal_year=year,
        label=selectors.fiscal_year_label(process.organisation, year),
        start=fy.start,
        end=fy.end,
        currency=selectors.cost_settings(process.organisation_id).currency,
        budget=fy.budget,
        version=selectors.process_budget_version(process.pk, year),
        actual=fy.total,
        remaining=fy.remaining,
        months=[
            ProcessBudgetMonthOut(
                month=m.month,
                hours=m.hours,
                time_cost=m.time_cost,
                expenses=m.expenses,
                recorded_spend=m.recorded,
                total=m.total,
            )
            for m in fy.months
        ],
    )


@router.get(
    "/organisations/{org_id}/processes/{process_id}/budget",
    response={200: ProcessBudgetOut, **READ, 403: WRITE[403]},
)
def get_process_budget(
    request: HttpRequest, org_id: int, process_id: int, query: Query[ProcessBudgetQuery]
) -> ProcessBudgetOut:
    """A fiscal year's budget and actuals by month (default: the current fiscal year)."""

    process = _process(request, org_id, process_id)
    year = query.fiscal_year or budget_sync.current_fiscal_year(process.organisation)
    return _budget_out(process, year)


@router.put(
    "/organisations/{org_id}/processes/{process_id}/budget",
    response={200: ProcessBudgetOut, **WRITE},
)
def put_process_budget(
    request: HttpRequest, org_id: int, process_id: int, payload: ProcessBudgetIn
) -> ProcessBudgetOut:
    process = _process(request, org_id, process_id)
    services.set_process_budget(
        actor=actor_of(request),
        process=process,
        fiscal_year=payload.fiscal_year,
        amount=payload.amount,
        expected_version=payload.version,
    )
    return _budget_out(process, payload.fiscal_year)


__all__ = ["router"]


# --- Cost settings ----------------------------------------------------------------------------


class CostSettingsOut(Schema):
    currency: str = Field(..., description="ISO 4217 code amounts are in.")
    locale: str = Field(..., description="The locale amounts are written in, e.g. en-GB.")
    version: int = Field(..., description="Send it back with a change; 0 before any change.")


class CostSettingsIn(BodyIn):
    currency: StrictStr = Field(..., max_length=3)
    locale: StrictStr = Field(..., max_length=10)
    version: StrictInt | None = Field(None, description="The version you read (409 if stale).")


def _settings_out(organisation_id: int) -> CostSettingsOut:
    row = selectors.cost_settings(organisation_id)
    return CostSettingsOut(
        currency=row.currency, locale=row.locale, version=row.version if row.pk else 0
    )


@router.get("/organisations/{org_id}/settings/costs", response={200: CostSettingsOut, **READ})
def get_cost_settings(request: HttpRequest, org_id: int) -> CostSettingsOut:
    """The organisation's currency and the locale its amounts are written in (members)."""
    return _settings_out(_org(request, org_id).pk)


@router.put("/organisations/{org_id}/settings/costs", response={200: CostSettingsOut, **WRITE})
def put_cost_settings(
    request: HttpRequest, org_id: int, payload: CostSettingsIn
) -> CostSettingsOut:
    """Set the currency and locale (admins), as the rates page's settings form does."""
    org = _org(request, org_id)
    services.update_cost_settings(
        actor=actor_of(request),
        organisation=org,
        currency=payload.currency,
        locale=payload.locale,
        expected_version=payload.version,
    )
    return _settings_out(org.pk)
