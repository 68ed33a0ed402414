"""Task comments move from ``projects.Comment`` into the one comment component, with their
authors, times and text unchanged, and their mentions stored (the mention rules of the day)."""

import re
from typing import Any

from django.db import migrations

MENTION = re.compile(
    r"(?<![\w@])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+|[^\W\d_][\w'-]*(?: [^\W\d_][\w'-]*){0,2})"
)


def _members(User: Any, organisation_id: int) -> dict[str, Any]:
    people: dict[str, Any] = {}
    for user in User.objects.filter(memberships__organisation_id=organisation_id):
        people[user.email.lower()] = user
        if user.full_name.strip():
            people[user.full_name.strip().lower()] = user
    return people


def _mentioned(text: str, people: dict[str, Any]) -> list[Any]:
    found: dict[int, Any] = {}
    for match in MENTION.finditer(text):
        words = match.group(1).split(" ")
        for n in range(len(words), 0, -1):
            user = people.get(" ".join(words[:n]).lower().rstrip(".,;:!?"))
            if user is not None:
                found.setdefault(user.pk, user)
                break
    return list(found.values())


def copy_task_comments(apps: Any, schema_editor: Any) -> None:
    Old = apps.get_model("projects", "Comment")
    New = apps.get_model("comments", "Comment")
    Mention = apps.get_model("comments", "Mention")
    User = apps.get_model("accounts", "User")
    directories: dict[int, dict[str, Any]] = {}
    for old in Old.objects.order_by("id").iterator(chunk_size=500):
        new = New.objects.create(
            organisation_id=old.organisation_id,
            target_kind="task",
            target_id=old.task_id,
            author_id=old.author_id,
            body=old.body,
            created_at=old.created_at,
        )
        if "@" in old.body:
            if old.organisation_id not in directories:
                directories[old.organisation_id] = _members(User, old.organisation_id)
            Mention.objects.bulk_create(
                [
                    Mention(organisation_id=old.organisation_id, comment=new, user=user)
                    for user in _mentioned(old.body, directories[old.organisation_id])
                ]
            )


def copy_back(apps: Any, schema_editor: Any) -> None:
    Old = apps.get_model("projects", "Comment")
    New = apps.get_model("comments", "Comment")
    Old.objects.bulk_create(
        [
            Old(
                organisation_id=c.organisation_id,
                task_id=c.target_id,
                author_id=c.author_id,
                body=c.body,
                created_at=c.created_at,
            )
            for c in New.objects.filter(target_kind="task", deleted_at__isnull=True)
        ]
    )
    New.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0001_initial"),
        ("projects", "0008_task_assignments_and_levelling_delay"),
    ]

    operations = [migrations.RunPython(copy_task_comments, copy_back)]
