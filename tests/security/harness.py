"""The machinery behind the permission matrix: the routes that exist, a seeded organisation with
objects of every kind, one request per cell, and a checksum of every table.

The data lives in ``permission_matrix.py``; this module only reads it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ROLES = ("anon", "guest", "member", "admin", "owner", "other")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# Columns that a request may touch without changing anything a person owns: when a session or
# token was last used. Everything else in every table must be identical after a denied write.
VOLATILE_COLUMNS = {
    "accounts_apitoken": {"last_used_at"},
    "accounts_user": {"last_login"},
    "django_session": {"expire_date", "session_data"},
    "interchange_calendarfeed": {"last_used_at"},
    "activity_activityfeed": {"last_used_at"},
}


# --------------------------------------------------------------------------- the matrix file


@dataclass(frozen=True)
class Row:
    """One line of the matrix: a method on a route, the expected outcome per role."""

    method: str
    route: str
    expected: dict[str, str]
    args: dict[str, str] = field(default_factory=dict)
    query: str = ""
    body: str = ""
    line: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.route)

    @property
    def is_api(self) -> bool:
        return self.route.startswith("/api/") and self.route not in HTML_API_PAGES

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS


# Pages the API framework serves itself (the schema, the docs, the index): requested like pages.
HTML_API_PAGES = {"/api/openapi.json", "/api/docs", "/api/"}


def parse(text: str) -> list[Row]:
    """Rows from the matrix text: ``METHOD route anon guest member admin owner other [k=v ...]
    [?query] [| body]``; ``#`` starts a comment."""
    rows: list[Row] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        head, _, body = line.partition(" | ")
        parts = head.split()
        if len(parts) < 2 + len(ROLES):
            raise ValueError(f"permission_matrix.py line {number}: expected 8 columns: {raw!r}")
        method, route, *cells = parts
        outcomes, extra = cells[: len(ROLES)], cells[len(ROLES) :]
        args = dict(e.split("=", 1) for e in extra if not e.startswith("?"))
        query = next((e[1:] for e in extra if e.startswith("?")), "")
        rows.append(
            Row(
                method,
                route,
                dict(zip(ROLES, outcomes, strict=True)),
                args,
                query,
                body.strip(),
                number,
            )
        )
    return rows


# --------------------------------------------------------------------------- routes that exist


def html_routes() -> list[str]:
    """Every URL pattern of the resolver except the API's operations, as ``/pattern``."""
    found: list[str] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                if getattr(p.callback, "__module__", "") == "ninja.operation":
                    continue  # an API operation: listed from the OpenAPI schema instead
                found.append("/" + prefix + str(p.pattern))

    walk(get_resolver(), "")
    return found


def api_operations() -> list[tuple[str, str]]:
    """Every operation of /api/openapi.json as (METHOD, path)."""
    from twofold.api import api

    schema = api.get_openapi_schema()
    return [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    ]


def expected_keys() -> set[tuple[str, str]]:
    keys = {(m, r) for r in html_routes() for m in ("GET", "POST")}
    return keys | set(api_operations())


# --------------------------------------------------------------------------- the seeded world


@dataclass
class World:
    """The seeded organisation, one user per role and the objects path parameters point at."""

    users: dict[str, Any]
    sessions: dict[str, str]
    tokens: dict[str, str]
    ids: dict[str, Any]
    baseline: dict[str, str] = field(default_factory=dict)  # checksum() right after seeding


def restart_ids() -> None:
    """Each table's next id: one past its highest row, so 1 in an empty table.

    The API bodies sampled from the schema name the first row of a kind (``"calendar_id": 1``).
    On SQLite every test process starts from a new database; on PostgreSQL the tests that ran
    before in the same process have moved the sequences on (a rollback does not move them
    back), so the seeded rows would have other ids and those bodies would be refused.
    """
    from django.apps import apps
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
            cursor.execute(statement)


