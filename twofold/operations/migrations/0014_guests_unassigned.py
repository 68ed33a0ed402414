"""Guests assigned to routines or open requests (before the services refused them, or members
made guests since) are unassigned, each with a history line, as ``assignment.release_assignments``
does on a role change from now on."""

from collections.abc import Callable
from typing import Any

from django.db import migrations
from django.db.models import F

SUMMARY = "Unassigned {name}: a guest cannot work it"


def _name(user: Any) -> str:
    return str(user.full_name or user.email)  # User.display_name (a migration's has none)


def _request_repr(row: Any) -> str:
    return f"#{row.pk} {row.title}"


def _routine_repr(row: Any) -> str:
    return str(row.name)


def unassign_guests(apps: Any, schema_editor: Any) -> None:
    db = schema_editor.connection.alias
    # Rows in the trash too: restoring one brought the guest back as its assignee.
    Membership = apps.get_model("accounts", "Membership")
    HistoryEntry = apps.get_model("core", "HistoryEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Request = apps.get_model("operations", "Request")
    Routine = apps.get_model("operations", "Routine")
    guests = list(Membership.objects.using(db).filter(role="guest").select_related("user"))
    kinds: tuple[tuple[Any, list[str], str, str | None, Callable[[Any], str]], ...] = (
        # Open requests only: a resolved one keeps who worked it.
        (Request, ["resolved", "closed"], "unassigned", "nobody", _request_repr),
        (Routine, [], "updated", None, _routine_repr),
    )
    entries: list[Any] = []
    for model, done, action, after, shown in kinds:
        content_type = None
        for guest in guests:
            rows = list(
                model._base_manager.using(db).filter(
                    organisation_id=guest.organisation_id,
                    assignee_id=guest.user_id,
                )
            )
            rows = [r for r in rows if getattr(r, "status", None) not in done]
            if not rows:
                continue
            if content_type is None:
                content_type, _ = ContentType.objects.using(db).get_or_create(
                    app_label="operations", model=model._meta.model_name
                )
            model._base_manager.using(db).filter(pk__in=[r.pk for r in rows]).update(
                assignee=None, version=F("version") + 1
            )
            name = _name(guest.user)
            entries.extend(
                HistoryEntry(
                    organisation_id=guest.organisation_id,
                    actor=None,
                    content_type=content_type,
                    object_id=row.pk,
                    object_repr=shown(row)[:200],
                    action=action,
                    changes={"assignee": [name, after]},
                    summary=SUMMARY.format(name=name)[:300],
                )
                for row in rows
            )
    HistoryEntry.objects.using(db).bulk_create(entries)


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0013_annual_budget_wider"),
        ("accounts", "0011_import_stand_ins"),
        ("core", "0004_history_index_by_organisation"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(unassign_guests, migrations.RunPython.noop)]
