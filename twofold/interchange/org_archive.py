"""Organisation export and import: one organisation as a ZIP archive, recreated elsewhere.

An export holds:

- ``manifest.json``: ``kind`` (``twofold-organisation``), format version, when, the
  organisation's name, the row count of every model, and the size and SHA-256 of every other
  entry;
- ``organisation.json``: the organisation's own settings, the people its rows refer to (e-mail,
  name, job title, capacity; never passwords), the content types its rows name, and every row
  of every model that belongs to it, as ``{"app.Model": [{column: value}, ...]}``;
- ``files/...``: the uploaded files its rows name (attachments, routine evidence, receipts).

**Which models.** A model belongs to an organisation when a chain of foreign keys leads from it
to :class:`~twofold.accounts.models.Organisation` (``project__organisation``…);
:func:`exported_models` finds them all from the model graph, so a model added later is
exported without anyone listing it. The few left out on purpose are in :data:`EXCLUDED`, each
with its reason. Integer columns that hold another row's id without a foreign key (history's
``object_id``, an attachment's ``target_id``…) are declared in :data:`GENERIC` with how to
find the row's model, JSON columns holding ids (a risk analysis's estimates by task, an MSPDI
import's task UIDs, a handover part's assignee) in :data:`JSON_IDS` with how to rewrite them,
the other JSON columns in :data:`JSON_WITHOUT_IDS`; ``tests/interchange/test_org_archive.py``
fails for a new model with an organisation path that is neither exported nor excluded, for an
undeclared ``*_id`` integer column or JSON column, and for a foreign key to a model that is
not exported.

**Import** (:func:`import_organisation`) creates a *new* organisation from an archive, all or
nothing: the archive is checked before anything is written (``safe_archive``: size, entry
count, compression ratio, names, links, duplicates; then every entry's checksum); the archive's people
but the importer are named through stand-ins (:class:`~twofold.accounts.models.StandIn`,
handed over when they accept the import's invitation), or, in the operator's restore, matched
by e-mail to the users of this instance and the others created without a usable password; the
importing person becomes an owner; every row gets a new id, its foreign keys, declared generic
ids and the ids inside declared JSON columns are rewritten (those once every row is in), models
are inserted in the order of their foreign keys (nullable keys that point forward or to the same
model are set in a second pass); UUIDs are replaced consistently; files are stored under new names. Any error rolls
the database back and removes the files already stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, SuspiciousOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, models, transaction
from django.utils import timezone

from twofold.accounts.models import (
    STAND_IN_DOMAIN,
    Membership,
    Organisation,
    Role,
    StandIn,
    User,
)
from twofold.core import history
from twofold.core.errors import Invalid
from twofold.core.policy import Action, require
from twofold.interchange import safe_archive
from twofold.interchange.safe_archive import ArchiveError

FORMAT = 1
KIND = "twofold-organisation"
MANIFEST = "manifest.json"
DATA = "organisation.json"
FILES_PREFIX = "files/"
MAX_BYTES = 4 * 1024**3
"""The largest total an import archive may expand to."""
MAX_ENTRIES = 200_000
MAX_DATA_BYTES = 1024**3
"""The largest ``organisation.json`` ``twofold import-organisation`` reads (it is held in
memory, parsed: several times its size)."""
UPLOAD_DATA_FACTOR = 4
"""Through the page or the API, ``organisation.json`` may expand to at most this many times the
largest request (``TWOFOLD_MAX_REQUEST_BYTES``: 20 MiB by default, so at most 80 MiB, several
times that in memory when parsed); a larger one is refused from the archive's directory, before
a byte of it is read."""


def upload_data_limit() -> int:
    """The largest ``organisation.json`` an import through the page or the API reads."""
    return UPLOAD_DATA_FACTOR * int(settings.TWOFOLD_MAX_REQUEST_BYTES)


BATCH = 500

ORGANISATION = "accounts.Organisation"
USER = "accounts.User"
CONTENT_TYPE = "contenttypes.ContentType"

# Organisation fields taken from the archive; the slug is made anew (it is unique per instance).
ORGANISATION_FIELDS = (
    "name",
    "description",
    "timezone",
    "week_start",
    "date_format",
    "fiscal_year_start_month",
)
PERSON_FIELDS = ("email", "full_name", "job_title", "weekly_capacity_hours", "timezone")

EXCLUDED: dict[str, str] = {
    "core.Job": "background runs: transient, and their results name the old ids",
    "interchange.MspdiUpload": "uploaded project files waiting to be imported: transient",
    "interchange.SheetUpload": "uploaded spreadsheets waiting to be imported: transient",
    "interchange.WebhookEndpoint": "this instance's outbound integrations and their secrets: "
    "a copy would send the same events to the same receivers from a second instance",
    "interchange.WebhookDelivery": "the delivery queue of an endpoint that is not exported",
    "interchange.WebhookAttempt": "the delivery log of an endpoint that is not exported",
    "interchange.CalendarFeed": "secret subscription URLs of one person on one instance",
    "activity.ActivityFeed": "secret feed URLs of one person on one instance",
    "activity.LiveVersion": "change counters of open pages: rebuilt as pages change",
    "notifications.Notification": "a person's inbox on this instance, with links to old ids",
    "search.SearchDocument": "the search index: rebuilt from the imported rows",
    "accounts.Invitation": "invitations of accounts on this instance, not yet answered; the "
    "import invites the archive's members who have an account here afresh",
    "accounts.StandIn": "which accounts an import made to stand in for people who had not "
    "joined: the people are in the archive under their stand-ins' names, and the next import "
    "makes stand-ins of its own",
}
"""Models with an organisation path that an export leaves out, and why."""


Resolver = Callable[[dict[str, Any], dict[int, str]], str | None]


def _by_content_type(column: str) -> Resolver:
    def resolve(row: dict[str, Any], content_types: dict[int, str]) -> str | None:
        return content_types.get(row.get(column) or 0)

    return resolve


def _by_choice(column: str, labels: dict[str, str]) -> Resolver:
    def resolve(row: dict[str, Any], content_types: dict[int, str]) -> str | None:
        return labels.get(str(row.get(column)))

    return resolve


def _comment_target(row: dict[str, Any], content_types: dict[int, str]) -> str | None:
    from twofold.comments import kinds

    kind = kinds.get(str(row.get("target_kind")))
    return kind.model_label if kind else None


_PROJECT_OR_TASK = {"project": "projects.Project", "task": "projects.Task"}
_PART_RESULT = {
    "process": "operations.Process",
    "routine": "operations.Routine",
    "kpi": "operations.Kpi",
    "queue": "operations.Queue",
    "document": "operations.Process",
}

GENERIC: dict[tuple[str, str], Resolver] = {
    ("core.HistoryEntry", "object_id"): _by_content_type("content_type_id"),
    ("core.TrashEntry", "object_id"): _by_content_type("content_type_id"),
    ("closeout.Origin", "object_id"): _by_content_type("content_type_id"),
    ("notifications.Follow", "target_id"): _by_content_type("target_type_id"),
    ("attachments.Attachment", "target_id"): _by_choice("target_kind", _PROJECT_OR_TASK),
    ("customfields.FieldValue", "target_id"): _by_choice("target_kind", _PROJECT_OR_TASK),
    ("comments.Comment", "target_id"): _comment_target,
    ("closeout.HandoverPart", "existing_id"): _by_choice("kind", _PART_RESULT),
    ("closeout.HandoverPart", "result_id"): _by_choice("kind", _PART_RESULT),
    ("operations.ChangePoint", "source_id"): _by_choice(
        "source", {"project": "projects.Project", "improvement": "improvement.ImprovementItem"}
    ),
}
"""Integer columns holding another row's id without a foreign key: how to find its model.
The id is rewritten to the new row's; an id of the organisation itself becomes the new
organisation's, a person's the matched or created user's. An id of anything the archive does
not hold (a resolver answering None, a model that is not exported) is never kept, as it would
name a row of this instance: a nullable column is emptied, and a row whose required column it
is is left out of the import (a history entry about a webhook endpoint, say)."""

IdOf = Callable[[str, Any], "int | None"]
"""The new id of a model's (label's) row, from its id in the archive; None when the archive
does not hold that row."""

TASK = "projects.Task"
CALENDAR = "calendars.Calendar"
_ID_TEXT = 18  # digits: an id key longer than that is no id of ours (and int() has limits)


def _id_in_text(key: Any) -> int | None:
    if isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= _ID_TEXT:
        return int(key)
    return None


def _keyed_by(target: str) -> Callable[[Any, IdOf], Any]:
    """A ``{"<id>": value}`` object keyed by ``target`` ids (as text)."""

    def rewrite(value: Any, id_of: IdOf) -> Any:
        if not isinstance(value, dict):
            return {}
        out = {}
        for key, item in value.items():
            old = _id_in_text(key)
            new = id_of(target, old) if old is not None else None
            if new is not None:
                out[str(new)] = item
        return out

    return rewrite


def _valued_by(target: str) -> Callable[[Any, IdOf], Any]:
    """A ``{"<number>": id}`` object whose values are ``target`` ids (keys kept when they are
    numbers, as MSPDI task UIDs are)."""

    def rewrite(value: Any, id_of: IdOf) -> Any:
        if not isinstance(value, dict):
            return {}
        out = {}
        for key, old in value.items():
            new = id_of(target, old) if _is_id(old) and _id_in_text(key) is not None else None
            if new is not None:
                out[key] = new
        return out

    return rewrite


def _members(targets: dict[str, str]) -> Callable[[Any, IdOf], Any]:
    """An object whose members ``targets`` name hold ids (or null) of the models given."""

    def rewrite(value: Any, id_of: IdOf) -> Any:
        if not isinstance(value, dict):
            return {}
        out = dict(value)
        for key, target in targets.items():
            if key in out and out[key] not in (None, ""):
                out[key] = id_of(target, out[key]) if _is_id(out[key]) else None
        return out

    return rewrite


def _risk_result(value: Any, id_of: IdOf) -> Any:
    """The last Monte Carlo run's summary: its ``criticality`` and ``tornado`` rows name tasks
    by ``id``; a row about a task the archive does not hold is left out."""
    if not isinstance(value, dict):
        return {}
    out = dict(value)
    for key in ("criticality", "tornado"):
        if key not in out:
            continue
        rows = out[key] if isinstance(out[key], list) else []
        out[key] = [
            {**row, "id": new}
            for row in rows
            if isinstance(row, dict)
            and _is_id(row.get("id"))
            and (new := id_of(TASK, row["id"])) is not None
        ]
    return out


JSON_IDS: dict[tuple[str, str], Callable[[Any, IdOf], Any]] = {
    ("risks.RiskAnalysis", "estimates"): _keyed_by(TASK),
    ("risks.RiskAnalysis", "result"): _risk_result,
    ("interchange.ImportedProject", "uid_map"): _valued_by(TASK),
    ("closeout.HandoverPart", "spec"): _members(
        {"assignee_id": USER, "calendar_id": CALENDAR, "team_id": "accounts.Team"}
    ),
    ("project_templates.ProjectTemplate", "content"): _members({"calendar_id": CALENDAR}),
}
"""JSON columns that hold other rows' ids, and how to rewrite them to the new rows' ids. An id
of a row the archive does not hold is never kept (it would name a row of this instance): the
entry holding it is left out, or a member set to null; a value not of the expected shape
becomes empty. Rewritten once every row is inserted (the rows they name may come later in the
insert order). Every other JSON column of an exported model is in :data:`JSON_WITHOUT_IDS`
(``tests/interchange/test_org_archive.py`` fails for one in neither)."""

JSON_WITHOUT_IDS: dict[tuple[str, str], str] = {
    ("calendars.Calendar", "hours"): "weekday → working hours",
    ("calendars.Holiday", "hours"): "working hours of the day",
    ("customfields.FieldDefinition", "choices"): "the choices' texts",
    ("improvement.DeliverableSetting", "items"): "the checklist's texts",
    ("improvement.Handover", "deliverables"): "texts with a done flag",
    ("operations.Queue", "sla_hours"): "priority → hours",
    ("projects.GateChecklistSetting", "items"): "the checklist's texts",
    ("projects.Project", "wip_limits"): "status → limit",
    ("projects.Project", "planned_curve"): "times and percentages",
    ("changes.ChangeRequest", "impact"): "figures and task names",
    ("core.HistoryEntry", "changes"): "its foreign keys' ids are rewritten by "
    "_history_references (it needs the entry's content type)",
}
"""JSON columns of exported models that hold no row ids (kept as they are), and what they
hold instead."""

_SKIP_LINKS = {USER, CONTENT_TYPE, "auth.Group", "auth.Permission"}


class ImportError_(Invalid):
    """The archive cannot be imported; nothing was created."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="file")