def seed() -> World:
    """The demo organisation (objects of every kind) plus one user per role and a rival org."""
    from twofold.accounts.models import InstanceSettings, Membership, Organisation, Role, User
    from twofold.accounts.services import create_api_token
    from twofold.attachments.models import Attachment
    from twofold.calendars.models import Calendar, Holiday
    from twofold.capacity.models import Absence, WorkingPattern
    from twofold.capacity.services import LEVELLING_JOB
    from twofold.closeout.models import Lesson
    from twofold.core.models import Job
    from twofold.customfields.models import FieldDefinition
    from twofold.demo.loader import load_demo
    from twofold.improvement.models import Handover, ImprovementItem
    from twofold.operations.models import Kpi, Occurrence, Process, Queue, Request, Routine
    from twofold.project_templates.models import ProjectTemplate
    from twofold.projects.models import Gate, GateItem, Link, Programme, Task
    from twofold.risks.models import Risk

    load_demo()
    InstanceSettings.load()  # created on first use otherwise: by the first sign-in page
    org = Organisation.objects.get()
    rival = Organisation.objects.create(name="Rival Ltd", slug="rival-ltd")
    users: dict[str, Any] = {"anon": None}
    for role, org_of in (
        ("guest", org),
        ("member", org),
        ("admin", org),
        ("owner", org),
        ("other", rival),
    ):
        user = User.objects.create_user(
            email=f"matrix-{role}@example.com", password=None, full_name=f"Matrix {role.title()}"
        )
        Membership.objects.create(
            organisation=org_of, user=user, role=Role.OWNER if role == "other" else role
        )
        users[role] = user
    sessions = {role: _session_for(user) for role, user in users.items() if user}
    tokens = {
        role: create_api_token(actor=user, name="matrix", expires_in_days=30)[1]
        for role, user in users.items()
        if user
    }

    link = Link.objects.filter(pred__project__organisation=org).select_related("pred").first()
    assert link is not None
    project = link.pred.project
    task = Task.objects.filter(project=project, children__isnull=True).order_by("pk").last()
    # The person whose role, availability and absences are changed: someone in the demo, not a
    # matrix user, so "member edits someone else's availability" is the case being checked.
    absence = Absence.objects.filter(organisation=org).first()
    assert absence is not None and task is not None
    person = absence.person
    pattern = WorkingPattern.objects.filter(person=person).first() or WorkingPattern.objects.create(
        organisation=org, person=person, effective_from=dt.date(2025, 1, 6)
    )
    calendar = Calendar.objects.filter(organisation=org, holidays__isnull=False).distinct().first()
    assert calendar is not None
    gate = Gate.objects.filter(project=project).first()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from twofold.attachments.services import upload

    upload(
        actor=next(iter(org.memberships.filter(role="member").select_related("user"))).user,
        target=project,
        file=SimpleUploadedFile("notes.txt", b"Commissioning notes", content_type="text/plain"),
    )
    job = Job.objects.create(
        organisation=org,
        kind=LEVELLING_JOB,
        owner=users["owner"],
        subject_type_id=_content_type_id(project),
        subject_id=project.pk,
    )
    ids: dict[str, Any] = {
        "org_id": org.pk,
        "project_id": project.pk,
        "task_id": task.pk,
        "link_id": link.pk,
        "gate_id": gate.pk if gate else 0,
        "gate_item_id": GateItem.objects.filter(gate__project=project)
        .values_list("pk", flat=True)
        .first(),
        "programme_id": Programme.objects.filter(organisation=org)
        .values_list("pk", flat=True)
        .first(),
        "template_id": ProjectTemplate.objects.filter(organisation=org)
        .values_list("pk", flat=True)
        .first(),
        "risk_id": Risk.objects.filter(project=project).values_list("pk", flat=True).first(),
        "user_id": person.pk,
        "membership_id": Membership.objects.get(organisation=org, user=person).pk,
        "team_id": org.teams.values_list("pk", flat=True).first(),
        "token_id": users["owner"].api_tokens.values_list("pk", flat=True).first(),
        "processes": Process.objects.filter(organisation=org).values_list("pk", flat=True).first(),
        "kpis": Kpi.objects.filter(organisation=org).values_list("pk", flat=True).first(),
        "queues": Queue.objects.filter(organisation=org).values_list("pk", flat=True).first(),
        "requests": Request.objects.filter(organisation=org).values_list("pk", flat=True).first(),
        "routines": Routine.objects.filter(organisation=org).values_list("pk", flat=True).first(),
        "occurrences": Occurrence.objects.filter(organisation=org, completed_at__isnull=True)
        .values_list("pk", flat=True)
        .first(),
        "calendars": calendar.pk,
        "holiday_id": Holiday.objects.filter(calendar=calendar)
        .values_list("pk", flat=True)
        .first(),
        "definition_id": FieldDefinition.objects.filter(organisation=org)
        .values_list("pk", flat=True)
        .first(),
        "attachment_id": Attachment.objects.filter(organisation=org)
        .values_list("pk", flat=True)
        .first(),
        "job_id": job.pk,
        "item_id": ImprovementItem.objects.filter(organisation=org)
        .values_list("pk", flat=True)
        .first(),
        "handover_id": Handover.objects.filter(organisation=org)
        .values_list("pk", flat=True)
        .first(),
        "pattern_id": pattern.pk,
        "absence_id": absence.pk,
        "phase": "initiation",
        "kind": "project",
        "target_id": project.pk,
        "action": "indent",
        "uidb64": "MQ",
        "token": "set-password",
    }
    ids.update(_seed_later_objects(org, users, ids))
    ids.update(_seed_notifications(org, users, project))
    ids.update(_seed_collab(org, users, ids))
    ids.update(_seed_webhooks(org))
    # An invitation of this organisation to the other organisation's owner: only they may
    # answer it (everyone else gets 404), only this organisation's admins may withdraw it.
    from twofold.accounts.models import Invitation

    ids["invitation_id"] = Invitation.objects.create(
        organisation=org, user=users["other"], role=Role.MEMBER, invited_by=users["owner"]
    ).pk
    ids["checklist_item_id"] = _seed_checklist_item(task)
    ids["request_version"] = Request.objects.get(pk=ids["requests"]).version
    ids["lesson_version"] = Lesson.objects.get(pk=ids["lesson_id"]).version
    # A handover awaiting acceptance moves its version with every part drafted on it.
    ids["handover_version"] = Handover.objects.get(pk=ids["handover_id"]).version
    missing = [name for name, value in ids.items() if value is None]
    assert not missing, f"the seed has no object for {missing}"
    ids["field_id"] = ids["definition_id"]
    ids["items"] = ids["item_id"]
    ids["handovers"] = ids["handover_id"]
    ids["member_id"] = ids["membership_id"]
    world = World(users=users, sessions=sessions, tokens=tokens, ids=ids)
    world.baseline = checksum()
    return world


