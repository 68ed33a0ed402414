"""The audit trail of a process over a date range, as a ZIP an auditor reads without Twofold.

Inside: ``README.txt`` (what each file holds), CSV tables (UTF-8 with BOM, so spreadsheets read
accents right; text that a spreadsheet would run as a formula is neutralised by
``core.csv_export.safe_cell``) and the evidence files under ``evidence/``. Every row is
filtered on the organisation *and* the process, so nothing of another process or organisation
gets in. The tables are CSV only (the README says so): every spreadsheet program opens them.

The tables are read with a fixed number of queries whatever the range (rows are streamed with
``iterator``); files are copied in chunks. Large ranges run as a background job
(``quality.jobs``), small ones straight from the page or API.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import posixpath
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone

from twofold.core import dates
from twofold.core.csv_export import safe_cell
from twofold.core.errors import Invalid
from twofold.core.models import HistoryEntry
from twofold.operations.models import (
    Measurement,
    Occurrence,
    Process,
    StepEvidence,
)
from twofold.quality.models import CapaAction, Nonconformance

MAX_DAYS = 3 * 366
"""The longest range one export covers."""
JOB_OCCURRENCES = 400
JOB_FILES = 40
"""Ranges with more occurrences or evidence files than these run as a background job."""
XLSX_NOTE = (
    "Tables are CSV only, so that every spreadsheet program opens them; no XLSX workbook is "
    "written."
)

Progress = Callable[..., bool]


class ExportCancelled(Exception):
    """Someone cancelled the export job: the half-written ZIP is thrown away."""


@dataclass(frozen=True)
class AuditScope:
    """A process and an inclusive range of days in the organisation's time zone."""

    process: Process
    start: dt.date
    end: dt.date

    @classmethod
    def checked(cls, process: Process, start: dt.date | None, end: dt.date | None) -> AuditScope:
        if start is None:
            raise Invalid("Give the first day of the range.", field="start")
        if end is None:
            raise Invalid("Give the last day of the range.", field="end")
        if end < start:
            raise Invalid("The last day cannot be before the first day.", field="end")
        if (end - start).days > MAX_DAYS:
            raise Invalid("One export covers at most three years.", field="end")
        return cls(process, start, end)

    @property
    def zone(self) -> Any:
        return dates.zone_or_none(self.process.organisation.timezone) or dt.UTC

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=self.zone)

    @property
    def until(self) -> dt.datetime:
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=self.zone)

    @property
    def file_name(self) -> str:
        slug = "".join(c if c.isalnum() else "-" for c in self.process.name.lower()).strip("-")
        return f"audit-{slug[:40] or 'process'}-{self.start:%Y%m%d}-{self.end:%Y%m%d}.zip"


def occurrences_in(scope: AuditScope) -> models.QuerySet[Occurrence]:
    p = scope.process
    return Occurrence.objects.filter(
        organisation_id=p.organisation_id,
        routine__process=p,
        due__gte=scope.since,
        due__lt=scope.until,
    )


def evidence_in(scope: AuditScope) -> models.QuerySet[StepEvidence]:
    p = scope.process
    return StepEvidence.objects.filter(
        organisation_id=p.organisation_id,
        occurrence__routine__process=p,
        occurrence__due__gte=scope.since,
        occurrence__due__lt=scope.until,
    )


def measurements_in(scope: AuditScope) -> models.QuerySet[Measurement]:
    p = scope.process
    return Measurement.objects.filter(
        organisation_id=p.organisation_id,
        kpi__process=p,
        measured_on__gte=scope.start,
        measured_on__lte=scope.end,
    )


def nonconformances_in(scope: AuditScope) -> models.QuerySet[Nonconformance]:
    p = scope.process
    return Nonconformance.objects.filter(
        organisation_id=p.organisation_id,
        process=p,
        raised_at__gte=scope.since,
        raised_at__lt=scope.until,
    )


def size_of(scope: AuditScope) -> tuple[int, int]:
    """(occurrences, evidence files) in the range: decides between the request and a job."""
    return occurrences_in(scope).count(), evidence_in(scope).exclude(file="").count()


def needs_job(scope: AuditScope) -> bool:
    occurrences, files = size_of(scope)
    return occurrences > JOB_OCCURRENCES or files > JOB_FILES


