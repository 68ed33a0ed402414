"""Every action a page offers has an API operation with the same rules (issue 17, item 5).

The pages that take a POST are read from the URL resolver and the permission matrix (a page
whose POST answers anything but 405 for a signed-in role acts on POST). Each must be listed
once, by its URL name, in one of:

- ``PAGE_ACTION_TO_API``: the API operations that do what the page's forms do; each must be in
  /api/openapi.json.
- ``PAGE_ONLY``: a page action with no sensible API, with the reason.
- ``READ_PAGES``: pages that answer a POST as a GET (no form acts there).

``KNOWN_GAPS`` names the page actions still without an API (the route is listed above for the
parts that have one); it may only shrink: an entry whose API appears must move to the table.

Adding a page with a form? Add its line here with the operation that does the same.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.security.harness import ROLES, parse
from tests.security.permission_matrix import MATRIX

ORG = "/api/organisations/{org_id}"
PRJ = f"{ORG}/projects/{{project_id}}"

PAGE_ACTION_TO_API: dict[str, tuple[str, ...]] = {
    # --- accounts
    "accounts:preferences": ("PATCH /api/me/preferences",),
    "accounts:instance": ("PATCH /api/instance",),
    "accounts:organisation_new": ("POST /api/organisations",),
    "accounts:organisation_delete": (f"DELETE {ORG}",),
    "accounts:settings": (f"PATCH {ORG}",),
    "accounts:people": (f"POST {ORG}/members",),
    "accounts:person": (f"PATCH {ORG}/people/{{user_id}}",),
    "accounts:profile_job_title": (f"PATCH {ORG}/people/{{user_id}}",),
    "accounts:member_role": (f"PATCH {ORG}/members/{{member_id}}",),
    "accounts:member_remove": (f"DELETE {ORG}/members/{{member_id}}",),
    "accounts:invitation_withdraw": (f"DELETE {ORG}/invitations/{{invitation_id}}",),
    "accounts:invitation_accept": ("POST /api/me/invitations/{invitation_id}/accept",),
    "accounts:invitation_decline": ("POST /api/me/invitations/{invitation_id}/decline",),
    "accounts:teams": (f"POST {ORG}/teams",),
    "accounts:tokens": ("POST /api/me/tokens",),
    "accounts:token_revoke": ("DELETE /api/me/tokens/{token_id}",),
    "accounts:team": (f"PATCH {ORG}/teams/{{team_id}}", f"DELETE {ORG}/teams/{{team_id}}"),
    # --- projects and programmes
    "projects:create": (f"POST {ORG}/projects",),
    "projects:edit": (f"PATCH {PRJ}",),
    "projects:archive": (f"POST {PRJ}/archive",),
    "projects:delete": (f"DELETE {PRJ}",),
    "projects:tasks": (f"POST {PRJ}/tasks",),
    "projects:task": (
        f"PATCH {PRJ}/tasks/{{task_id}}",
        f"POST {PRJ}/tasks/{{task_id}}/people",
        f"PATCH {PRJ}/tasks/{{task_id}}/people/{{user_id}}",
        f"DELETE {PRJ}/tasks/{{task_id}}/people/{{user_id}}",
        f"PUT {PRJ}/tasks/{{task_id}}/resourcing",
        f"POST {ORG}/comments/{{kind}}/{{target_id}}",
        f"POST {PRJ}/tasks/{{task_id}}/checklist",
        f"PUT {PRJ}/tasks/{{task_id}}/checklist/{{item_id}}",
    ),
    "projects:task_action": (
        f"POST {PRJ}/tasks/{{task_id}}/indent",
        f"POST {PRJ}/tasks/{{task_id}}/outdent",
    ),
    "projects:task_inline": (f"PATCH {PRJ}/tasks/{{task_id}}",),
    "projects:task_delete": (f"DELETE {PRJ}/tasks/{{task_id}}",),
    "projects:link_add": (f"POST {PRJ}/links",),
    "projects:link_delete": (f"DELETE {PRJ}/links/{{link_id}}",),
    "projects:gantt_drag": (f"PATCH {PRJ}/tasks/{{task_id}}",),
    "projects:gantt_resize": (f"PATCH {PRJ}/tasks/{{task_id}}",),
    "projects:gantt_link": (f"POST {PRJ}/links",),
    "projects:baselines": (f"POST {PRJ}/baselines",),
    "projects:board": (f"POST {PRJ}/tasks",),
    "projects:board_move": (f"POST {PRJ}/tasks/{{task_id}}/move",),
    "projects:board_limits": (f"PUT {PRJ}/board/wip-limits",),
    "projects:gate_item": (f"PUT {PRJ}/gates/items/{{item_id}}",),
    "projects:gate_pass": (f"POST {PRJ}/gates/{{gate_id}}/sign-off",),
    "projects:gate_settings": (f"PUT {ORG}/settings/gate-checklists/{{phase}}",),
    "projects:programme_create": (f"POST {ORG}/programmes",),
    "projects:programme_edit": (f"PATCH {ORG}/programmes/{{programme_id}}",),
    "projects:programme_action": (
        f"POST {ORG}/programmes/{{programme_id}}/archive",
        f"POST {ORG}/programmes/{{programme_id}}/projects",
        f"DELETE {ORG}/programmes/{{programme_id}}/projects/{{project_id}}",
    ),
    "templates:new_project": (f"POST {ORG}/templates/{{template_id}}/projects",),
    "templates:save": (f"POST {ORG}/templates",),
    "templates:detail": (f"PATCH {ORG}/templates/{{template_id}}",),
    "templates:delete": (f"DELETE {ORG}/templates/{{template_id}}",),
    "risks:create": (f"POST {PRJ}/risks",),
    "risks:detail": (f"PATCH {PRJ}/risks/{{risk_id}}", f"DELETE {PRJ}/risks/{{risk_id}}"),
    "risks:schedule": (f"POST {PRJ}/schedule-risk/run",),
    "changes:create": (f"POST {PRJ}/changes", f"POST {PRJ}/changes/impact"),
    "changes:detail": (f"POST {ORG}/changes/{{change_id}}/decision",),
    "changes:board": (f"PUT {ORG}/change-board",),
    "evm:project": (
        f"PUT {PRJ}/budget",
        f"POST {PRJ}/budget/lines",
        f"DELETE {PRJ}/budget/lines/{{line_id}}",
    ),
    "capacity:level_start": (f"POST {PRJ}/level/preview",),
    "capacity:level": (f"POST {PRJ}/level/apply",),
    "capacity:level_clear": (f"POST {PRJ}/level/clear",),
    "interchange:mspdi": (f"POST {ORG}/mspdi-imports",),
    "interchange:mspdi_upload": (f"POST {ORG}/mspdi-imports/{{pk}}/apply",),
    # --- operations
    "operations:process_new": (f"POST {ORG}/processes",),
    "operations:process": ("POST /api/processes/{pk}/kpis", "POST /api/processes/{pk}/spend"),
    "operations:process_edit": ("PATCH /api/processes/{pk}",),
    "operations:kpi": (
        "POST /api/kpis/{pk}/measurements",
        "POST /api/kpis/{pk}/measurements/csv",
        "PATCH /api/kpis/{pk}",
    ),
    "operations:kpi_edit": ("PATCH /api/kpis/{pk}",),
    "operations:kpi_change_point": ("POST /api/kpis/{pk}/change-points",),
    "operations:measurement": (
        "POST /api/measurements/{pk}/correct",
        "POST /api/measurements/{pk}/void",
    ),
    "operations:queue_new": (f"POST {ORG}/queues",),
    "operations:queue": ("POST /api/queues/{pk}/requests",),
    "operations:queue_edit": ("PATCH /api/queues/{pk}",),
    "operations:request": ("POST /api/requests/{pk}/status",),
    "operations:request_assignment": (
        "POST /api/requests/{pk}/assignee",
        "POST /api/requests/{pk}/priority",
    ),
    "operations:request_trash": ("DELETE /api/requests/{pk}",),
    "operations:routine_new": ("POST /api/processes/{pk}/routines",),
    "operations:routine_edit": ("PATCH /api/routines/{pk}",),
    "operations:occurrence": (
        "POST /api/occurrences/{pk}/complete",
        "POST /api/occurrences/{pk}/steps/{step_id}/file",
    ),
    # archiving is the edit's ``archived`` field
    "operations:archive": (
        "PATCH /api/processes/{pk}",
        "PATCH /api/kpis/{pk}",
        "PATCH /api/queues/{pk}",
        "PATCH /api/routines/{pk}",
    ),
    "operations:delete": ("DELETE /api/operations/{kind}/{pk}",),
    "operations:generate": (f"POST {ORG}/occurrences/generate",),
    "quality:new": (f"POST {ORG}/nonconformances",),
    "quality:detail": (
        "PATCH /api/nonconformances/{pk}",
        "POST /api/nonconformances/{pk}/actions",
        "POST /api/nonconformances/{pk}/verification",
        "POST /api/nonconformances/{pk}/close",
    ),
    "quality:action": ("PATCH /api/capa-actions/{pk}",),
    "quality:audit": ("POST /api/processes/{pk}/audit-export",),
    "calendars:list": (f"POST {ORG}/calendars",),
    "calendars:detail": (f"PATCH {ORG}/calendars/{{pk}}",),
    "calendars:delete": (f"DELETE {ORG}/calendars/{{pk}}",),
    "calendars:holiday_add": (f"POST {ORG}/calendars/{{pk}}/holidays",),
    "calendars:holiday_delete": (f"DELETE {ORG}/calendars/{{pk}}/holidays/{{holiday_id}}",),
    # --- capacity, improvement, closeout
    "capacity:reservations": (f"POST {ORG}/capacity/reservations",),
    "capacity:reservation_delete": (f"DELETE {ORG}/capacity/reservations/{{reservation_id}}",),
    "capacity:queues": (f"PUT {ORG}/capacity/queues/{{queue_id}}/workload",),
    "capacity:absence_add": (f"POST {ORG}/people/{{user_id}}/availability/absences",),
    "capacity:absence_edit": (
        f"PATCH {ORG}/people/{{user_id}}/availability/absences/{{absence_id}}",
    ),
    "capacity:absence_delete": (
        f"DELETE {ORG}/people/{{user_id}}/availability/absences/{{absence_id}}",
    ),
    "capacity:pattern_save": (f"PUT {ORG}/people/{{user_id}}/availability/pattern",),
    "capacity:pattern_delete": (
        f"DELETE {ORG}/people/{{user_id}}/availability/patterns/{{pattern_id}}",
    ),
    "improvement:item_new": (f"POST {ORG}/improvement/items",),
    "improvement:item": (
        f"PATCH {ORG}/improvement/items/{{item_id}}",
        f"POST {ORG}/improvement/items/{{item_id}}/start-project",
        f"PUT {ORG}/improvement/items/{{item_id}}/go-live",
    ),
    "improvement:item_edit": (f"PATCH {ORG}/improvement/items/{{item_id}}",),
    "improvement:item_trash": (f"DELETE {ORG}/improvement/items/{{item_id}}",),
    "improvement:process_link": ("POST /api/projects/{pk}/process-changes",),
    "improvement:process_change": (
        "PUT /api/process-changes/{pk}/go-live",
        "DELETE /api/process-changes/{pk}",
    ),
    "improvement:deliverable_settings": (f"PUT {ORG}/settings/handover-deliverables",),
    "improvement:handover_new": (f"POST {ORG}/improvement/handovers",),
    "improvement:handover": (
        f"POST {ORG}/improvement/handovers/{{handover_id}}/accept",
        f"POST {ORG}/improvement/handovers/{{handover_id}}/return",
        f"PUT {ORG}/improvement/handovers/{{handover_id}}/new-process",
        f"POST {ORG}/improvement/handovers/{{handover_id}}/resubmit",
        f"PUT {ORG}/improvement/handovers/{{handover_id}}/deliverables",
    ),
    "closeout:section": (
        f"POST {ORG}/handovers/{{handover_id}}/parts",
        f"POST {ORG}/handovers/{{handover_id}}/documents",
        f"PATCH {ORG}/handover-parts/{{part_id}}",
    ),
    "closeout:hypercare": (f"PUT {ORG}/handovers/{{handover_id}}/hypercare",),
    "closeout:remove_part": (f"DELETE {ORG}/handover-parts/{{part_id}}",),
    "closeout:lesson": (
        f"PATCH {ORG}/lessons/{{lesson_id}}",
        f"POST {ORG}/lessons/{{lesson_id}}/improvement-item",
        f"POST {ORG}/lessons/{{lesson_id}}/risk",
        f"POST {ORG}/lessons/{{lesson_id}}/template-change",
    ),
    "closeout:project_lessons": (f"POST {PRJ}/lessons",),
    # --- shared components
    "attachments:list": (f"POST {ORG}/attachments/{{kind}}/{{target_id}}",),
    "attachments:delete": (f"DELETE {ORG}/attachments/{{attachment_id}}",),
    "customfields:definitions": (f"POST {ORG}/fields",),
    "customfields:definition": (f"PATCH {ORG}/fields/{{field_id}}",),
    "customfields:definition_delete": (f"DELETE {ORG}/fields/{{field_id}}",),
    "customfields:values": (f"POST {ORG}/field-values/{{kind}}/{{target_id}}",),
    "comments:add": (f"POST {ORG}/comments/{{kind}}/{{target_id}}",),
    "comments:edit": (f"PATCH {ORG}/comments/{{pk}}",),
    "comments:delete": (f"DELETE {ORG}/comments/{{pk}}",),
    "notifications:read": ("POST /api/me/notifications/{notification_id}/read",),
    "notifications:open": ("POST /api/me/notifications/{notification_id}/read",),
    "notifications:read_all": ("POST /api/me/notifications/read-all",),
    "notifications:settings": ("PUT /api/me/notification-settings/{kind}",),
    "notifications:follow": ("PUT /api/follows/{target_type}/{target_id}",),
    "notifications:outbox_retry": (f"POST {ORG}/outbox/{{email_id}}/retry",),
    "interchange:feeds": (f"POST {ORG}/feeds",),
    "interchange:feed_revoke": (f"DELETE {ORG}/feeds/{{pk}}",),
    "interchange:webhooks": (f"POST {ORG}/webhooks",),
    "interchange:sheet_new": (f"POST {ORG}/sheet-imports",),
    "interchange:sheet": (
        f"POST {ORG}/sheet-imports/{{pk}}/check",
        f"POST {ORG}/sheet-imports/{{pk}}/apply",
    ),
    "interchange:org_transfer": (f"POST {ORG}/export",),
    "interchange:org_import": ("POST /api/organisation-imports",),
    "interchange:webhook": (f"PATCH {ORG}/webhooks/{{pk}}",),
    "interchange:webhook_delete": (f"DELETE {ORG}/webhooks/{{pk}}",),
    "interchange:webhook_rotate": (f"POST {ORG}/webhooks/{{pk}}/rotate-secret",),
    "interchange:webhook_test": (f"POST {ORG}/webhooks/{{pk}}/test",),
    "interchange:webhook_redeliver": (
        f"POST {ORG}/webhooks/{{pk}}/deliveries/{{delivery_id}}/redeliver",
    ),
    "activity:feeds": (f"POST {ORG}/activity-feeds",),
    "activity:feed_revoke": (f"DELETE {ORG}/activity-feeds/{{pk}}",),
    "core:job_cancel": (f"POST {ORG}/jobs/{{job_id}}/cancel",),
    "core:trash_restore": (f"POST {ORG}/trash/{{entry_id}}/restore",),
    "core:trash_purge": (f"DELETE {ORG}/trash/{{entry_id}}",),
    # --- costs
    "costs:timesheet": (f"PUT {ORG}/timesheet", f"POST {ORG}/timesheets/{{timesheet_id}}/submit"),
    "costs:timer_start": (f"POST {ORG}/timer",),
    "costs:timer_stop": (f"DELETE {ORG}/timer",),
    "costs:approval": (f"POST {ORG}/timesheets/{{timesheet_id}}/decision",),
    # The page takes the receipt with the expense; the API in a second call.
    "costs:expenses": (f"POST {ORG}/expenses", f"POST {ORG}/expenses/{{expense_id}}/receipt"),
    "costs:expense": (f"POST {ORG}/expenses/{{expense_id}}/decision",),
    "costs:rates": (f"POST {ORG}/rates", f"PUT {ORG}/settings/costs"),
    "costs:rate_delete": (f"DELETE {ORG}/rates/{{rate_id}}",),
    "costs:process_budget": (f"PUT {ORG}/processes/{{process_id}}/budget",),
}

# Page actions that have no API on purpose, and why.
PAGE_ONLY: dict[str, str] = {
    "accounts:login": "signing in starts a browser session; API clients send a token instead",
    "accounts:logout": "signing out ends the browser session; a token is revoked instead",
    "accounts:password_change": "a password is changed by its person in the browser, never "
    "with a token (a leaked token must not take the account over)",
    "accounts:password_reset": "the e-mailed reset link is for a person without a session",
    "accounts:signup_verify": "the e-mailed sign-up link opens an account and signs its person "
    "into the browser (set-up and sign-up have no API routes)",
    "accounts:password_reset_confirm": "the e-mailed reset link is for a person without a session",
    "accounts:setup": "first run of an empty instance: there is no user to hold a token yet",
    "accounts:signup": "signing up creates the account a token would belong to",
    "accounts:switch": "picks the session's current organisation; API paths name it",
    "notifications:unsubscribe": "the signed link in an e-mail; the API has notification-settings",
    "operations:calendars": "an old address that redirects to the calendars pages",
    "operations:calendar_new": "an old address that redirects to the calendars pages",
    "operations:calendar_edit": "an old address that redirects to the calendars pages",
    "capacity:my_availability": "redirects to one's own availability page",
    "core:job": "redirects to the job's result page (GET /api/organisations/{org_id}/jobs/"
    "{job_id} reads it)",
    "core:favicon": "a redirect to the icon",
}

# Pages that answer a POST as they answer a GET: no form acts there.
READ_PAGES: set[str] = {
    "healthz",
    "accounts:profile",
    "projects:portfolio",
    "projects:list",
    "projects:detail",
    "projects:gantt",
    "projects:gates",
    "projects:programmes",
    "projects:programme",
    "operations:overview",
    "operations:flow",
    "operations:routine",
    "operations:evidence_file",
    "operations:occurrence_record",
    "quality:list",
    "quality:process",
    "quality:audit_download",
    "risks:register",
    "risks:project",
    "capacity:usage",
    "capacity:cell",
    "capacity:take_on",
    "capacity:availability",
    "improvement:board",
    "improvement:list",
    "improvement:signals",
    "improvement:handovers",
    "attachments:mentions",
    "attachments:download",
    "templates:list",
    "closeout:lessons",
    "core:trash",
    "reports:reports",
    "reports:export_projects",
    "reports:export_tasks",
    "reports:export_measurements",
    "work:my_work",
    "projects:my_work",
    "notifications:outbox",
    "api:api-root",
    "api:openapi-json",
    "api:openapi-view",
}

# Page actions still without an API (issue 17, item 5): route name → what is missing.
KNOWN_GAPS: dict[str, str] = {}


def _names_to_routes() -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str, namespaces: list[str]) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, prefix + str(p.pattern), [*namespaces, p.namespace or ""])
            elif isinstance(p, URLPattern) and p.name:
                if getattr(p.callback, "__module__", "") == "ninja.operation":
                    continue
                name = ":".join([n for n in namespaces if n] + [p.name])
                found.setdefault(name, "/" + prefix + str(p.pattern))

    walk(get_resolver(), "", [])
    return found


def _views() -> dict[str, Any]:
    found: dict[str, Any] = {}

    def walk(resolver: URLResolver, namespaces: list[str]) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, [*namespaces, p.namespace or ""])
            elif isinstance(p, URLPattern) and p.name:
                found.setdefault(":".join([n for n in namespaces if n] + [p.name]), p.callback)

    walk(get_resolver(), [])
    return found


def _posting_routes() -> set[str]:
    """Page routes whose POST answers anything but 405 to a signed-in member of the org."""
    roles = [r for r in ROLES if r not in ("anon", "other")]
    return {
        row.route
        for row in parse(MATRIX)
        if row.method == "POST" and not row.is_api and any(row.expected[r] != "405" for r in roles)
    }


@pytest.fixture(scope="module")
def operations() -> set[str]:
    from tests.security.harness import api_operations

    return {f"{m} {p}" for m, p in api_operations()}


def test_every_page_that_takes_a_post_is_listed() -> None:
    routes = _names_to_routes()
    posting = _posting_routes()
    listed = [*PAGE_ACTION_TO_API, *PAGE_ONLY, *READ_PAGES, *KNOWN_GAPS]
    missing = sorted(
        f"{name}  ({route})"
        for name, route in routes.items()
        if route in posting and name not in listed
    )
    assert not missing, (
        "These pages act on POST but tests/api/test_parity.py does not say which API operation "
        "does the same (or why none does):\n" + "\n".join(missing)
    )
    unknown = sorted(set(listed) - set(routes))
    assert not unknown, f"Listed in test_parity.py but not a URL name any more: {unknown}"


def test_each_page_is_listed_once() -> None:
    tables = [set(PAGE_ACTION_TO_API), set(PAGE_ONLY), READ_PAGES]
    for i, one in enumerate(tables):
        for other in tables[i + 1 :]:
            assert not one & other
    # A known gap is either a page with nothing yet, or a page whose other actions are mapped.
    assert not set(KNOWN_GAPS) & (set(PAGE_ONLY) | READ_PAGES)


def test_every_mapped_api_operation_exists(operations: set[str]) -> None:
    absent = sorted(
        f"{name}: {op}"
        for name, ops in PAGE_ACTION_TO_API.items()
        for op in ops
        if op not in operations
    )
    assert not absent, "Not in /api/openapi.json:\n" + "\n".join(absent)


def test_read_pages_have_no_form_handling() -> None:
    """A page listed as a read must not handle a POST itself (its view never reads POST)."""
    views = _views()

    def source(view: Any) -> str:
        view = inspect.unwrap(getattr(view, "func", view))  # functools.partial: the API's pages
        return inspect.getsource(view)

    acting = sorted(name for name in READ_PAGES if "POST" in source(views[name]))
    assert not acting, f"These 'read' pages handle POST: map them to the API instead: {acting}"
