"""Demo mentions: a few comments that mention people (files are left for people to upload)."""

from __future__ import annotations

from twofold.accounts.models import Organisation, User
from twofold.projects import services as project_services
from twofold.projects.models import Task

COMMENTS = [
    ("Rita Costa", "@Priya Raman the first-article report needs the revised CMM programme."),
    ("Priya Raman", "@Rita Costa done, and @Dana Whitfield: ready for the gate review."),
    ("Chloe Martin", "@Dana Whitfield the MES interface spec is attached to the project."),
]


def load(organisation: Organisation, people: dict[str, User]) -> str:
    tasks = list(Task.objects.filter(organisation=organisation, is_milestone=False)[:3])
    added = 0
    for task, (author, body) in zip(tasks, COMMENTS, strict=False):
        user = people.get(author)
        if user is None:
            continue
        project_services.add_comment(actor=user, task=task, body=body)
        added += 1
    return f"{added} comments with mentions"