# --------------------------------------------------------------------------------------------
# Which models, in which order.


def _label(model: type[models.Model]) -> str:
    return str(model._meta.label)


def _links(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.related_model is not None
    ]


def organisation_path(model: type[models.Model]) -> str | None:
    """The lookup from ``model`` to its organisation (``"project__organisation"``), or None.

    The shortest chain of foreign keys, non-nullable ones first (a row always has its
    organisation through them).
    """
    if _label(model) == ORGANISATION:
        return None
    frontier: list[tuple[type[models.Model], str]] = [(model, "")]
    seen = {_label(model)}
    for _depth in range(6):
        following: list[tuple[type[models.Model], str]] = []
        for current, path in frontier:
            for link in sorted(_links(current), key=lambda f: (f.null, f.name)):
                target = link.related_model
                assert isinstance(target, type)
                label = _label(target)
                lookup = f"{path}__{link.name}" if path else link.name
                if label == ORGANISATION and not link.null:
                    return lookup
                if label in seen or label in _SKIP_LINKS or label == ORGANISATION or link.null:
                    continue
                seen.add(label)
                following.append((target, lookup))
        frontier = following
    return None


def models_with_organisation_path() -> dict[str, tuple[type[models.Model], str]]:
    """Every model (automatic many-to-many tables too) that belongs to an organisation."""
    found = {}
    for model in apps.get_models(include_auto_created=True):
        path = organisation_path(model)
        if path is not None:
            found[_label(model)] = (model, path)
    return found


