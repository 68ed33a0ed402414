"""The search index: one row per searchable object, matched by the database's full-text index.

The full-text part lives beside the table and is created by the migration for each database:
SQLite keeps an FTS5 table (``search_document_fts``, external content, kept in step by
triggers); PostgreSQL a generated ``tsvector`` column (``search_vector``) with a GIN index.
"""

from __future__ import annotations

from django.db import models

from twofold.accounts.models import Organisation


class Kind(models.TextChoices):
    """What a document stands for, in the order results are grouped."""

    PROJECT = "project", "Projects"
    TASK = "task", "Tasks"
    REQUEST = "request", "Requests"
    RISK = "risk", "Risks"
    IMPROVEMENT = "improvement", "Improvement items"
    PROCESS = "process", "Processes"
    KPI = "kpi", "KPIs"
    PERSON = "person", "People"
    LESSON = "lesson", "Lessons learned"


# What one result of each kind is called (its badge in the header's dropdown).
SINGULAR: dict[str, str] = {
    Kind.PROJECT: "Project",
    Kind.TASK: "Task",
    Kind.REQUEST: "Request",
    Kind.RISK: "Risk",
    Kind.IMPROVEMENT: "Improvement",
    Kind.PROCESS: "Process",
    Kind.KPI: "KPI",
    Kind.PERSON: "Person",
    Kind.LESSON: "Lesson",
}


class SearchDocument(models.Model):
    """One searchable object of an organisation: its title and body text, and where it lives.

    ``scope_id`` is the parent whose name ``context`` shows (the project of a task or risk, the
    process of a KPI, the queue of a request), so renaming the parent refreshes it. Only the
    indexing services write these rows.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    object_id = models.BigIntegerField()
    scope_id = models.BigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    context = models.CharField(max_length=300, blank=True)
    url = models.CharField(max_length=200)
    # The weakest role that may see it (accounts.ROLE_RANK); every kind is open to guests today.
    min_rank = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "search_document"
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_document_unique")
        ]
        indexes = [models.Index(fields=["kind", "scope_id"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.title}"