# --- Cells ------------------------------------------------------------------------------------


def _person(user: Any) -> str:
    return "" if user is None else f"{user.display_name} <{user.email}>"


def _moment(value: dt.datetime | None, zone: Any) -> str:
    return "" if value is None else timezone.localtime(value, zone).isoformat(timespec="seconds")


def _plain(value: Any, zone: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _moment(value, zone)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]], zone: Any) -> tuple[bytes, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([safe_cell(_plain(v, zone)) for v in row])
        count += 1
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), count


# --- Tables -----------------------------------------------------------------------------------

OCCURRENCE_HEADER = [
    "occurrence_id",
    "routine",
    "critical_routine",
    "due",
    "status",
    "outcome",
    "completed_at",
    "completed_by",
]


def _outcome(o: Occurrence) -> str:
    if o.status == "done":
        if o.nonconforming:
            return "completed with a nonconformance" + (" (late)" if o.late else "")
        return "late" if o.late else "on time"
    if o.status == "missed":
        return "missed (nonconformance)" if o.nonconforming else "missed"
    return "open"


def _occurrence_rows(scope: AuditScope) -> Iterable[list[Any]]:
    qs = occurrences_in(scope).select_related("routine", "completed_by").order_by("due", "pk")
    for o in qs.iterator(chunk_size=1000):
        yield [
            o.pk,
            o.routine.name,
            o.routine.critical,
            o.due,
            o.get_status_display(),
            _outcome(o),
            o.completed_at,
            _person(o.completed_by),
        ]


EVIDENCE_HEADER = [
    "occurrence_id",
    "routine",
    "due",
    "step",
    "evidence_kind",
    "note",
    "reading",
    "unit",
    "min",
    "max",
    "within_limits",
    "pass_fail",
    "file_in_zip",
    "original_file",
]


@dataclass
class _Files:
    """Evidence files to copy: (stored name, name inside the ZIP)."""

    wanted: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def safe_original(e: StepEvidence) -> str:
    """The name the file was uploaded under, safe inside a ZIP: no path separators, control
    characters or leading dots (a hidden file, or "..")."""
    name = e.original_name or posixpath.basename(e.file.name or "")
    name = "".join(
        "_" if ch in "/\\" else ch for ch in name if ch.isprintable() or ch in "/\\"
    ).strip()
    return name.lstrip(". ") or "file"


def _zip_name(e: StepEvidence) -> str:
    """``evidence/<occurrence>-<step>-<original name>`` as README.txt says (until 2026-12-05
    the storage name: a random token the auditor could not match to anything)."""
    return f"evidence/{e.occurrence_id}-{e.step_id}-{safe_original(e)}"


def _evidence_rows(scope: AuditScope, files: _Files) -> Iterable[list[Any]]:
    qs = (
        evidence_in(scope)
        .select_related("step", "occurrence", "occurrence__routine")
        .order_by("occurrence__due", "occurrence_id", "step__position", "pk")
    )
    for e in qs.iterator(chunk_size=1000):
        step = e.step
        within: Any = ""
        if e.number is not None:
            low, high = step.min_value, step.max_value
            within = not (
                (low is not None and e.number < low) or (high is not None and e.number > high)
            )
        in_zip = ""
        if e.file:
            in_zip = _zip_name(e)
            files.wanted.append((e.file.name or "", in_zip))
        yield [
            e.occurrence_id,
            e.occurrence.routine.name,
            e.occurrence.due,
            step.text,
            step.get_evidence_display(),
            e.note,
            e.number,
            step.unit,
            step.min_value,
            step.max_value,
            within,
            "" if e.passed is None else ("pass" if e.passed else "fail"),
            in_zip,
            safe_original(e) if e.file else "",
        ]


def _measurement_fields() -> list[models.Field[Any, Any]]:
    """Every stored column of a measurement (so corrections or voids kept on the row, if the
    model has them, are exported too), except the organisation."""
    return [f for f in Measurement._meta.concrete_fields if f.name not in {"organisation"}]


def _measurement_rows(
    scope: AuditScope, columns: list[models.Field[Any, Any]]
) -> Iterable[list[Any]]:
    qs = measurements_in(scope).select_related("kpi").order_by("kpi__name", "measured_on", "pk")
    for m in qs.iterator(chunk_size=1000):
        yield [m.kpi.name, m.kpi.unit, *[getattr(m, f.attname) for f in columns]]