def exported_models() -> list[tuple[type[models.Model], str]]:
    """The models an export holds, in an order in which their rows can be inserted."""
    found = {k: v for k, v in models_with_organisation_path().items() if k not in EXCLUDED}
    return [found[label] for label in _insert_order(found)]


def _insert_order(found: dict[str, tuple[type[models.Model], str]]) -> list[str]:
    """Models after those their non-null foreign keys point to; otherwise, where possible,
    after those their nullable keys and generic ids point to too (fewer second-pass updates)."""
    hard: dict[str, set[str]] = {}
    soft: dict[str, set[str]] = {}
    for label, (model, _path) in found.items():
        hard[label], soft[label] = set(), set()
        for link in _links(model):
            target = _label(link.related_model)
            if target not in found or target == label:
                continue
            (soft if link.null else hard)[label].add(target)
        for (owner, _column), _resolver in GENERIC.items():
            if owner == label:
                soft[label].update(t for t in found if t != label)
    order: list[str] = []
    placed: set[str] = set()
    waiting = sorted(found)
    while waiting:
        ready = [m for m in waiting if hard[m] <= placed]
        if not ready:
            raise RuntimeError(f"foreign keys form a cycle among {waiting}")
        best = [m for m in ready if soft[m] <= placed]
        pick = (best or sorted(ready, key=lambda m: len(soft[m] - placed)))[0]
        order.append(pick)
        placed.add(pick)
        waiting.remove(pick)
    return order


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


# --------------------------------------------------------------------------------------------
# Export.


@dataclass
class ExportResult:
    counts: dict[str, int]
    files: int
    missing_files: list[str] = field(default_factory=list)
    size: int = 0


def count_rows(organisation: Organisation) -> int:
    """How many rows an export of ``organisation`` would hold (one COUNT per model)."""
    return sum(
        model._base_manager.filter(**{path: organisation}).count()
        for model, path in exported_models()
    )


