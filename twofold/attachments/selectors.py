"""Reads for attachments."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from twofold.accounts.models import Organisation
from twofold.attachments.models import Attachment
from twofold.core.errors import NotFound
from twofold.core.fastread import FastRead, Read
from twofold.core.policy import Action, can
from twofold.customfields.selectors import get_target, kind_of
from twofold.projects.models import Project, Task

# attachments_of(target) as a list, compiled once (core/fastread.py): every task and project page
# shows the panel.
_ATTACHED = FastRead(
    Attachment,
    "t.target_kind = %s AND t.target_id = %s",
    order_by="t.uploaded_at DESC, t.id DESC",
    related="uploaded_by",
)


def attachment_list(target: Project | Task) -> list[Attachment]:
    """What :func:`attachments_of` finds, newest first, with their uploaders."""
    return _ATTACHED.all(attachment_list_read(target)[1])


def attachment_list_read(target: Project | Task) -> Read:
    """:func:`attachment_list`'s read, to read ahead (``core.fastread.one_round_trip``)."""
    return _ATTACHED, [kind_of(target), target.pk]


def attachments_of(target: Project | Task) -> QuerySet[Attachment]:
    return Attachment.objects.filter(
        target_kind=kind_of(target), target_id=target.pk
    ).select_related("uploaded_by")


def get_attachment(
    user: Any, organisation: Organisation, attachment_id: int
) -> tuple[Attachment, Project | Task]:
    """The attachment and what it is attached to, if ``user`` may see them; else NotFound."""
    a = (
        Attachment.objects.filter(pk=attachment_id, organisation_id=organisation.pk)
        .select_related("uploaded_by")
        .first()
    )
    if a is None or not can(user, Action.VIEW, a):
        raise NotFound("Attachment not found.")
    return a, get_target(user, organisation, a.target_kind, a.target_id)
