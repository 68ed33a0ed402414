"""PostgreSQL keeps 30 % of each page of the task table free for updated rows.

A reschedule rewrites the dates of most of a project's tasks (1,499 of the large demo's 2,000
in one edit). PostgreSQL can update a row in place ("HOT": no new entry in any of the table's
twelve indexes) only when the row's page has room for the new version. At the default
fillfactor (100) a freshly loaded or restored table has none: measured on a copy of the large
demo right after ``VACUUM FULL``, 16 % of the updates of 40 edits were HOT and the write took
~114 ms; at fillfactor 85, 91 % and ~15 ms; at 70, 97 % and ~18 ms (the machine under load
4-5). The setting applies to pages written from now on (and to a restore, which carries it);
SQLite has no such setting.
"""

from django.db import migrations

FILLFACTOR = 70


def set_fillfactor(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE projects_task SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE projects_task RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0011_task_rescheduled_at"),
    ]

    operations = [
        migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=False),
    ]
