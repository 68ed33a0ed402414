"""A CSV file kept between "check" and "import anyway" on the KPI page, so people who confirm
the rows that look wrong need not pick the file again.

Stored under ``operations/imports/<organisation>/<kpi>/<user>/<token>.csv``: a token only ever
finds a file of the same person and KPI. Files older than a day are swept on each new stash.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from twofold.operations.models import Kpi

TOKEN = re.compile(r"[0-9a-f]{32}")
KEEP = dt.timedelta(days=1)


def _folder(kpi: Kpi, user_id: int) -> str:
    return f"operations/imports/{kpi.organisation_id}/{kpi.pk}/{user_id}"


def stash(kpi: Kpi, user_id: int, data: bytes) -> str:
    folder = _folder(kpi, user_id)
    _sweep(folder)
    token = secrets.token_hex(16)
    default_storage.save(f"{folder}/{token}.csv", ContentFile(data))
    return token


def take(kpi: Kpi, user_id: int, token: str) -> bytes | None:
    """The stashed file's bytes (None if the token is unknown or not this person's)."""
    if not TOKEN.fullmatch(token or ""):
        return None
    path = f"{_folder(kpi, user_id)}/{token}.csv"
    if not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as handle:
        data: bytes = handle.read()
    return data


def drop(kpi: Kpi, user_id: int, token: str) -> None:
    if TOKEN.fullmatch(token or ""):
        default_storage.delete(f"{_folder(kpi, user_id)}/{token}.csv")


def _sweep(folder: str) -> None:
    try:
        _dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    cutoff = timezone.now() - KEEP
    for name in files:
        path = f"{folder}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except OSError:  # pragma: no cover - already gone
            continue
