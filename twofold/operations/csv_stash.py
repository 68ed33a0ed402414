"""A CSV file kept between "check" and "import anyway" on the KPI page, so people who confirm
the rows that look wrong need not pick the file again.

Stored under ``operations/imports/people/<user>/<organisation>-<kpi>-<token>.csv``: a token only
ever finds a file of the same person and KPI. Each person keeps at most ``MAX_KEPT`` files (the
oldest go first) of at most ``MAX_BYTES`` each, for a day: both are enforced on each new stash,
so checking files again and again cannot fill the disk (it could: nothing capped how many a
person left behind within the day).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from twofold.core.errors import Invalid
from twofold.core.uploads import save_upload
from twofold.operations.forms import MAX_CSV_BYTES
from twofold.operations.models import Kpi

TOKEN = re.compile(r"[0-9a-f]{32}")
KEEP = dt.timedelta(days=1)
MAX_KEPT = 5
"""Files kept per person (every KPI and organisation together): a sixth drops the oldest."""
MAX_BYTES = MAX_CSV_BYTES


def _folder(user_id: int) -> str:
    return f"operations/imports/people/{user_id}"


def _path(kpi: Kpi, user_id: int, token: str) -> str:
    return f"{_folder(user_id)}/{kpi.organisation_id}-{kpi.pk}-{token}.csv"


def stash(kpi: Kpi, user_id: int, data: bytes) -> str:
    """Keep ``data`` for ``user_id`` and ``kpi``; its token. Invalid (on ``file``) if it is over
    the CSV size limit, StorageFull on a full disk; the person's oldest files go to keep
    ``MAX_KEPT``."""
    if len(data) > MAX_BYTES:
        raise Invalid(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.", field="file")
    _sweep(_folder(user_id), keep=MAX_KEPT - 1)
    token = secrets.token_hex(16)
    save_upload(default_storage, _path(kpi, user_id, token), ContentFile(data))
    return token


def take(kpi: Kpi, user_id: int, token: str) -> bytes | None:
    """The stashed file's bytes (None if the token is unknown or not this person's)."""
    if not TOKEN.fullmatch(token or ""):
        return None
    path = _path(kpi, user_id, token)
    if not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as handle:
        data: bytes = handle.read()
    return data


def drop(kpi: Kpi, user_id: int, token: str) -> None:
    if TOKEN.fullmatch(token or ""):
        default_storage.delete(_path(kpi, user_id, token))


def _sweep(folder: str, *, keep: int) -> None:
    """Delete the files in ``folder`` older than a day, then all but the ``keep`` newest."""
    try:
        _dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    cutoff = timezone.now() - KEEP
    kept: list[tuple[dt.datetime, str]] = []
    for name in files:
        path = f"{folder}/{name}"
        try:
            modified = default_storage.get_modified_time(path)
            if modified < cutoff:
                default_storage.delete(path)
            else:
                kept.append((modified, path))
        except OSError:  # pragma: no cover - already gone
            continue
    kept.sort(reverse=True)
    for _modified, path in kept[keep:]:
        try:
            default_storage.delete(path)
        except OSError:  # pragma: no cover - already gone
            continue
