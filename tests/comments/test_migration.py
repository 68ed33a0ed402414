"""The data migration: task comments move into the comment component with nothing lost.

Run against the old table, made for the test with the old columns (cheap), rather than by
migrating the whole database back and forth (about 18 s)."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest
from django.apps import apps as current
from django.apps.registry import Apps
from django.db import connection, models

step = importlib.import_module("twofold.comments.migrations.0002_copy_task_comments")
registry = Apps()


class OldComment(models.Model):
    """``projects.Comment`` as it was (its columns; foreign keys as plain ids)."""

    organisation_id = models.BigIntegerField()
    task_id = models.BigIntegerField()
    author_id = models.BigIntegerField(null=True)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        apps = registry
        app_label = "projects"
        db_table = "projects_comment"

    def __str__(self) -> str:
        return self.body


class Historical:
    """What the migration asks ``apps`` for: the old model, and today's others."""

    def get_model(self, app_label: str, name: str) -> Any:
        if (app_label, name) == ("projects", "Comment"):
            return OldComment
        return current.get_model(app_label, name)


@pytest.mark.django_db(transaction=True)
def test_task_comments_move_with_authors_times_and_mentions(
    org: Any, owner: Any, member: Any, outsider: Any
) -> None:
    from twofold.comments.models import Comment, Mention
    from twofold.projects import services

    priya = member(org, full_name="Priya Raman")
    project = services.create_project(
        actor=owner, organisation=org, name="P", code="P", target_start=dt.date(2025, 1, 6)
    )
    task, _ = services.create_task(actor=owner, project=project, name="T")
    old_comment = OldComment
    with connection.schema_editor() as editor:
        editor.create_model(old_comment)
    try:
        when = dt.datetime(2025, 1, 7, 9, 30, tzinfo=dt.UTC)
        text = f"@Priya Raman and @{outsider.full_name}"
        old_comment.objects.create(
            organisation_id=org.pk, task_id=task.pk, author_id=priya.pk, body=text, created_at=when
        )
        old_comment.objects.create(
            organisation_id=org.pk,
            task_id=task.pk,
            author_id=None,
            body="<b>x</b>",
            created_at=when,
        )
        step.copy_task_comments(Historical(), None)
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(old_comment)
    moved = list(
        Comment.objects.order_by("id").values_list(
            "target_kind", "target_id", "author_id", "body", "created_at"
        )
    )
    assert moved == [
        ("task", task.pk, priya.pk, text, when),
        ("task", task.pk, None, "<b>x</b>", when),
    ]
    assert list(Mention.objects.values_list("user_id", flat=True)) == [priya.pk]
