"""The capacity data stamp: one value that changes whenever an input of the capacity model does.

The capacity view of a large organisation (200 people × 12 weeks) reads tens of thousands of
task-days, routines, request history, patterns and absences; between two changes of those rows
the result is the same. :func:`cached` keeps the computed result per process, keyed on the
stamp, so a repeated view reads one row instead of recomputing. The stamp is a
:class:`~twofold.core.stamps.Stamp` (triggers, how a reader stays right) kept in
:class:`~twofold.capacity.models.DataStamp`, watching the tables in :data:`WATCHED`.
"""

from __future__ import annotations

from twofold.core.stamps import Stamp

# (app label, model, fields whose UPDATE matters — None: every column). Insert and delete of a
# row always count. Only what the capacity model reads: a task's status, board position or
# name changes nothing in the grid, so card moves and renames keep the cache.
WATCHED: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    (
        "projects",
        "Task",
        (
            "organisation",
            "project",
            "assignee",
            "start",
            "finish",
            "effort_minutes",
            "duration_minutes",
            "is_summary",
            "is_milestone",
            "deleted_at",
        ),
    ),
    ("projects", "Assignment", None),
    ("projects", "Project", ("organisation", "phase", "archived_at", "deleted_at")),
    ("operations", "Routine", None),
    ("operations", "Occurrence", ("routine", "due", "organisation")),
    ("operations", "Request", ("queue", "created_at", "deleted_at", "organisation")),
    ("operations", "Queue", None),
    ("operations", "Process", None),
    ("capacity", "WorkingPattern", None),
    ("capacity", "Absence", None),
    ("capacity", "Reservation", None),
    ("capacity", "QueueWorkload", None),
    ("calendars", "Calendar", None),
    ("calendars", "Holiday", None),
    ("accounts", "Membership", None),
    ("accounts", "Organisation", None),
    ("accounts", "Team", None),
)
# Team.members' through table (no model of its own).
WATCHED_M2M: tuple[tuple[str, str, str], ...] = (("accounts", "Team", "members"),)

PREFIX = "capacity_stamp_"

STAMP = Stamp("capacity.DataStamp", PREFIX, WATCHED, WATCHED_M2M)

install_triggers = STAMP.install_triggers
drop_all_triggers = STAMP.drop_all_triggers
current = STAMP.current
cached = STAMP.cached
clear = STAMP.clear