def _seed_notifications(org: Any, users: dict[str, Any], project: Any) -> dict[str, Any]:
    """A notification for the owner and an e-mail in the organisation's outbox (notifications)."""
    from twofold.notifications.models import Notification, OutboxEmail

    note = Notification.objects.create(
        recipient=users["owner"], organisation=org, kind="comment", summary="Matrix", url="/"
    )
    mail = OutboxEmail.objects.create(
        organisation=org, to="matrix@example.com", subject="Matrix", body_text="Matrix"
    )
    return {"notification_id": note.pk, "email_id": mail.pk, "target_type": "projects.project"}


def _seed_later_objects(org: Any, users: dict[str, Any], ids: dict[str, Any]) -> dict[str, Any]:
    """Objects of the routes added after the matrix was first written (trash, quality, close-out,
    measurements, capacity reservations, process changes, calendar feeds), from the demo where it
    has them, otherwise made here."""
    from django.conf import settings as django_settings
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from twofold.capacity.models import Reservation
    from twofold.closeout.models import HandoverPart, Lesson
    from twofold.core import trash
    from twofold.core.models import Job, JobStatus
    from twofold.improvement.models import ProcessChange
    from twofold.interchange.services import create_feed
    from twofold.operations.models import (
        ChangePoint,
        Measurement,
        Occurrence,
        Request,
        RoutineStep,
        StepEvidence,
    )
    from twofold.quality.jobs import AUDIT_JOB, export_path
    from twofold.quality.models import CapaAction, Nonconformance

    owner = users["owner"]
    first = lambda qs: qs.order_by("pk").values_list("pk", flat=True).first()  # noqa: E731
    occurrence = Occurrence.objects.get(pk=ids["occurrences"])
    step = RoutineStep.objects.filter(routine_id=occurrence.routine_id).order_by("pk").first()
    evidence = StepEvidence.objects.filter(organisation=org).exclude(file="").first()
    if evidence is None and step is not None:
        evidence = StepEvidence(organisation=org, occurrence=occurrence, step=step, note="Photo")
        evidence.file.save("torque.txt", ContentFile(b"42 Nm"), save=False)
        evidence.original_name, evidence.content_type, evidence.size = "torque.txt", "text/plain", 5
        evidence.save()
    reservation = first(Reservation.objects.filter(organisation=org))
    if reservation is None:
        reservation = Reservation.objects.create(
            organisation=org,
            person_id=ids["user_id"],
            label="Audit prep",
            percent=20,
            start=dt.date(2025, 3, 3),
        ).pk
    feed, secret = create_feed(actor=owner, organisation=org, kind="person")
    from tests.interchange.test_mspdi_import import PLAN
    from twofold.interchange.mspdi_import import upload_mspdi

    upload = upload_mspdi(actor=owner, organisation=org, file_name="plan.xml", data=PLAN)
    from twofold.interchange.sheet_import import upload_sheet

    sheet = upload_sheet(actor=owner, organisation=org, file_name="tasks.csv", data=b"Name\nA\n")
    # Something in the trash that nothing else in the matrix points at.
    spare = (
        Request.objects.filter(organisation=org).exclude(pk=ids["requests"]).order_by("pk").last()
    )
    entry = trash.move_to_trash(actor=owner, obj=spare)
    audit_job = Job.objects.create(
        organisation=org,
        kind=AUDIT_JOB,
        owner=owner,
        subject_type_id=_content_type_id(occurrence.routine.process),
        subject_id=occurrence.routine.process_id,
        status=JobStatus.SUCCEEDED,
        params={"start": "2025-01-01", "end": "2025-03-31"},
        result={"file_name": "audit.zip"},
    )
    path = export_path(audit_job)
    assert str(path).startswith(str(django_settings.VAR_DIR))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    from twofold.interchange.org_archive import EXPORT_JOB

    org_export_job = Job.objects.create(
        organisation=org,
        kind=EXPORT_JOB,
        owner=owner,
        subject_type_id=_content_type_id(org),
        subject_id=org.pk,
        status=JobStatus.SUCCEEDED,
        result={
            "file": default_storage.save(
                "organisation-exports/matrix.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18)
            ),
            "file_name": "acme.zip",
        },
    )
    nonconformance = first(Nonconformance.objects.filter(organisation=org))
    found = {
        "org_export_job_id": org_export_job.pk,
        "change-points": first(ChangePoint.objects.filter(organisation=org)),
        "measurements": first(Measurement.objects.filter(organisation=org)),
        "reservation_id": reservation,
        "feeds": feed.pk,
        "secret": secret,
        "part_id": first(HandoverPart.objects.filter(organisation=org)),
        "entry_id": entry.pk,
        "entry_version": entry.version,
        "process-changes": first(ProcessChange.objects.filter(organisation=org)),
        "nonconformances": nonconformance,
        "action_id": first(CapaAction.objects.filter(nonconformance_id=nonconformance)),
        "lesson_id": first(Lesson.objects.filter(organisation=org)),
        "step_id": step.pk if step else None,
        "evidence": evidence.pk if evidence else None,
        "audit_job_id": audit_job.pk,
        "upload_id": upload.pk,
        "mspdi-imports": upload.pk,
        "sheet_id": sheet.pk,
        "sheet-imports": sheet.pk,
    }
    from twofold.costs.models import EntryStatus, Expense, Rate, TimeEntry

    found["timesheet_id"] = (
        TimeEntry.objects.filter(organisation=org, status=EntryStatus.SUBMITTED)
        .order_by("timesheet_id")
        .values_list("timesheet_id", flat=True)
        .first()
    )
    found["expense_id"] = first(Expense.objects.filter(organisation=org, status="submitted"))
    found["rate_id"] = first(Rate.objects.filter(organisation=org))
    found["capa-actions"] = found["action_id"]
    found["quality"] = found["nonconformances"]
    found["lessons"] = found["lesson_id"]
    found["parts"] = found["part_id"]
    found["feed_id"] = found["feeds"]
    found["queue_id"] = ids["queues"]
    found["process_id"] = ids["processes"]
    found["projects"] = ids["project_id"]
    found.update(_seed_cost_objects(org, ids))
    found["sponsored_project"] = _seed_sponsored_project(org, users, ids)
    return found