def export_organisation(
    organisation: Organisation,
    out: IO[bytes],
    *,
    progress: Callable[..., bool] | None = None,
) -> ExportResult | None:
    """Write ``organisation`` as an archive to ``out``; None if ``progress`` asked to stop.

    Reads every row through the models' base managers (rows in the trash are exported too),
    one query per model.
    """
    plan = exported_models()
    data: dict[str, Any] = {
        "format": FORMAT,
        "organisation": {
            f: _plain(getattr(organisation, f)) for f in (*ORGANISATION_FIELDS, "created_at")
        },
        "rows": {},
    }
    user_ids: set[int] = set(
        Membership.objects.filter(organisation=organisation).values_list("user_id", flat=True)
    )
    type_ids: set[int] = set()
    file_names: list[str] = []
    counts: dict[str, int] = {}
    for index, (model, path) in enumerate(plan):
        if progress is not None and not progress(
            0.6 * index / len(plan), f"Reading {model._meta.verbose_name_plural}"
        ):
            return None
        columns = _columns(model)
        names = [c.attname for c in columns]
        rows = list(
            model._base_manager.filter(**{path: organisation})
            .order_by("pk")
            .values_list("pk", *names)
        )
        label = _label(model)
        counts[label] = len(rows)
        data["rows"][label] = {"columns": ["id", *names], "values": rows}
        for position, column in enumerate(columns, start=1):
            related = column.related_model if column.is_relation else None
            related_label = _label(related) if isinstance(related, type) else ""
            if related_label == USER:
                user_ids.update(r[position] for r in rows if r[position] is not None)
            elif related_label == CONTENT_TYPE:
                type_ids.update(r[position] for r in rows if r[position] is not None)
            elif isinstance(column, models.FileField):
                file_names.extend(r[position] for r in rows if r[position])
    data["people"] = [
        {"id": u["id"], **{k: _plain(u[k]) for k in PERSON_FIELDS}}
        for u in User.objects.filter(pk__in=user_ids).order_by("pk").values("id", *PERSON_FIELDS)
    ]
    data["content_types"] = {
        str(ct.pk): _type_label(ct) for ct in ContentType.objects.filter(pk__in=type_ids)
    }
    result = ExportResult(counts=counts, files=0)
    manifest: dict[str, Any] = {
        "kind": KIND,
        "format": FORMAT,
        "created": timezone.now().isoformat(timespec="seconds"),
        "organisation": organisation.name,
        "counts": counts,
        "people": len(data["people"]),
        "files": {},
    }
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        payload = json.dumps(data, cls=_Encoder, separators=(",", ":")).encode()
        zf.writestr(DATA, payload)
        manifest["files"][DATA] = _meta(payload)
        for index, name in enumerate(sorted(set(file_names))):
            share = 0.6 + 0.4 * index / len(file_names)
            if progress is not None and index % 50 == 0 and not progress(share, "Adding files"):
                return None
            entry = FILES_PREFIX + name
            try:
                safe_archive.check_name(entry)
                digest, size = hashlib.sha256(), 0
                with default_storage.open(name, "rb") as source, zf.open(entry, "w") as sink:
                    while chunk := source.read(safe_archive.CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        sink.write(chunk)
            except (OSError, ArchiveError):
                result.missing_files.append(name)
                continue
            manifest["files"][entry] = {"size": size, "sha256": digest.hexdigest()}
            result.files += 1
        manifest["missing_files"] = result.missing_files
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
    return result


class _Encoder(DjangoJSONEncoder):
    """Django's encoder, but datetimes keep their microseconds (a round trip is exact)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime):
            return o.isoformat()
        return super().default(o)


def _type_label(ct: ContentType) -> str:
    model = ct.model_class()
    return _label(model) if model is not None else f"{ct.app_label}.{ct.model}"


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=_Encoder))


def _meta(payload: bytes) -> dict[str, Any]:
    return {"size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}


# --------------------------------------------------------------------------------------------
# Import.


@dataclass
class ImportResult:
    organisation: Organisation
    counts: dict[str, int]
    people_matched: int
    people_created: int
    files: int
    people_invited: int = 0
    """The archive's members but the importer: invited, not added (``invite_existing``). The
    matched and created counts (of the accounts invited, then) are for the operator's command
    only: a page or API answer
    showing them would tell the importer which addresses had an account here."""


@dataclass
class _Archive:
    manifest: dict[str, Any]
    data: dict[str, Any]
    zf: zipfile.ZipFile


def read_archive(
    source: str | Path | IO[bytes],
    *,
    max_bytes: int = MAX_BYTES,
    max_data_bytes: int | None = None,
) -> _Archive:
    """Open and check an organisation archive; nothing is written.

    ``organisation.json`` may expand to at most ``max_data_bytes`` (default: the upload limit,
    :func:`upload_data_limit`); that is checked from the archive's directory, before reading it.

    Raises:
        ImportError_: the archive is unsafe, damaged, of another kind or format, or names
            models or columns this instance does not have.
    """
    try:
        zf = safe_archive.open_zip(source, "The file")
        sizes = safe_archive.check_zip(zf, max_entries=MAX_ENTRIES, max_bytes=max_bytes)
        if MANIFEST not in sizes or DATA not in sizes:
            raise ArchiveError(
                f"the archive has no {MANIFEST} or {DATA}: not an organisation export"
            )
        if sizes[MANIFEST] > 16 * 1024**2:
            raise ArchiveError(f"{MANIFEST} is too large")
        try:
            manifest = json.loads(safe_archive.read_entry(zf, MANIFEST))
        except ValueError as exc:
            raise ArchiveError(f"{MANIFEST} is not JSON ({exc})") from exc
        if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
            raise ArchiveError("this is not a Twofold organisation export (see its manifest)")
        if manifest.get("format") != FORMAT:
            raise ArchiveError(
                f"organisation export format {manifest.get('format')!r} is not supported "
                f"(this instance reads format {FORMAT})"
            )
        files = manifest.get("files")
        if not isinstance(files, dict):
            raise ArchiveError(f"{MANIFEST} lists no files")
        for name in sizes:
            if name != MANIFEST and name not in files:
                raise ArchiveError(f"entry {name!r} is not listed in the manifest")
        for name, meta in files.items():
            if name not in sizes:
                raise ArchiveError(f"entry {name!r} is listed in the manifest but missing")
            if not isinstance(meta, dict) or meta.get("size") != sizes[name]:
                raise ArchiveError(f"entry {name!r} does not have the size the manifest says")
            if name != DATA and not name.startswith(FILES_PREFIX):
                raise ArchiveError(f"entry {name!r} is neither the data nor an uploaded file")
        data_limit = upload_data_limit() if max_data_bytes is None else max_data_bytes
        if sizes[DATA] > data_limit:
            raise ArchiveError(
                f"{DATA} expands to {_mib(sizes[DATA])}, more than the {_mib(data_limit)} "
                "an import reads (an administrator can import it with "
                "twofold import-organisation)"
            )
        raw = safe_archive.read_verified(
            zf, DATA, files[DATA]["size"], str(files[DATA].get("sha256"))
        )
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ArchiveError(f"{DATA} is not JSON ({exc})") from exc
    except ArchiveError as exc:
        raise ImportError_(f"The archive was refused: {exc}.") from exc
    archive = _Archive(manifest, data, zf)
    _check_data(archive)
    return archive


def _mib(size: int) -> str:
    return f"{size / 1024**2:.1f} MiB"


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    text = json.dumps(value, cls=_Encoder)
    return text if len(text) <= 40 else text[:39] + "…"


def _check_data(archive: _Archive) -> None:
    """The shape of ``organisation.json``, so that a damaged or crafted one is refused naming
    the problem (every id a whole number, every row a list of its columns' values) instead of
    failing half way through the import (a 500)."""
    data = archive.data
    if not isinstance(data, dict) or not isinstance(data.get("rows"), dict):
        raise ImportError_(f"{DATA} has no rows.")
    if not isinstance(data.get("organisation") or {}, dict):
        raise ImportError_(
            f"The organisation's settings in the archive are damaged (expected an object, found "
            f"{_shown(data.get('organisation'))})."
        )
    counts = archive.manifest.get("counts", {})
    if not isinstance(counts, dict):
        raise ImportError_(f"{MANIFEST} has no row counts: damaged archive.")
    known = {_label(m): m for m, _ in exported_models()}
    for label, table in data["rows"].items():
        if label not in known:
            raise ImportError_(
                f"The archive holds {label} rows, which this instance does not know "
                "(was it exported by a newer version of Twofold?)."
            )
        columns = table.get("columns") if isinstance(table, dict) else None
        values = table.get("values") if isinstance(table, dict) else None
        if not isinstance(columns, list) or not isinstance(values, list) or columns[:1] != ["id"]:
            raise ImportError_(f"The rows of {label} are not in the expected shape.")
        fields = {c.attname: c for c in _columns(known[label])}
        unknown = [c for c in columns[1:] if not isinstance(c, str) or c not in fields]
        if unknown:
            raise ImportError_(f"{label} has a column {unknown[0]!r} this instance does not know.")
        counted = counts.get(label)
        if counted != len(values):
            raise ImportError_(
                f"{label} has {len(values)} rows, the manifest says {counted}: damaged archive."
            )
        # Columns holding ids (the row's own, foreign keys, declared generic ids): whole
        # numbers, or null but the row's own id. A list there made the import a 500.
        id_columns = [
            (position, name)
            for position, name in enumerate(columns)
            if position and (fields[name].is_relation or (label, name) in GENERIC)
        ]
        seen: set[int] = set()
        for row in values:
            if not isinstance(row, list) or len(row) != len(columns):
                raise ImportError_(f"A row of {label} does not have {len(columns)} values.")
            if not _is_id(row[0]):
                raise ImportError_(
                    f"A row of {label} has the id {_shown(row[0])}: an id is a whole number."
                )
            if row[0] in seen:
                raise ImportError_(f"Two rows of {label} have the id {row[0]}: damaged archive.")
            seen.add(row[0])
            for position, name in id_columns:
                value = row[position]
                if value is not None and not _is_id(value):
                    raise ImportError_(
                        f"Row {row[0]} of {label} has {name} {_shown(value)}: an id is a whole "
                        "number or null."
                    )
    content_types = data.get("content_types") or {}
    if not isinstance(content_types, dict) or not all(
        isinstance(k, str) and k.isdigit() and isinstance(v, str) and v.count(".") == 1
        for k, v in content_types.items()
    ):
        raise ImportError_(
            'The content types in the archive are damaged (expected {"12": "app.Model"}).'
        )
    people = data.get("people")
    if not isinstance(people, list) or not all(
        isinstance(p, dict)
        and isinstance(p.get("id"), int)
        and isinstance(p.get("email"), str)
        and "@" in p["email"]
        for p in people
    ):
        raise ImportError_("The list of people in the archive is damaged.")


def import_organisation(
    *,
    actor: User,
    source: str | Path | IO[bytes],
    name: str = "",
    max_bytes: int = MAX_BYTES,
    max_data_bytes: int | None = None,
    invite_existing: bool = True,
) -> ImportResult:
    """Create a new organisation from an export archive, with ``actor`` as an owner.

    ``max_data_bytes`` caps ``organisation.json`` (see :func:`read_archive`; the command line
    passes :data:`MAX_DATA_BYTES`). The people of the archive are **invited** in the role it
    gives them (``invite_existing``; they join when they accept, as when an administrator adds
    them on *People*), those who had an account here and those this import makes one for
    alike: anyone may import an archive, so naming an e-mail in one must neither make its
    account a member nor tell whether it had one. The command line, run by the instance's
    operator to restore a backup, passes False and keeps them members.

    Raises:
        ImportError_ (``Invalid`` on ``file``): the archive was refused; nothing was created.
        Invalid: on ``name`` (too long).
    """
    if not actor.is_authenticated:
        raise Invalid("Sign in to import an organisation.")
    archive = read_archive(source, max_bytes=max_bytes, max_data_bytes=max_data_bytes)
    stored: list[str] = []
    try:
        with transaction.atomic():
            result = _create(actor, archive, name.strip(), stored, invite_existing)
    except (DatabaseError, OverflowError) as exc:  # a number too large for its column
        for saved in stored:
            default_storage.delete(saved)
        raise ImportError_(
            f"A row of the archive could not be stored ({exc}); nothing was created."
        ) from exc
    except BaseException:
        for saved in stored:
            default_storage.delete(saved)
        raise
    finally:
        archive.zf.close()
    from twofold.search.index import reindex

    transaction.on_commit(lambda: reindex(result.organisation.pk), robust=True)
    return result


class _Ids:
    """Old id → new id, per model label."""

    def __init__(self) -> None:
        self.by_label: dict[str, dict[int, int]] = defaultdict(dict)

    def get(self, label: str, old: Any) -> int | None:
        return self.by_label[label].get(old) if old is not None else None


def _create(
    actor: User, archive: _Archive, name: str, stored: list[str], invite_existing: bool
) -> ImportResult:
    from twofold.accounts.services import _check_org_conventions, _clean_org_name, _unique_slug

    data = archive.data
    source_org = data.get("organisation") or {}
    values = {k: source_org[k] for k in ORGANISATION_FIELDS if k in source_org}
    values["name"] = _clean_org_name(name or str(values.get("name") or "Imported organisation"))
    organisation = Organisation(**values)
    organisation.slug = _unique_slug(organisation.name)
    try:
        _check_org_conventions(values)  # an unknown time zone once broke every page (500)
        organisation.full_clean(exclude=["slug"])
    except Exception as exc:
        raise ImportError_(
            f"The organisation's settings in the archive are invalid: {exc}"
        ) from exc
    organisation.save()

    ids = _Ids()
    ids.by_label[ORGANISATION] = {}
    matched_ids, created, names = _people(
        data["people"], ids, actor=actor, organisation=organisation, stand_ins=invite_existing
    )
    matched = len(matched_ids)
    content_types = {int(k): v for k, v in (data.get("content_types") or {}).items()}
    for old, label in content_types.items():
        try:
            ct = ContentType.objects.get_for_model(apps.get_model(label))
        except (LookupError, ValueError):
            raise ImportError_(f"The archive refers to {label}, unknown here.") from None
        ids.by_label[CONTENT_TYPE][old] = ct.pk
    context = _Context(archive, ids, content_types, organisation, {}, stored)
    deferred: list[tuple[type[models.Model], int, str, str, Any]] = []
    with_json_ids: list[tuple[type[models.Model], str, int, str, Any]] = []
    counts: dict[str, int] = {}
    for model, _path in exported_models():
        label = _label(model)
        table = data["rows"].get(label)
        if not table:
            counts[label] = 0
            continue
        columns: list[str] = table["columns"]
        fields = {c.attname: c for c in _columns(model)}
        objects: list[models.Model] = []
        kept: list[list[Any]] = []
        pending: list[tuple[int, str, str, Any]] = []
        for row in table["values"]:
            obj, later_ones = _build(model, label, columns, row, fields, context)
            if obj is None:
                continue  # it is about something the archive does not hold: not imported
            for attname, target, old in later_ones:
                pending.append((len(objects), attname, target, old))
            objects.append(obj)
            kept.append(row)
        made = _insert(model, objects)
        mapping = ids.by_label[label]
        for row, obj in zip(kept, made, strict=True):
            mapping[row[0]] = obj.pk
        counts[label] = len(made)
        deferred.extend(
            (model, made[position].pk, attname, target, old)
            for position, attname, target, old in pending
        )
        for attname in columns:
            if (label, attname) in JSON_IDS:
                with_json_ids.extend(
                    (model, label, obj.pk, attname, getattr(obj, attname)) for obj in made
                )
    _apply_deferred(deferred, ids)
    _rewrite_json_ids(with_json_ids, ids)
    _make_owner(actor, organisation)
    invited = 0
    if invite_existing:
        invited, matched, created = _invite_people(actor, organisation, names)
    else:
        # A stand-in is nobody: never a member, whatever an archive says (not in a restore).
        Membership.objects.filter(
            organisation=organisation, user__stand_in__organisation=organisation
        ).exclude(user=actor).delete()
    history.record(
        actor=actor,
        obj=organisation,
        action="imported",
        summary=f"Imported {organisation.name} from an organisation export "
        f"({sum(counts.values())} rows, {context.files} files)",
    )
    return ImportResult(organisation, counts, matched, created, context.files, invited)


def _invite_people(
    actor: User, organisation: Organisation, names: dict[int, str]
) -> tuple[int, int, int]:
    """The memberships the archive gave (but the importer's), as invitations of the addresses
    the archive gives, named as it names the people: everyone alike, whether their account
    existed or is made now (without a password, as on *People*), so that the importer learns
    neither which addresses had an account here nor their owners' names. Each invitation keeps
    the person's stand-in, whose rows are handed over when they accept. How many were invited,
    and of them how many had an account and how many were made."""
    from twofold.accounts.models import Invitation, Team

    found = list(Membership.objects.filter(organisation=organisation).exclude(user=actor))
    invited = [m.user_id for m in found]
    addresses = dict(
        StandIn.objects.filter(organisation=organisation, user_id__in=invited).values_list(
            "user_id", "email"
        )
    )
    places: dict[int, list[int]] = defaultdict(list)
    for team_id, user_id in Team.members.through.objects.filter(
        team__organisation=organisation, user_id__in=invited
    ).values_list("team_id", "user_id"):
        places[user_id].append(team_id)
    for team_id, user_id in Team.objects.filter(
        organisation=organisation, lead_id__in=invited
    ).values_list("pk", "lead_id"):
        places[user_id].append(-team_id)
    wanted = [a for a in addresses.values() if a]
    accounts = {u.username.lower(): u for u in User.objects.filter(username__in=wanted)}
    accounts.update({u.email: u for u in User.objects.filter(email__in=wanted)})
    stand_ins = User.objects.in_bulk([m.user_id for m in found])
    matched = created = 0
    invitations = []
    for membership in found:
        email = addresses.get(membership.user_id)
        if not email:
            continue  # the archive's own stand-in: nobody to invite
        user = accounts.get(email)
        if user is not None:
            _skip_user_id()
            matched += 1
        else:
            like = stand_ins[membership.user_id]
            # No name on the account: the archive's name is the invitation's, which the person
            # takes (or writes their own) on accepting, as for any invitation (an archive could
            # otherwise set the name an address shows everywhere, before its owner ever signed in).
            user = User.objects.create_user(
                email=email,
                full_name="",
                job_title=like.job_title,
                timezone=like.timezone,
                weekly_capacity_hours=like.weekly_capacity_hours,
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
            accounts[email] = user
            created += 1
        invitations.append(
            Invitation(
                organisation=organisation,
                user=user,
                stand_in_id=membership.user_id,
                role=membership.role,
                invited_by=actor,
                name=names.get(membership.user_id, ""),
                teams=sorted(places[membership.user_id], key=abs),
            )
        )
    Invitation.objects.bulk_create(invitations)
    Membership.objects.filter(pk__in=[m.pk for m in found]).delete()
    # Not a member until they accept: out of the teams, and no team led by them (as when a
    # member is removed), so the teams stay editable; accepting puts them back.
    for team in Team.objects.filter(organisation=organisation, members__in=invited).distinct():
        team.members.remove(*invited)
    Team.objects.filter(organisation=organisation, lead_id__in=invited).update(lead=None)
    return len(invitations), matched, created


def _skip_user_id() -> None:
    """Use up one account id, as making an account would: the import makes one for each new
    address and none for an address with an account, and the ids of the stand-ins the next
    import makes (which its importer sees) must not tell how many it made."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [User._meta.db_table]
            )
        else:
            table = User._meta.db_table
            cursor.execute("UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = %s", [table])


@dataclass
class _Context:
    """What converting one row needs besides the row."""

    archive: _Archive
    ids: _Ids
    content_types: dict[int, str]
    organisation: Organisation
    uuids: dict[Any, uuid.UUID]
    stored: list[str]
    files: int = 0


def _build(
    model: type[models.Model],
    label: str,
    columns: list[str],
    row: list[Any],
    fields: dict[str, models.Field[Any, Any]],
    context: _Context,
) -> tuple[models.Model | None, list[tuple[str, str, Any]]]:
    """The unsaved object for one row of the archive and its columns to set in the second pass
    (``(attname, target label, old id)``); None when the row is about something the archive does
    not hold (see :func:`_convert`)."""
    raw = dict(zip(columns, row, strict=True))
    obj = model()
    later_ones: list[tuple[str, str, Any]] = []
    for attname, value in raw.items():
        if attname == "id":
            continue
        column = fields[attname]
        obj_value, later = _convert(
            label,
            column,
            value,
            raw,
            context.ids,
            context.content_types,
            context.organisation,
            context.uuids,
        )
        if obj_value is _DROP:
            return None, []
        if later is not None:
            later_ones.append((attname, later, value))
        if isinstance(column, models.FileField) and obj_value:
            obj_value = _store_file(context.archive, str(obj_value), context.stored)
            context.files += 1 if obj_value else 0
        setattr(obj, attname, obj_value)
    if label == HISTORY:
        obj.changes = _history_references(  # type: ignore[attr-defined]
            raw.get("changes"), raw.get("content_type_id"), context
        )
    return obj, later_ones


HISTORY = "core.HistoryEntry"


def _history_references(changes: Any, content_type_id: Any, context: _Context) -> Any:
    """A history entry's changes with the ids of the foreign keys it names rewritten to the new
    rows' ids, and emptied when the archive holds no such row: history shows each referenced
    object's name, read by its id here, so an id copied as it was named whatever row of this
    instance has it (another organisation's task, any account: an archive written for the
    purpose could list every account's name), and an honest one named the wrong rows."""
    if not isinstance(changes, dict):
        return changes
    try:
        model = apps.get_model(context.content_types.get(content_type_id, ""))
    except (LookupError, ValueError):
        model = None
    out: dict[str, Any] = {}
    for name, pair in changes.items():
        try:
            field = model._meta.get_field(name) if model is not None else None
        except FieldDoesNotExist:
            field = None
        if not isinstance(field, models.ForeignKey):
            out[name] = pair
            continue
        target = _label(field.related_model)

        def mapped(value: Any, target: str = target) -> Any:
            if isinstance(value, int) and not isinstance(value, bool):
                return context.ids.get(target, value)
            return value  # a name stored by older entries, or None

        out[name] = [mapped(v) for v in pair] if isinstance(pair, list) else mapped(pair)
    return out


def _people(
    people: list[dict[str, Any]],
    ids: _Ids,
    *,
    actor: User,
    organisation: Organisation,
    stand_ins: bool,
) -> tuple[set[int], int, dict[int, str]]:
    """Each person of the archive as an account here: the ids matched, how many were made, and
    each account's name in the archive.

    With ``stand_ins`` (an import anyone may run) everyone but the importer gets a
    :class:`~twofold.accounts.models.StandIn`, named as the archive names them, whether the
    address has an account here or not: the imported rows never show an account's own name,
    so an archive written for the purpose cannot tell which addresses are registered here, and
    whose. Without (the operator's restore) people are matched by e-mail, else made without a
    password."""
    from twofold.accounts.services import _check_timezone

    emails = {str(p["email"]).strip().lower() for p in people}
    existing = {u.username.lower(): u for u in User.objects.filter(username__in=emails)}
    existing.update({u.email.lower(): u for u in User.objects.filter(email__in=emails)})
    matched: set[int] = set()
    fresh: set[int] = set()  # accounts this import made (an e-mail named twice is one person)
    created = 0
    names: dict[int, str] = {}
    standing: dict[str, User] = {}
    for person in people:
        email = str(person["email"]).strip().lower()
        candidate = User(
            email=email,
            username=email,
            full_name=str(person.get("full_name") or "")[:150],
            job_title=str(person.get("job_title") or "")[:120],
            timezone=str(person.get("timezone") or "")[:64],
            is_active=True,  # as one added on People: no password yet, set through a reset
            password=make_password(None),
        )
        if person.get("weekly_capacity_hours") is not None:
            candidate.weekly_capacity_hours = person["weekly_capacity_hours"]
        try:
            # Every person checked, matched or not: a refusal only for new addresses would
            # tell the importer which ones have an account here.
            if candidate.timezone:
                _check_timezone(candidate.timezone)
            candidate.full_clean(exclude=["password", "username"], validate_unique=False)
        except Exception as exc:
            raise ImportError_(f"Person {email} in the archive is invalid: {exc}") from exc
        is_stand_in = email.endswith("@" + STAND_IN_DOMAIN)
        if (stand_ins and email != actor.email) or is_stand_in:
            user = standing.get(email) or _stand_in(
                candidate, organisation, "" if is_stand_in else email
            )
            standing[email] = user
        else:
            found = existing.get(email)
            if found is None:
                user = candidate
                user.save()
                existing[email] = user
                fresh.add(user.pk)
                created += 1
            else:
                user = found
                if user.pk not in fresh:
                    matched.add(user.pk)
        ids.by_label[USER][person["id"]] = user.pk
        names.setdefault(user.pk, str(person.get("full_name") or "")[:150])
    return matched, created, names


def _stand_in(candidate: User, organisation: Organisation, email: str) -> User:
    """A stand-in account like ``candidate`` (its name, title, capacity), for ``email``."""
    address = f"{uuid.uuid4().hex}@{STAND_IN_DOMAIN}"
    candidate.email = candidate.username = address
    candidate.is_active = False
    candidate.save()
    StandIn.objects.create(user=candidate, organisation=organisation, email=email)
    return candidate


def _convert(
    label: str,
    column: models.Field[Any, Any],
    value: Any,
    raw: dict[str, Any],
    ids: _Ids,
    content_types: dict[int, str],
    organisation: Organisation,
    uuids: dict[Any, uuid.UUID],
) -> tuple[Any, str | None]:
    """The value to store, and the model label whose new id must be set later (or None)."""
    if column.is_relation:
        target = _label(column.related_model)  # type: ignore[arg-type]
        if value is None:
            return None, None
        if target == ORGANISATION:
            return organisation.pk, None
        new = ids.get(target, value)
        if new is not None:
            return new, None
        if column.null and _position(target) >= _position(label):
            return None, target  # inserted later (or the same model): set in the second pass
        if column.null:
            return None, None
        raise ImportError_(f"A row of {label} refers to a missing {target} ({value}).")
    resolver = GENERIC.get((label, column.attname))
    if resolver is not None and value is not None:
        found = resolver(raw, content_types)
        if found == ORGANISATION:
            return organisation.pk, None
        if found == USER:
            person = ids.get(USER, value)
            return (person, None) if person is not None else (None if column.null else _DROP, None)
        if found is None or _position(found) < 0:
            # About something the archive does not hold (a webhook endpoint, another model):
            # its id would name a row of this instance, perhaps another organisation's.
            return (None if column.null else _DROP), None
        new = ids.get(found, value)
        if new is not None:
            return new, None
        if _position(found) >= _position(label):
            return (None if column.null else 0), found
        return (None if column.null else 0), None  # it referred to a row that is gone
    try:
        converted = column.to_python(value)
    except Exception as exc:
        raise ImportError_(f"{label}.{column.attname}: {value!r} is not valid ({exc}).") from exc
    if isinstance(column, models.UUIDField) and converted is not None:
        converted = uuids.setdefault(converted, uuid.uuid4())
    return converted, None


_DROP = object()
"""What :func:`_convert` answers for a required id of a row the archive does not hold: the row
that holds it is not imported."""

_ORDER: dict[str, int] = {}


def _position(label: str) -> int:
    """Where ``label`` is in the insert order; -1 for a model that is not exported."""
    if not _ORDER:
        _ORDER.update({_label(m): i for i, (m, _) in enumerate(exported_models())})
    return _ORDER.get(label, -1)


def _insert(model: type[models.Model], objects: list[models.Model]) -> list[models.Model]:
    made: list[models.Model] = []
    for start in range(0, len(objects), BATCH):
        made.extend(model._base_manager.bulk_create(objects[start : start + BATCH]))
    if any(
        obj.pk is None for obj in made
    ):  # pragma: no cover - every supported database returns ids
        raise RuntimeError("the database did not return the new ids")
    return made


def _apply_deferred(
    deferred: Iterable[tuple[type[models.Model], Any, str, str, Any]], ids: _Ids
) -> None:
    updates: dict[tuple[type[models.Model], str], list[tuple[int, int]]] = defaultdict(list)
    for model, pk, attname, target, old in deferred:
        new = ids.get(target, old)
        if new is not None:
            updates[(model, attname)].append((pk, new))
    for (model, attname), pairs in updates.items():
        objects = []
        for pk, new in pairs:
            obj = model(pk=pk)
            setattr(obj, attname, new)
            objects.append(obj)
        model._base_manager.bulk_update(objects, [attname], batch_size=BATCH)


def _rewrite_json_ids(
    rows: Iterable[tuple[type[models.Model], str, int, str, Any]], ids: _Ids
) -> None:
    """The ids inside the :data:`JSON_IDS` columns of the rows just inserted, rewritten to
    the new rows' ids (every row is inserted by now)."""
    updates: dict[tuple[type[models.Model], str], list[models.Model]] = defaultdict(list)
    for model, label, pk, attname, value in rows:
        new = JSON_IDS[(label, attname)](value, ids.get)
        if new != value:
            obj = model(pk=pk)
            setattr(obj, attname, new)
            updates[(model, attname)].append(obj)
    for (model, attname), objects in updates.items():
        model._base_manager.bulk_update(objects, [attname], batch_size=BATCH)


def _store_file(archive: _Archive, name: str, stored: list[str]) -> str:
    entry = FILES_PREFIX + name
    meta = archive.manifest["files"].get(entry)
    if meta is None:  # the file was missing when exported: keep the row without it
        return ""
    try:
        content = safe_archive.read_verified(
            archive.zf, entry, meta["size"], str(meta.get("sha256"))
        )
    except ArchiveError as exc:
        raise ImportError_(f"The archive was refused: {exc}.") from exc
    try:
        saved = default_storage.save(name, ContentFile(content))
    except SuspiciousOperation as exc:  # an absolute name, or one with "..": never stored
        raise ImportError_(
            f"The archive names a file {name[:200]!r} that cannot be stored."
        ) from exc
    stored.append(saved)
    return saved


def _make_owner(actor: User, organisation: Organisation) -> None:
    membership = Membership.objects.filter(organisation=organisation, user=actor).first()
    if membership is None:
        Membership.objects.create(organisation=organisation, user=actor, role=Role.OWNER)
    elif membership.role != Role.OWNER:
        membership.role = Role.OWNER
        membership.save(update_fields=["role"])


def require_export(actor: User, organisation: Organisation) -> None:
    """Only owners export their organisation (the archive holds everything of it)."""
    require(actor, Action.OWN, organisation)


def export_bytes(organisation: Organisation) -> bytes:
    """The whole archive in memory (small organisations, tests)."""
    buffer = io.BytesIO()
    export_organisation(organisation, buffer)
    return buffer.getvalue()


def export_file_name(organisation: Organisation) -> str:
    return f"{organisation.slug}-{dt.date.today().isoformat()}.zip"


# --------------------------------------------------------------------------------------------
# Exports in the background: the archive is kept in the media storage until downloaded.

EXPORT_JOB = "interchange.organisation_export"
INLINE_ROWS = 20_000
"""Organisations with more rows than this are exported by a background job."""
EXPORTS_FOLDER = "organisation-exports"


def export_to_storage(
    organisation: Organisation, progress: Callable[..., bool] | None = None
) -> dict[str, Any] | None:
    """Export into a new file of the media storage; the job's result (None if cancelled)."""
    import tempfile

    with tempfile.TemporaryFile() as buffer:
        result = export_organisation(organisation, buffer, progress=progress)
        if result is None:
            return None
        buffer.seek(0)
        name = default_storage.save(
            f"{EXPORTS_FOLDER}/{organisation.slug}-{uuid.uuid4().hex}.zip", buffer
        )
    return {
        "file": name,
        "file_name": export_file_name(organisation),
        "size": default_storage.size(name),
        "rows": sum(result.counts.values()),
        "files": result.files,
        "missing_files": result.missing_files,
    }