NC_HEADER = [
    "number",
    "title",
    "severity",
    "status",
    "source",
    "occurrence_id",
    "step",
    "request_id",
    "reading",
    "raised_at",
    "raised_by",
    "description",
    "containment",
    "root_cause",
    "verified_on",
    "verified_by",
    "effective",
    "verification",
    "closed_at",
    "closed_by",
]


def _nc_rows(scope: AuditScope) -> Iterable[list[Any]]:
    qs = (
        nonconformances_in(scope)
        .select_related("step", "raised_by", "verified_by", "closed_by")
        .order_by("number")
    )
    for nc in qs.iterator(chunk_size=500):
        yield [
            nc.code,
            nc.title,
            nc.get_severity_display(),
            nc.get_status_display(),
            nc.get_source_display(),
            nc.occurrence_id,
            nc.step.text if nc.step else "",
            nc.request_id,
            nc.reading,
            nc.raised_at,
            _person(nc.raised_by),
            nc.description,
            nc.containment,
            nc.root_cause,
            nc.verified_on,
            _person(nc.verified_by),
            nc.effective,
            nc.verification,
            nc.closed_at,
            _person(nc.closed_by),
        ]


ACTION_HEADER = [
    "nonconformance",
    "kind",
    "description",
    "owner",
    "due_on",
    "status",
    "done_on",
    "outcome",
    "created_at",
    "created_by",
]


def _action_rows(scope: AuditScope) -> Iterable[list[Any]]:
    qs = (
        CapaAction.objects.filter(
            organisation_id=scope.process.organisation_id,
            nonconformance__in=nonconformances_in(scope),
        )
        .select_related("nonconformance", "owner", "created_by")
        .order_by("nonconformance__number", "due_on", "pk")
    )
    for a in qs.iterator(chunk_size=500):
        yield [
            a.nonconformance.code,
            a.get_kind_display(),
            a.description,
            _person(a.owner),
            a.due_on,
            a.get_status_display(),
            a.done_on,
            a.outcome,
            a.created_at,
            _person(a.created_by),
        ]


HISTORY_HEADER = ["record", "record_id", "at", "by", "action", "summary", "changes"]


def _history_rows(scope: AuditScope) -> Iterable[list[Any]]:
    """The recorded changes of every exported record (corrections of measurements included)."""
    org = scope.process.organisation_id
    subjects: list[tuple[str, type[models.Model], models.QuerySet[Any]]] = [
        ("occurrence", Occurrence, occurrences_in(scope)),
        ("measurement", Measurement, measurements_in(scope)),
        ("nonconformance", Nonconformance, nonconformances_in(scope)),
        (
            "capa_action",
            CapaAction,
            CapaAction.objects.filter(nonconformance__in=nonconformances_in(scope)),
        ),
    ]
    for label, model, qs in subjects:
        ct = ContentType.objects.get_for_model(model)
        entries = (
            HistoryEntry.objects.filter(
                organisation_id=org,
                content_type=ct,
                object_id__in=qs.values("pk"),
            )
            .select_related("actor")
            .order_by("object_id", "at", "pk")
        )
        for h in entries.iterator(chunk_size=1000):
            yield [label, h.object_id, h.at, _person(h.actor), h.action, h.summary, h.changes]


# --- The ZIP ----------------------------------------------------------------------------------