def _seed_sponsored_project(org: Any, users: dict[str, Any], ids: dict[str, Any]) -> int:
    """Another demo project whose sponsor is the matrix member: a sponsor sees its money."""
    from twofold.projects.models import Project

    project = (
        Project.objects.filter(organisation=org)
        .exclude(pk=ids["project_id"])
        .order_by("pk")
        .first()
    )
    assert project is not None
    Project.objects.filter(pk=project.pk).update(sponsor=users["member"])
    return int(project.pk)


def _seed_collab(org: Any, users: dict[str, Any], ids: dict[str, Any]) -> dict[str, Any]:
    """A comment by the matrix member (its author edits it), an activity feed of the owner and
    the live-page key of the seeded project."""
    from twofold.activity.services import create_feed as create_activity_feed
    from twofold.comments.services import add_comment
    from twofold.projects.models import Project

    project = Project.objects.get(pk=ids["project_id"])
    comment = add_comment(actor=users["member"], target=project, body="Matrix comment")
    feed, secret = create_activity_feed(actor=users["owner"], organisation=org)
    return {
        "comments": comment.pk,
        "comment_version": comment.version,
        "activity_feed_id": feed.pk,
        "activity-feeds": feed.pk,
        "activity_secret": secret,
        "key": f"project-{project.pk}",
    }


