"""Writes for change control: raise a change request, decide it (approve → applied with a new
baseline, reject → kept with the reason), and keep the organisation's change board.

Who decides: when the organisation has a change board (members on it), its members; otherwise
the project's sponsor, or an admin or owner of the organisation. Guests never decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.utils import timezone

from twofold.accounts.models import Membership, Organisation, Role, User
from twofold.changes.impact import ItemSpec, compute_impact
from twofold.changes.models import ChangeBoardMember, ChangeItem, ChangeRequest, ChangeStatus
from twofold.core import history
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Conflict, Forbidden, Invalid
from twofold.core.policy import Action, granted, require, role_in
from twofold.evm.models import BudgetLine, CostCategory
from twofold.projects import services as project_services
from twofold.projects.models import MINUTES_PER_DAY, Project, Task

MAX_ITEMS = 200


def board_of(organisation_id: int) -> QuerySet[ChangeBoardMember]:
    """The change board as it counts: its people who are still members of the organisation,
    and not guests. A row of someone who left (or became a guest) made "the board decides"
    while nobody on it could, so every change request waited for ever."""
    return ChangeBoardMember.objects.filter(organisation_id=organisation_id).filter(
        Exists(
            Membership.objects.filter(
                organisation_id=OuterRef("organisation_id"), user_id=OuterRef("person_id")
            ).exclude(role=Role.GUEST)
        )
    )


def leave_board(actor: User | None, person: User, organisation: Organisation) -> None:
    """``person`` leaves ``organisation`` (``accounts.services.MEMBER_REMOVED``): off its change
    board too, with a line in the organisation's history."""
    rows = ChangeBoardMember.objects.filter(organisation=organisation, person=person)
    if rows.exists():
        before = sorted(
            ChangeBoardMember.objects.filter(organisation=organisation).values_list(
                "person_id", flat=True
            )
        )
        rows.delete()
        history.record(
            actor=actor,
            obj=organisation,
            action="change board set",
            changes={"change board": [before, [pk for pk in before if pk != person.pk]]},
            summary=f"{person.display_name} left the change board (no longer a member)",
        )


def may_decide(user: Any, project: Project) -> bool:
    """True when ``user`` may approve or reject change requests on ``project``."""
    role = role_in(user, project.organisation_id)
    if role is None or role == Role.GUEST:
        return False
    board = board_of(project.organisation_id)
    if board.exists():
        return board.filter(person_id=user.pk).exists()
    return role in (Role.ADMIN, Role.OWNER) or project.sponsor_id == user.pk


def who_decides(project: Project) -> str:
    """Who decides change requests on ``project``, in a sentence."""
    names = list(
        board_of(project.organisation_id)
        .select_related("person")
        .order_by("person__full_name")
        .values_list("person__full_name", flat=True)
    )
    if names:
        return "The change board decides: " + ", ".join(names) + "."
    sponsor = project.sponsor.full_name if project.sponsor else None
    if sponsor:
        return f"The sponsor, {sponsor}, decides (or an admin)."
    return "An admin decides (the project has no sponsor and the organisation no change board)."


def _clean(title: str, description: str, reason: str, scope_text: str) -> None:
    if not title.strip():
        raise Invalid("Give the change a title.", field="title")
    if len(title) > 160:
        raise Invalid(
            f"A title can be at most 160 characters; this one has {len(title):,}.", field="title"
        )
    if not reason.strip():
        raise Invalid("Say why the change is needed.", field="reason")
    for name, text in (
        ("description", description),
        ("reason", reason),
        ("scope_text", scope_text),
    ):
        if len(text) > 20000:
            raise Invalid("At most 20,000 characters.", field=name)