def _readme(scope: AuditScope, counts: dict[str, int], missing: list[str], by: Any) -> str:
    p = scope.process
    lines = [
        f"Audit trail of the process “{p.name}” ({p.organisation.name})",
        f"Range: {scope.start.isoformat()} to {scope.end.isoformat()} inclusive, days in "
        f"{p.organisation.timezone}",
        f"Exported: {_moment(timezone.now(), scope.zone)}"
        + (f" by {_person(by)}" if by is not None else ""),
        "Exported from Twofold. Times are ISO 8601 with their UTC offset; people are "
        "'name <e-mail>'. Text that starts like a spreadsheet formula begins with an apostrophe.",
        "",
        "Files",
        f"  occurrences.csv         {counts['occurrences']:>6} routine occurrences due in the range: "
        "status and outcome (on time, late, missed, completed with a nonconformance), who "
        "completed it and when.",
        f"  evidence.csv            {counts['evidence']:>6} step records of those occurrences: notes, "
        "readings with their limits (within_limits = no means outside), pass/fail, and the "
        "file under evidence/.",
        f"  measurements.csv        {counts['measurements']:>6} KPI measurements dated in the range, "
        "every stored column.",
        f"  nonconformances.csv     {counts['nonconformances']:>6} nonconformances raised in the range: "
        "source, containment, root cause, verification of effectiveness, closure.",
        f"  capa_actions.csv        {counts['actions']:>6} corrective and preventive actions of those "
        "nonconformances: owner, due date, status, done date.",
        f"  history.csv             {counts['history']:>6} recorded changes of all the records above "
        "(who, when, field before and after), including corrections of measurements.",
        f"  evidence/               {counts['files']:>6} evidence files, named "
        "<occurrence_id>-<step id>-<original name> (the name it was uploaded under, also in "
        "evidence.csv's original_file; path separators made _, leading dots dropped).",
        "",
        XLSX_NOTE,
    ]
    if missing:
        lines += ["", "Evidence files missing from storage (listed in evidence.csv):"]
        lines += [f"  {name}" for name in missing]
    return "\r\n".join(lines) + "\r\n"


COMPRESSIBLE = frozenset({".txt", ".csv", ".json", ".xml", ".log", ".svg", ".html", ".md", ".tsv"})
"""Evidence worth deflating; photos, PDFs and office files are compressed already, and
deflating them again costs most of the export's time for a few percent."""


def _compression_for(name: str) -> int:
    ext = posixpath.splitext(name)[1].lower()
    return zipfile.ZIP_DEFLATED if ext in COMPRESSIBLE else zipfile.ZIP_STORED


def write_zip(
    scope: AuditScope, target: IO[bytes], *, by: Any = None, progress: Progress | None = None
) -> dict[str, Any]:
    """Write the audit ZIP of ``scope`` into ``target``; returns the counts per table."""
    zone = scope.zone
    files = _Files()
    counts: dict[str, int] = {}

    def step(fraction: float, message: str) -> None:
        if progress is not None and progress(fraction, message) is False:
            raise ExportCancelled

    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        tables: list[tuple[str, str, Sequence[str], Iterable[Sequence[Any]]]] = []
        columns = _measurement_fields()
        tables = [
            ("occurrences", "occurrences.csv", OCCURRENCE_HEADER, _occurrence_rows(scope)),
            ("evidence", "evidence.csv", EVIDENCE_HEADER, _evidence_rows(scope, files)),
            (
                "measurements",
                "measurements.csv",
                ["kpi", "kpi_unit", *[f.attname for f in columns]],
                _measurement_rows(scope, columns),
            ),
            ("nonconformances", "nonconformances.csv", NC_HEADER, _nc_rows(scope)),
            ("actions", "capa_actions.csv", ACTION_HEADER, _action_rows(scope)),
            ("history", "history.csv", HISTORY_HEADER, _history_rows(scope)),
        ]
        for n, (key, name, header, rows) in enumerate(tables):
            step(0.4 * n / len(tables), f"Writing {name}")
            data, counts[key] = _csv(header, rows, zone)
            zf.writestr(name, data)
        total = len(files.wanted)
        copied = 0
        for i, (stored, in_zip) in enumerate(files.wanted):
            if i % 25 == 0:
                step(0.4 + 0.6 * i / max(total, 1), f"Copying evidence files ({i} of {total})")
            try:
                source = default_storage.open(stored, "rb")
            except (FileNotFoundError, OSError):
                files.missing.append(stored)
                continue
            info = zipfile.ZipInfo(in_zip, date_time=timezone.now().timetuple()[:6])
            info.compress_type = _compression_for(in_zip)
            with source, zf.open(info, "w", force_zip64=True) as out:
                while chunk := source.read(1 << 20):
                    out.write(chunk)
            copied += 1
        counts["files"] = copied
        counts["missing_files"] = len(files.missing)
        zf.writestr("README.txt", _readme(scope, counts, files.missing, by).encode("utf-8"))
    step(1.0, "Done")
    return counts