def _seed_webhooks(org: Any) -> dict[str, Any]:
    """A webhook endpoint (on a public address literal: no DNS) with one delivered event."""
    from twofold.interchange.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        organisation=org,
        url="https://93.184.216.34/hook",
        event_types=["task.created"],
        secret="whsec_matrix",
        secret_prefix="whsec_matr",
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_type="task.created", body="{}", status=DeliveryStatus.SUCCEEDED
    )
    return {"endpoint_id": endpoint.pk, "webhooks": endpoint.pk, "delivery_id": delivery.pk}


def _seed_cost_objects(org: Any, ids: dict[str, Any]) -> dict[str, Any]:
    """A change request (the demo's open one) and a planned expense on the matrix's project."""
    from twofold.changes.models import ChangeRequest
    from twofold.evm.models import BudgetLine

    change = (
        ChangeRequest.objects.filter(organisation=org, status="proposed").order_by("pk").first()
    )
    line = BudgetLine.objects.filter(project_id=ids["project_id"]).order_by("pk").first()
    if line is None:
        line = BudgetLine.objects.create(
            organisation=org,
            project_id=ids["project_id"],
            category="materials",
            description="Matrix expense",
            amount=100,
        )
    return {"change_id": change.pk if change else None, "line_id": line.pk}


def _seed_checklist_item(task: Any) -> int:
    """An item of the matrix task's checklist (the task page's checklist, and its API)."""
    from twofold.projects.models import ChecklistItem

    item = ChecklistItem.objects.filter(task=task).order_by("pk").first()
    if item is None:
        item = ChecklistItem.objects.create(
            organisation_id=task.organisation_id, task=task, text="Matrix step"
        )
    return int(item.pk)