@transaction.atomic
def raise_change_request(
    *,
    actor: User,
    project: Project,
    title: str,
    reason: str,
    description: str = "",
    scope_text: str = "",
    target_finish: Any = None,
    budget_change: Decimal = Decimal(0),
    items: Sequence[ItemSpec] = (),
) -> ChangeRequest:
    """Record a proposed change with its impact (computed on a copy of the plan).

    Raises:
        Invalid: a field is missing or wrong, an item names a task outside the project, or the
            change would create a dependency cycle (the tasks are named); nothing is saved.
    """
    require(actor, Action.EDIT, project)
    _clean(title, description, reason, scope_text)
    if len(items) > MAX_ITEMS:
        raise Invalid(f"At most {MAX_ITEMS} changes in one request.", field="items")
    if not items and target_finish is None and not budget_change and not scope_text.strip():
        raise Invalid(
            "Request at least one change: a task, a date, a budget or scope text.", field="items"
        )
    if not Decimal("-1e11") < budget_change < Decimal("1e11"):
        raise Invalid("The budget change is out of range.", field="budget_change")
    if target_finish is not None:
        project_services._check_dates({"target_finish": target_finish}, ("target_finish",))
        if target_finish < project.target_start:
            raise Invalid(
                "The new finish cannot be before the project's start.", field="target_finish"
            )
    impact = compute_impact(project, items, budget_change)
    Project.objects.select_for_update().filter(pk=project.pk).first()
    number = (
        ChangeRequest.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0
    ) + 1
    change = ChangeRequest.objects.create(
        organisation_id=project.organisation_id,
        project=project,
        number=number,
        title=title.strip(),
        description=description,
        reason=reason,
        scope_text=scope_text,
        target_finish=target_finish,
        budget_change=budget_change,
        requested_by=actor,
        impact=impact,
    )
    ChangeItem.objects.bulk_create(
        [
            ChangeItem(
                change=change,
                kind=item.kind,
                task_id=item.task_id,
                name=item.name.strip(),
                parent_id=item.parent_id,
                predecessor_id=item.predecessor_id,
                days=item.days,
                position=i,
            )
            for i, item in enumerate(items)
        ]
    )
    history.record(
        actor=actor, obj=change, action="raised", summary=f"{change.code} raised on {project.code}"
    )
    history.record(
        actor=actor, obj=project, action="change raised", summary=f"{change.code}: {change.title}"
    )
    _tell_deciders(actor, change)
    return change


def _tell_deciders(actor: User, change: ChangeRequest) -> None:
    """Notify who decides: the change board, else the sponsor, else the admins and owners."""
    from django.urls import reverse

    from twofold.notifications.hooks import CHANGE_REQUEST
    from twofold.notifications.services import notify

    project = change.project
    deciders = set(board_of(project.organisation_id).values_list("person_id", flat=True))
    if not deciders and project.sponsor_id:
        deciders = {project.sponsor_id}
    if not deciders:
        deciders = set(
            Membership.objects.filter(
                organisation_id=project.organisation_id, role__in=[Role.ADMIN, Role.OWNER]
            ).values_list("user_id", flat=True)
        )
    notify(
        recipients=deciders,
        kind=CHANGE_REQUEST,
        actor=actor,
        target=change,
        summary=f"{change.code} on {project.code}: {change.title} waits for a decision",
        url=reverse("changes:detail", args=[change.pk]),
        event_key=f"change:{change.pk}:raised",
    )


def _require_decider(actor: User, change: ChangeRequest, expected_version: int | None) -> None:
    require(actor, Action.VIEW, change)
    if not may_decide(actor, change.project):
        raise Forbidden(who_decides(change.project) + " Your role does not.")
    if change.status != ChangeStatus.PROPOSED:
        raise Conflict(f"{change.code} was already {change.get_status_display().lower()}.")
    if expected_version is not None and expected_version != change.version:
        raise Conflict(
            f"{change.code} changed since you opened it. Reload to see it, then decide again."
        )


@transaction.atomic
def reject_change_request(
    *, actor: User, change: ChangeRequest, reason: str, expected_version: int | None
) -> ChangeRequest:
    """Reject: the request stays, with the reason and who decided."""
    _require_decider(actor, change, expected_version)
    if not reason.strip():
        raise Invalid("Say why the change is rejected.", field="decision_note")
    change.status = ChangeStatus.REJECTED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.decision_note = reason.strip()
    save_versioned(
        change,
        expected_version=expected_version,
        fields=["status", "decided_by", "decided_at", "decision_note"],
    )
    history.record(
        actor=actor,
        obj=change,
        action="rejected",
        changes={"status": ["proposed", "rejected"]},
        summary=reason.strip(),
    )
    return change


