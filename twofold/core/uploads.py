"""Uploaded files people can open safely: checks before storing, headers when serving.

The rules are the attachments' (``twofold.attachments.services``): a size limit stated in the
message, an allow-list of extensions, only images and PDF served with their own type (everything
else as ``application/octet-stream``), ``Content-Disposition`` with the escaped original name,
``X-Content-Type-Options: nosniff`` and ``Content-Security-Policy: sandbox``. On top, the first
bytes must match the extension (``content_matches``): a script renamed ``photo.png`` is refused.
"""

from __future__ import annotations

import errno
import logging
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from django.core.files import File
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse

from twofold.core.errors import Invalid, StorageFull

log = logging.getLogger(__name__)

SERVED_AS: dict[str, str] = {
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
}
"""Extension → the Content-Type a download is served with."""

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
SNIFF_BYTES = 2048
ZIP = (b"PK\x03\x04",)
MAGIC: dict[str, tuple[bytes, ...]] = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".pdf": (b"%PDF-",),
    ".xlsx": ZIP,
    ".docx": ZIP,
    ".pptx": ZIP,
    ".odt": ZIP,
    ".ods": ZIP,
    ".zip": ZIP,
}
"""The bytes a file of each binary type starts with."""

TEXT = frozenset({".txt", ".csv"})
BINARY_STARTS = (*(m for magics in MAGIC.values() for m in magics), b"RIFF", b"\x7fELF", b"MZ")


MAX_NAME = 200


def clean_name(name: str) -> str:
    """The original file name without a path or control characters (shown escaped), its stem
    shortened to ``MAX_NAME`` characters in all, never its extension."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    if len(base) > MAX_NAME:
        suffix = PurePosixPath(base).suffix
        suffix = suffix if 1 < len(suffix) <= 16 else ""
        base = base[: MAX_NAME - len(suffix)].rstrip() + suffix
    return base or "file"


def megabytes(n: int) -> str:
    text = f"{n / (1024 * 1024):.1f} MB"
    return text.replace(".0 MB", " MB")


def extension_of(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).suffix.lower()


def content_matches(ext: str, head: bytes) -> bool:
    """Whether the file's first bytes are what a file with extension ``ext`` starts with."""
    if ext == ".webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if ext in MAGIC:
        return head.startswith(MAGIC[ext])
    if ext in TEXT:
        if b"\x00" in head or head.startswith(BINARY_STARTS):
            return False
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:  # a character cut at the end of the sample is fine
            return exc.start >= len(head) - 3
        return True
    return False


def read_head(file: Any) -> bytes:
    """The first bytes of an uploaded file, leaving it at the start for whoever saves it."""
    file.seek(0)
    head: bytes = file.read(SNIFF_BYTES)
    file.seek(0)
    return head


def check_file(name: str, size: int, head: bytes, *, limit: int, field: str = "file") -> str:
    """The file's extension if it may be stored: within ``limit`` bytes (stated when refused),
    not empty, an allowed type, and content that matches the extension. Invalid otherwise."""
    if size > limit:
        raise Invalid(
            f"The file is {megabytes(size)}; files can be at most {megabytes(limit)}.",
            field=field,
        )
    if size == 0:
        raise Invalid("The file is empty.", field=field)
    ext = extension_of(name)
    if ext not in SERVED_AS:
        raise Invalid(
            f"Files of type {ext or '(none)'} cannot be uploaded. Allowed: "
            + ", ".join(sorted(SERVED_AS))
            + ".",
            field=field,
        )
    if not content_matches(ext, head):
        raise Invalid(
            f"The file's content does not match its extension {ext}: it is not a real "
            f"{ext[1:].upper()} file. Save it in that format (or with its real extension) and "
            "upload it again.",
            field=field,
        )
    return ext


def safe_response(
    handle: Any, *, original_name: str, content_type: str, size: int, inline: bool = False
) -> FileResponse:
    """A download that cannot run as a page: sandboxed, no sniffing, the escaped original name.
    ``inline`` (images only) lets an ``<img>`` thumbnail and a new tab show it."""
    served = content_type if content_type in SERVED_AS.values() else "application/octet-stream"
    response = FileResponse(handle, content_type=served)
    disposition = "inline" if inline and served in IMAGE_TYPES else "attachment"
    response["Content-Disposition"] = content_disposition(original_name, disposition)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Content-Length"] = str(size)
    response["Cache-Control"] = "private, no-store"
    return response


# Saving, full-disk safe.

DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
FULL_MESSAGE = (
    "The server's disk is full, so the file was not saved and nothing was changed. "
    "Try again later, or ask your administrator to free some space."
)


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in DISK_FULL


def save_upload(
    storage: Storage, name: str, content: File[Any], *, max_length: int | None = None
) -> str:
    """``storage.save`` that, on a full disk, deletes the partial file and raises StorageFull."""
    # The name is settled first so that we know which file to remove if the write fails.
    name = storage.get_available_name(storage.generate_filename(name), max_length=max_length)
    try:
        return storage.save(name, content, max_length=max_length)
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        discard(storage, name)
        raise StorageFull(FULL_MESSAGE, field="file") from exc


def save_field_file(field_file: FieldFile, content: File[Any]) -> str:
    """Store an uploaded file for a model's FileField now (``save=False``), full-disk safe."""
    name = field_file.field.generate_filename(field_file.instance, content.name or "file")
    field_file.name = save_upload(
        field_file.storage, name, content, max_length=field_file.field.max_length
    )
    field_file._committed = True  # type: ignore[attr-defined]  # Django sets it the same way
    return str(field_file.name)


def discard(storage: Storage, name: str) -> None:
    """Remove a file if it is there; a failure here must not hide the original error."""
    try:
        if storage.exists(name):
            storage.delete(name)
    except OSError:
        pass


def remove_stored(names: list[str]) -> None:
    """Delete stored files by name (after the commit that dropped their rows); one that cannot
    be removed (already gone, a disk that refuses) is logged and skipped."""
    from django.core.files.storage import default_storage

    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # pragma: no cover - a file already gone is fine
            log.warning("Could not remove file %s.", name)


def content_disposition(name: str, disposition: str = "attachment") -> str:
    """A ``Content-Disposition`` value naming ``name`` safely: an ASCII ``filename`` (anything
    else ``_``) and the name itself in ``filename*``. A name with a CR or LF (a project code)
    made the response a 500, a quote broke the header."""
    ascii_name = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in name)
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