def _content_type_id(obj: Any) -> int:
    from django.contrib.contenttypes.models import ContentType

    return int(ContentType.objects.get_for_model(obj).pk)


def _session_for(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


# --------------------------------------------------------------------------- one cell

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\{(\w+)\}")


def concrete_path(row: Row, ids: dict[str, Any]) -> str:
    """The route with its parameters filled from the seed (``pk`` by the segment before it)."""
    # ``name=@key`` fills the parameter from another seeded id (``project_id=@sponsored_project``)
    args = {k: ids[v[1:]] if v.startswith("@") else v for k, v in row.args.items()}
    values = {**ids, **args}
    segments = row.route.split("/")
    out: list[str] = []
    for i, segment in enumerate(segments):
        match = _PARAM.fullmatch(segment)
        if not match:  # a parameter inside a segment (``<str:secret>.ics``) or none
            fill = values
            out.append(_PARAM.sub(lambda m, v=fill: str(v[m.group(1) or m.group(2)]), segment))
            continue
        name = match.group(1) or match.group(2)
        if name == "pk":
            previous = segments[i - 1]
            name = values.get("kind", previous) if _PARAM.fullmatch(previous) else previous
        elif name == "item_id" and "gates" in segments:
            name = "gate_item_id"
        elif name == "item_id" and "checklist" in segments:
            name = "checklist_item_id"
        elif name == "job_id" and ("audit" in segments or "audit-exports" in segments):
            name = "audit_job_id"
        elif name == "job_id" and "exports" in segments:
            name = "org_export_job_id"
        elif name == "kind" and row.route.startswith(("/operations/", "/api/operations/")):
            values = {**values, "kind": row.args.get("kind", "processes")}
        out.append(str(values[name]))
    path = "/".join(out)
    return f"{path}?{row.query.format(**values)}" if row.query else path


def request(row: Row, role: str, world: World) -> tuple[int, str]:
    """Send the row's request as ``role``; answer (status, Location)."""
    path = concrete_path(row, world.ids)
    client = Client()
    headers: dict[str, str] = {}
    if row.is_api:
        if role != "anon":
            headers["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[role]}"
        # A JSON body may name a seeded value: ``{"version": @handover_version}``.
        body = re.sub(r"@(\w+)", lambda m: json.dumps(world.ids[m.group(1)]), row.body or "")
        data = body or (api_body(row) if row.is_write else "")
        response = client.generic(
            row.method, path, data=data, content_type="application/json", **headers
        )
    else:
        if role != "anon":
            client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
        if row.method == "GET":
            response = client.get(path)
        else:
            # A form body may name seeded objects: ``process={processes}``.
            body = row.body.format(**world.ids) if row.body else form_body(row, path, world)
            response = client.post(path, data=QueryDict(body))
    return response.status_code, response.get("Location", "")


_FORMS: dict[str, str] = {}


def form_body(row: Row, path: str, world: World) -> str:
    """A valid-looking form body: the page's own form as an owner sees it, sent back unchanged.

    Computed once per route; empty when the page has no form posting to itself.
    """
    if path not in _FORMS:
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions["owner"]
        response = client.get(path)
        found = ""
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            parser = _FormParser(path)
            parser.feed(response.content.decode())
            found = parser.body()
        _FORMS[path] = found
    return _FORMS[path]


class _FormParser(HTMLParser):
    """The fields of the first ``method=post`` form whose action is this page, with the values
    the page filled in (checked boxes, selected options, textarea text)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path.split("?", 1)[0]
        self.depth = 0  # >0 inside the chosen form
        self.done = False
        self.fields: list[tuple[str, str]] = []
        self.select: str | None = None
        self.select_first: str | None = None
        self.select_chosen = False
        self.textarea: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.done and self.depth == 0:
            action = a.get("action", "").split("?", 1)[0]
            if a.get("method", "").lower() == "post" and action in ("", self.path):
                self.depth = 1
            return
        if not self.depth:
            return
        name = a.get("name", "")
        if tag == "input" and name and a.get("type", "text") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if a.get("type") == "checkbox" else "")))
        elif tag == "select" and name:
            self.select, self.select_first, self.select_chosen = name, None, False
        elif tag == "option" and self.select:
            value = a.get("value", "")
            if self.select_first is None:
                self.select_first = value
            if "selected" in a:
                self.fields.append((self.select, value))
                self.select_chosen = True
        elif tag == "textarea" and name:
            self.textarea, self.text = name, []

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        if tag == "select" and self.select:
            if not self.select_chosen and self.select_first is not None:
                self.fields.append((self.select, self.select_first))
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea, "".join(self.text)))
            self.textarea = None
        elif tag == "form":
            self.depth, self.done = 0, True

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.text.append(data)

    def body(self) -> str:
        return urlencode(self.fields)


def outcome(status: int, location: str) -> str:
    """How the matrix writes an answer: the status, or ``login`` for a redirect to sign in."""
    if status == 302 and location.startswith(reverse("accounts:login")):
        return "login"
    return str(status)


# --------------------------------------------------------------------------- API bodies

_SAMPLE_STRINGS = {"date": "2027-03-01", "date-time": "2027-03-01T09:00:00Z", "time": "09:00:00"}


def api_body(row: Row) -> str:
    """A valid-looking JSON body from the operation's schema: every required field filled."""
    from twofold.api import api

    schema = _schema(api)
    operation = schema["paths"][row.route][row.method.lower()]
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return ""
    return json.dumps(_sample(content["schema"], schema))


_SCHEMA_CACHE: dict[str, Any] = {}


def _schema(api: Any) -> dict[str, Any]:
    if "schema" not in _SCHEMA_CACHE:
        _SCHEMA_CACHE["schema"] = api.get_openapi_schema()
    schema: dict[str, Any] = _SCHEMA_CACHE["schema"]
    return schema


def _sample(node: dict[str, Any], schema: dict[str, Any]) -> Any:
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _sample(schema["components"]["schemas"][name], schema)
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in node:
            options = [o for o in node[combined] if o.get("type") != "null"]
            return _sample(options[0], schema) if options else None
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        properties = node.get("properties", {})
        return {
            name: _sample(properties[name], schema)
            for name in node.get("required", [])
            if name in properties
        }
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, int(node.get("minimum", 1)))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if kind == "string":
        return _SAMPLE_STRINGS.get(node.get("format", ""), "Matrix")
    return None


# --------------------------------------------------------------------------- checksum


_SELECTS: dict[str, str] = {}


def _selects() -> dict[str, str]:
    """One SELECT per table (volatile columns left out), built once per connection's schema."""
    if not _SELECTS:
        with connection.cursor() as cursor:
            for table in sorted(connection.introspection.table_names(cursor)):
                description = connection.introspection.get_table_description(cursor, table)
                skip = VOLATILE_COLUMNS.get(table, set())
                quoted = ", ".join(
                    connection.ops.quote_name(c.name) for c in description if c.name not in skip
                )
                _SELECTS[table] = f"SELECT {quoted} FROM {connection.ops.quote_name(table)}"  # noqa: S608
    return _SELECTS


def checksum(tables: Iterable[str] | None = None) -> dict[str, str]:
    """A digest per table of all its rows (volatile columns aside), independent of row order:
    the number of rows and the sum of the hashes of their texts (``repr``, so -1 and -2,
    0.0 and -0.0, 1.0 and 1.00 differ, which their own hashes may not). Compared only within
    one test process (a string's hash differs between processes), it changes when any row is
    added, removed or changed. Building each row's text is most of the cost (~105 ms a digest
    of the demo database, ~48 ms of it reading the rows), so the matrix digests only the tables
    a refused write wrote (``tables``; all of them when None)."""
    selects = _selects()
    names = sorted(selects) if tables is None else sorted(set(tables) & set(selects))
    sums: dict[str, str] = {}
    with connection.cursor() as cursor:
        for table in names:
            cursor.execute(selects[table])
            rows = cursor.fetchall()
            total = sum(hash(repr(row)) for row in rows)
            sums[table] = f"{len(rows)}:{total & 0xFFFFFFFFFFFFFFFF:x}"
    return sums


# Tables without a trigger: the search index's virtual table and the shadow tables it writes
# itself (a trigger there crashes SQLite's FTS5 when a bulk delete reaches the index). Any write
# counts as having written them.
_UNWATCHED: set[str] = set()


def watch_writes() -> None:
    """On SQLite, a temporary trigger on every ordinary table notes the table's name in
    ``temp.matrix_written`` for each row inserted, updated or deleted on this connection. The
    notes are in the same transaction as the rows, so a write rolled back (a refused request's
    savepoint) leaves none. Installed outside any transaction (see the matrix's ``world``) and
    removed by :func:`unwatch_writes`. PostgreSQL needs nothing: its per-table counters
    (``pg_stat_xact_all_tables``) serve."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, type FROM pragma_table_list WHERE schema = 'main'")
        kinds = dict(cursor.fetchall())
        cursor.execute(
            "CREATE TEMP TABLE matrix_written (seq INTEGER PRIMARY KEY, name TEXT NOT NULL)"
        )
        for table in _selects():
            if kinds.get(table) != "table":
                _UNWATCHED.add(table)
                continue
            quoted = connection.ops.quote_name(table)
            literal = "'" + table.replace("'", "''") + "'"
            for event in ("INSERT", "UPDATE", "DELETE"):
                name = connection.ops.quote_name(f"matrix_{event}_{table}")
                # the names come from the schema
                trigger = f"CREATE TEMP TRIGGER {name} AFTER {event} ON main.{quoted}"
                note = f"INSERT INTO matrix_written (name) VALUES ({literal})"  # noqa: S608
                cursor.execute(f"{trigger} BEGIN {note}; END")


def unwatch_writes() -> None:
    """Remove what :func:`watch_writes` installed (the triggers go with their table)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # the triggers first: one left behind would fail every later write to its table
            cursor.execute(
                "SELECT name FROM sqlite_temp_master WHERE type = 'trigger' AND name LIKE 'matrix_%'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP TRIGGER IF EXISTS temp.{connection.ops.quote_name(name)}")
            cursor.execute("DROP TABLE IF EXISTS temp.matrix_written")
        _UNWATCHED.clear()


def write_mark() -> Any:
    """Where this connection's writes stand now; :func:`tables_written` compares with it."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT coalesce(max(seq), 0) FROM temp.matrix_written")
            return (connection.connection.total_changes, cursor.fetchone()[0])
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_all_tables"
            " WHERE schemaname = current_schema()"
        )
        return dict(cursor.fetchall())


def tables_written(mark: Any) -> set[str]:
    """The tables this connection has written since ``mark`` (:func:`write_mark`), a superset
    on PostgreSQL (its counters count rolled-back rows too) and on SQLite for the tables without
    a trigger. Empty when nothing was written."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            changes, seq = mark
            if connection.connection.total_changes == changes:
                return set()
            cursor.execute("SELECT DISTINCT name FROM temp.matrix_written WHERE seq > %s", [seq])
            return {name for (name,) in cursor.fetchall()} | _UNWATCHED
        now = write_mark()
        return {table for table, count in now.items() if mark.get(table, 0) != count}


def iter_cells(rows: list[Row]) -> Iterator[tuple[Row, str]]:
    for row in rows:
        for role in ROLES:
            yield row, role