@transaction.atomic
def withdraw_change_request(
    *, actor: User, change: ChangeRequest, reason: str = "", expected_version: int | None
) -> ChangeRequest:
    """Withdraw a request still waiting for a decision: whoever raised it, or someone who
    decides changes on the project. It stays in the log, withdrawn, and can never be approved
    (an obsolete request waited until a decider rejected it)."""
    require(actor, Action.VIEW, change)
    if change.requested_by_id != actor.pk and not may_decide(actor, change.project):
        raise Forbidden(
            f"Only whoever raised {change.code}, or someone who decides changes here, withdraws it."
        )
    if change.status != ChangeStatus.PROPOSED:
        raise Conflict(f"{change.code} was already {change.get_status_display().lower()}.")
    if expected_version is not None and expected_version != change.version:
        raise Conflict(f"{change.code} changed since you opened it. Reload to see it.")
    change.status = ChangeStatus.WITHDRAWN
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.decision_note = reason.strip()[:1000]
    save_versioned(
        change,
        expected_version=expected_version,
        fields=["status", "decided_by", "decided_at", "decision_note"],
    )
    history.record(
        actor=actor,
        obj=change,
        action="withdrawn",
        changes={"status": ["proposed", "withdrawn"]},
        summary=reason.strip()[:300],
    )
    return change


def _live(pk: int | None) -> Task | None:
    """The task as it is now, or None when it no longer exists for the plan (deleted, or in the
    trash). Read again for each item: an earlier item of the same change may have removed it,
    or the subtree it is in (a copy read before the first item still looked alive)."""
    if pk is None:
        return None
    return Task.objects.filter(pk=pk).first()


def _apply_items(actor: User, change: ChangeRequest) -> None:
    project = change.project
    items = list(change.items.select_related("task", "parent", "predecessor").order_by("position"))
    for n, item in enumerate(items, start=1):
        where = f"{change.code}, change {n}"
        if item.kind == "add":
            # A summary or a predecessor named when the change was raised may be in the trash
            # now (or removed by an earlier item): that answered 500 ("unknown parent") where
            # the change should stay open.
            parent = _live(item.parent_id)
            if item.parent_id is not None and parent is None:
                raise Invalid(
                    f"{where}: the summary to add “{item.name}” under no longer exists.",
                    field="items",
                )
            predecessor = _live(item.predecessor_id)
            if item.predecessor_id is not None and predecessor is None:
                raise Invalid(
                    f"{where}: the predecessor of “{item.name}” no longer exists.",
                    field="items",
                )
            values: dict[str, Any] = {
                "duration_minutes": (item.days or 0) * MINUTES_PER_DAY,
                "is_milestone": not item.days,
            }
            task, _ = project_services.create_task(
                actor=actor, project=project, name=item.name, parent=parent, **values
            )
            if predecessor is not None:
                project_services.add_link(actor=actor, project=project, pred=predecessor, succ=task)
        elif item.kind == "remove":
            found = _live(item.task_id)
            if found is None:
                raise Invalid(f"{where}: a task to remove no longer exists.", field="items")
            project_services.delete_task(actor=actor, task=found)
        elif item.kind == "resize":
            found = _live(item.task_id)
            if found is None:
                raise Invalid(f"{where}: a task to resize no longer exists.", field="items")
            project_services.update_task(
                actor=actor,
                task=found,
                expected_version=None,
                duration_minutes=(item.days or 0) * MINUTES_PER_DAY,
                is_milestone=not item.days,
            )
        elif item.kind == "link":
            # A link to a trashed task was "applied" where no plan could see it, and came back
            # when the task was restored, without anyone deciding it again.
            succ, pred = _live(item.task_id), _live(item.predecessor_id)
            if succ is None or pred is None:
                raise Invalid(f"{where}: a task to link no longer exists.", field="items")
            project_services.add_link(actor=actor, project=project, pred=pred, succ=succ)


