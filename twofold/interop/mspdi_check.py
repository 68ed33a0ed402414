"""``twofold mspdi-check FILE_OR_FOLDER...``: does our engine give Microsoft Project's dates?

Each MSPDI file is imported, scheduled by :func:`twofold.engine.cpm.schedule` from its inputs
only, and every automatically scheduled task's start and finish are compared, to the second,
with the dates Microsoft Project stored. One line per file, then ``MATCH <matching> / <compared>
tasks``. With ``--report``, every repair the importer made in a file (an element it skipped or
fixed, and what it did) is listed under the file's line. Exit status 0 when everything compared matches, 1 otherwise, 2 on unreadable input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from twofold.engine.calendars import CalendarRangeError, from_instant
from twofold.engine.cpm import schedule
from twofold.interop.mspdi import MspdiError, Repair, read_mspdi


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One task whose dates differ: ours versus Project's."""

    uid: int
    name: str
    ours: tuple[datetime, datetime]
    stored: tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class FileReport:
    """Outcome for one file."""

    path: Path
    compared: int
    matching: int
    mismatches: tuple[Mismatch, ...]
    error: str | None = None
    repairs: tuple[Repair, ...] = ()


def check_file(path: Path) -> FileReport:
    """Import, schedule and compare one file (errors are reported, not raised)."""
    try:
        document = read_mspdi(path)
        result = schedule(document.plan)
    except (MspdiError, ValueError) as exc:
        return FileReport(path, 0, 0, (), error=str(exc))
    except (CalendarRangeError, IndexError, OverflowError):
        return FileReport(
            path, 0, 0, (), error="the schedule runs outside the years the calendars cover"
        )
    except Exception as exc:  # one file's failure must not stop the others
        return FileReport(
            path, 0, 0, (), error=f"cannot be scheduled ({type(exc).__name__}: {exc})"
        )
    infos = {i.uid: i for i in document.tasks}
    compared = matching = 0
    mismatches = []
    for index, task in enumerate(document.plan.tasks):
        info = infos[task.uid]
        if task.manual or info.start is None or info.finish is None:
            continue
        compared += 1
        ours = (from_instant(int(result.start[index])), from_instant(int(result.finish[index])))
        stored = (info.start, info.finish)
        if ours == stored:
            matching += 1
        else:
            mismatches.append(Mismatch(task.uid, task.name, ours, stored))
    return FileReport(path, compared, matching, tuple(mismatches), repairs=document.repairs)


def _files(arguments: list[str]) -> Iterator[Path]:
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix.lower() == ".xml")
        else:
            yield path


def _describe(report: FileReport, show: int, repairs: bool = False) -> str:
    if report.error is not None:
        return f"{report.path.name}: ERROR {report.error}"
    line = f"{report.path.name}: {report.matching}/{report.compared} tasks match"
    if report.repairs:
        line += f" ({len(report.repairs)} repairs)"
    for m in report.mismatches[:show]:
        line += (
            f"; uid {m.uid} {m.name!r} ours {m.ours[0]:%Y-%m-%d %H:%M:%S}"
            f"..{m.ours[1]:%Y-%m-%d %H:%M:%S} project {m.stored[0]:%Y-%m-%d %H:%M:%S}"
            f"..{m.stored[1]:%Y-%m-%d %H:%M:%S}"
        )
    if repairs:
        line += "".join(f"\n  repair: {r}" for r in report.repairs)
    return line


def main(argv: list[str] | None = None) -> int:
    """Run the check; see the module docstring for output and exit status."""
    parser = argparse.ArgumentParser(
        prog="twofold mspdi-check",
        description="Schedule MSPDI files with the Twofold engine and compare with Project.",
    )
    parser.add_argument("paths", nargs="+", metavar="FILE_OR_FOLDER")
    parser.add_argument("--show", type=int, default=3, help="mismatches to print per file")
    parser.add_argument(
        "--report", action="store_true", help="list the importer's repairs under each file"
    )
    args = parser.parse_args(argv)
    total_compared = total_matching = 0
    failed = False
    for path in _files(args.paths):
        if not path.exists():
            print(f"{path}: ERROR no such file")
            failed = True
            continue
        report = check_file(path)
        failed = failed or report.error is not None
        total_compared += report.compared
        total_matching += report.matching
        print(_describe(report, args.show, args.report))
    print(f"MATCH {total_matching} / {total_compared} tasks")
    if failed:
        return 2
    return 0 if total_matching == total_compared else 1


if __name__ == "__main__":
    sys.exit(main())
