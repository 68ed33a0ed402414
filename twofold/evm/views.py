"""Earned-value pages: a project's EVM page (figures, S-curve, control accounts, budget) with its
exports, and the portfolio roll-up per programme."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from twofold.changes.selectors import get_project
from twofold.core.errors import Forbidden, NotFound, ServiceError
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    apply_service_error,
    forbidden_page,
    organisation_of,
    organisation_required,
)
from twofold.costs.money import format_money
from twofold.costs.selectors import cost_settings
from twofold.engine.evm import Metrics
from twofold.evm import chart, exports, portfolio, services
from twofold.evm.access import require_money, sees_all_money
from twofold.evm.forms import LineForm, RateForm
from twofold.evm.models import BudgetLine
from twofold.evm.report import project_evm
from twofold.evm.templatetags.evm_format import index, signed_class
from twofold.projects.models import Project, Task

FIELD_NAMES = [
    ("bac", "Budget at completion", "BAC"),
    ("pv", "Planned value", "BCWS"),
    ("ev", "Earned value", "BCWP"),
    ("ac", "Actual cost", "ACWP"),
    ("sv", "Schedule variance", "SV"),
    ("cv", "Cost variance", "CV"),
    ("spi", "Schedule performance index", "SPI"),
    ("cpi", "Cost performance index", "CPI"),
]


def _money_project(request: HttpRequest, project_id: int) -> Project:
    try:
        project = get_project(request.user, organisation_of(request), project_id)
        require_money(request.user, project)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return project


def _handle_post(
    request: HttpRequest, project: Project, rate_form: RateForm, line_form: LineForm
) -> tuple[HttpResponseBase | None, int]:
    action = request.POST.get("action")
    actor = actor_of(request)
    try:
        if action == "rate":
            if not rate_form.is_valid():
                return None, 400
            try:
                services.set_labour_rate(
                    actor=actor,
                    project=project,
                    rate=rate_form.cleaned_data["labour_rate"],
                    expected_version=rate_form.cleaned_data.get("version"),
                )
            except ServiceError as exc:
                return None, apply_service_error(rate_form, exc)
            messages.success(request, "The planned labour rate was saved.")
        elif action == "line":
            if not line_form.is_valid():
                return None, 400
            data = line_form.cleaned_data
            account = (
                Task.objects.filter(project=project, pk=data["account"]).first()
                if data.get("account")
                else None
            )
            try:
                services.add_budget_line(
                    actor=actor,
                    project=project,
                    category=data["category"],
                    description=data["description"],
                    amount=data["amount"],
                    account=account,
                )
            except ServiceError as exc:
                return None, apply_service_error(line_form, exc)
            messages.success(request, "The planned expense was added.")
        elif action == "delete_line":
            # An id that is not a number names no line, as one that does not exist: 404, not
            # the ValueError (500) the ORM raised on ``line_id=abc``.
            raw = request.POST.get("line_id", "").strip()
            line = (
                BudgetLine.objects.filter(project=project, pk=int(raw)).first()
                if raw.isascii() and raw.isdigit() and len(raw) <= 18
                else None
            )
            if line is None:
                raise Http404("Budget line not found.")
            services.delete_budget_line(actor=actor, line=line)
            messages.success(request, "The planned expense was removed.")
        else:
            return None, 400
    except Forbidden as exc:
        return forbidden_page(request, exc.message), 403
    return redirect("evm:project", project_id=project.pk), 302


@organisation_required
def project_page(request: HttpRequest, project_id: int) -> HttpResponseBase:
    try:
        project = _money_project(request, project_id)
    except Forbidden as exc:
        return forbidden_page(
            request, exc.message, back=reverse("projects:detail", args=[project_id])
        )
    rate_form = RateForm(request.POST if request.POST.get("action") == "rate" else None)
    line_form = LineForm(
        request.POST if request.POST.get("action") == "line" else None, project=project
    )
    status = 200
    if request.method == "POST":
        response, status = _handle_post(request, project, rate_form, line_form)
        if response is not None:
            return response
    report = project_evm(project)
    m = report.metrics
    if not rate_form.is_bound:
        budget = services.budget_of(project)
        rate_form = RateForm(initial={"labour_rate": budget.labour_rate, "version": budget.version})
    context: dict[str, Any] = {
        "project": project,
        "tab": "evm",
        "section": "projects",
        "can_edit": can(request.user, Action.EDIT, project),
        "can_manage": can(request.user, Action.MANAGE, project),
        "report": report,
        "m": m,
        "fields": [(label, ms, getattr(m, key), key) for key, label, ms in FIELD_NAMES],
        "chart": chart.s_curve_chart(report.curve, report.status_date, m.bac),
        "rate_form": rate_form,
        "line_form": line_form,
        "health": portfolio.cost_reasons(m),
    }
    return render(request, "evm/pages/project_evm.html", context, status=status)


@organisation_required
def project_export(request: HttpRequest, project_id: int) -> HttpResponseBase:
    if request.method != "GET":
        return HttpResponse(status=405)
    try:
        project = _money_project(request, project_id)
    except Forbidden as exc:
        return forbidden_page(request, exc.message)
    report = project_evm(project)
    if request.GET.get("format") == "xlsx":
        return exports.as_xlsx(report)
    return exports.as_csv(report)


@organisation_required
def portfolio_page(request: HttpRequest) -> HttpResponseBase:
    org = organisation_of(request)
    if request.method != "GET":
        return HttpResponse(status=405)
    if not sees_all_money(request.user, org.pk):
        return forbidden_page(
            request, "The portfolio's costs are for admins; project managers see their projects'."
        )
    rollup = portfolio.rollup(org)
    settings = cost_settings(org.pk)

    def cells(m: Metrics) -> SafeString:
        # A row's eight figures as table cells, formatted here: 300 rows of eight ``{% money %}``
        # tags took 70 % of the page's time on the large demo.
        amounts = [
            format_money(v, settings.currency, settings.locale) for v in (m.bac, m.pv, m.ev, m.ac)
        ]
        ratios = [index(m.spi), index(m.cpi)]
        eac, vac = (format_money(v, settings.currency, settings.locale) for v in (m.eac, m.vac))
        return format_html_join(
            "", '<td class="num{}">{}</td>', [("", v) for v in (*amounts, *ratios, eac)]
        ) + format_html('<td class="num {}">{}</td>', signed_class(m.vac), vac)

    groups = [
        (g.name, [(r.project, cells(r.metrics)) for r in g.rows], cells(g.total))
        for g in rollup.groups
    ]
    return render(
        request,
        "evm/pages/portfolio.html",
        {
            "groups": groups,
            "total": cells(rollup.total),
            "section": "projects",
            "thresholds": portfolio.THRESHOLDS,
        },
    )


def zero() -> Decimal:
    return Decimal(0)