@transaction.atomic
def approve_change_request(
    *, actor: User, change: ChangeRequest, note: str = "", expected_version: int | None
) -> ChangeRequest:
    """Approve and apply, in one transaction: the tasks, dates, budget and scope change, each
    write with its history, then a new numbered baseline named after the change is saved.

    Raises:
        Forbidden: ``actor`` does not decide changes on this project.
        Conflict: the request was decided already (or changed since it was read).
        Invalid: the change no longer applies (a cycle, a task gone, no free baseline number);
            nothing is applied.
    """
    _require_decider(actor, change, expected_version)
    project = Project.objects.select_for_update().get(pk=change.project_id)
    change.project = project
    with granted(actor, Action.MANAGE, project.organisation_id):
        _apply_items(actor, change)
        project.refresh_from_db()
        values: dict[str, Any] = {}
        if change.target_finish is not None:
            values["target_finish"] = change.target_finish
        if change.scope_text.strip():
            joined = project.scope.rstrip() + "\n\n" if project.scope.strip() else ""
            values["scope"] = joined + f"{change.code}: {change.scope_text.strip()}"
        if values:
            project_services.update_project(
                actor=actor, project=project, expected_version=None, **values
            )
        if change.budget_change:
            BudgetLine.objects.create(
                organisation_id=project.organisation_id,
                project=project,
                category=CostCategory.OTHER,
                description=f"{change.code}: {change.title}"[:200],
                amount=change.budget_change,
                change_number=change.number,
            )
            history.record(
                actor=actor,
                obj=project,
                action="budget changed",
                summary=f"{change.code}: budget {change.budget_change:+,.2f}",
            )
        baseline = project_services.save_baseline(
            actor=actor, project=project, name=f"{change.code} {change.title}"[:80]
        )
    change.status = ChangeStatus.APPROVED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.decision_note = note.strip()
    change.baseline_number = baseline.number
    save_versioned(
        change,
        expected_version=expected_version,
        fields=["status", "decided_by", "decided_at", "decision_note", "baseline_number"],
    )
    history.record(
        actor=actor,
        obj=change,
        action="approved",
        changes={"status": ["proposed", "approved"]},
        summary=f"Applied; baseline #{baseline.number} saved",
    )
    return change


@transaction.atomic
def set_change_board(
    *,
    actor: User,
    organisation: Organisation,
    people: Sequence[User],
    expected: Sequence[int] | None = None,
) -> list[ChangeBoardMember]:
    """Replace the organisation's change board (admins); an empty board hands decisions back to
    each project's sponsor. ``expected``: the board's people as read; another board now is a
    Conflict (someone added a person since, whom this save would drop unseen)."""
    require(actor, Action.MANAGE, organisation)
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    if expected is not None:
        now = sorted(board_of(organisation.pk).values_list("person_id", flat=True))
        if now != sorted(expected):
            raise Conflict(
                "Someone changed the change board since you read it: it is shown as it is now. "
                "Choose again and save."
            )
    ids = {p.pk for p in people}
    members = dict(organisation.memberships.filter(user_id__in=ids).values_list("user_id", "role"))
    for person in people:
        if person.pk not in members:
            raise Invalid("Choose members of the organisation.", field="people")
        if members[person.pk] == Role.GUEST:
            raise Invalid(
                f"{person.full_name} is a guest: guests cannot decide changes.", field="people"
            )
    before = sorted(
        ChangeBoardMember.objects.filter(organisation=organisation).values_list(
            "person_id", flat=True
        )
    )
    ChangeBoardMember.objects.filter(organisation=organisation).exclude(person_id__in=ids).delete()
    for pk in ids - set(before):
        ChangeBoardMember.objects.create(organisation=organisation, person_id=pk)
    if sorted(ids) != before:
        history.record(
            actor=actor,
            obj=organisation,
            action="change board set",
            changes={"change board": [before, sorted(ids)]},
        )
    return list(
        ChangeBoardMember.objects.filter(organisation=organisation).select_related("person")
    )
