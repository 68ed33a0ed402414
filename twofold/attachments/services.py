"""Writes for attachments: upload (size and type checked first), delete. History on the target."""

from __future__ import annotations

import secrets
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from twofold.accounts.models import User
from twofold.attachments.models import Attachment
from twofold.core import history
from twofold.core.errors import Forbidden, Invalid
from twofold.core.policy import Action, can, require
from twofold.core.uploads import content_matches, read_head, save_upload
from twofold.customfields.selectors import kind_of
from twofold.projects.models import Project, Task

MAX_BYTES = 10 * 1024 * 1024
# Extension → the Content-Type a download is served with. Only images and PDF keep their own
# type (browsers show them, sandboxed); everything else downloads as octet-stream.
ALLOWED: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".txt": "application/octet-stream",
    ".csv": "application/octet-stream",
    ".xlsx": "application/octet-stream",
    ".docx": "application/octet-stream",
    ".pptx": "application/octet-stream",
    ".odt": "application/octet-stream",
    ".ods": "application/octet-stream",
    ".zip": "application/octet-stream",
    ".step": "application/octet-stream",
    ".stp": "application/octet-stream",
    ".dxf": "application/octet-stream",
}


MAX_NAME = 200  # characters of the original file name kept (shown to people, escaped)


def size_limit() -> int:
    return min(MAX_BYTES, int(settings.TWOFOLD_MAX_REQUEST_BYTES))


def _mb(n: int, *, exact: bool = False) -> str:
    text = f"{n / (1024 * 1024):.1f} MB"
    return text.replace(".0 MB", " MB") if exact and n % (1024 * 1024) == 0 else text


def check_upload(name: str, size: int) -> str:
    """The extension if a file of that name and size may be uploaded, else Invalid."""
    if size > size_limit():
        raise Invalid(
            f"The file is {_mb(size)}; attachments can be at most {_mb(size_limit(), exact=True)}.",
            field="file",
        )
    if size == 0:
        raise Invalid("The file is empty.", field="file")
    ext = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    if ext not in ALLOWED:
        raise Invalid(
            f"Files of type {ext or '(none)'} cannot be attached. Allowed: "
            + ", ".join(sorted(ALLOWED))
            + ".",
            field="file",
        )
    return ext


def clean_name(name: str) -> str:
    """The original file name without a path or control characters (shown escaped)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    if len(base) > MAX_NAME:
        # Shorten the stem, never the extension: the extension decides whether the file is allowed.
        suffix = PurePosixPath(base).suffix
        suffix = suffix if 1 < len(suffix) <= 16 else ""
        base = base[: MAX_NAME - len(suffix)].rstrip() + suffix
    return base or "file"


def _content_matches(ext: str, head: bytes) -> bool:
    """Whether the file starts as a file of its extension does (``core.uploads`` for the
    common types; CAD exchange files here): a script renamed ``plan.png`` or ``part.step`` was
    attached and listed as an image or a model."""
    if ext in (".step", ".stp"):
        return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"ISO-10303-21")
    if ext == ".dxf":
        if head.startswith(b"AutoCAD Binary DXF"):
            return True
        return content_matches(".txt", head) and head.lstrip().startswith(b"0")
    return content_matches(ext, head)


def upload(*, actor: User, target: Project | Task, file: UploadedFile[Any]) -> Attachment:
    require(actor, Action.CONTRIBUTE, target)
    size = int(file.size or 0)
    name = clean_name(file.name or "")
    ext = check_upload(name, size)
    if not _content_matches(ext, read_head(file)):
        raise Invalid(
            f"The file's content does not match its extension {ext}: it is not a real "
            f"{ext[1:].upper()} file. Save it in that format (or with its real extension) and "
            "attach it again.",
            field="file",
        )
    stored = save_upload(
        default_storage, f"attachments/{target.organisation_id}/{secrets.token_hex(16)}{ext}", file
    )
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(
                organisation_id=target.organisation_id,
                target_kind=kind_of(target),
                target_id=target.pk,
                file=stored,
                original_name=name,
                content_type=ALLOWED[ext],
                size=size,
                uploaded_by=actor,
            )
            history.record(
                actor=actor,
                obj=target,
                action="attachment added",
                changes={"attachments": [None, name]},
                summary=f"Attached {name}",
            )
    except Exception:
        default_storage.delete(stored)
        raise
    return attachment


@transaction.atomic
def delete(*, actor: User, attachment: Attachment, target: Project | Task) -> None:
    """The uploader (still a member) or an admin removes an attachment; the file goes on commit."""
    require(actor, Action.CONTRIBUTE, attachment)
    if attachment.uploaded_by_id != actor.pk and not can(actor, Action.MANAGE, attachment):
        raise Forbidden("Only the person who uploaded a file or an admin can delete it.")
    history.record(
        actor=actor,
        obj=target,
        action="attachment deleted",
        changes={"attachments": [attachment.original_name, None]},
        summary=f"Deleted {attachment.original_name}",
    )
    stored = str(attachment.file.name)
    attachment.delete()
    transaction.on_commit(lambda: default_storage.delete(stored))
