"""The tasks' ordering keys compared byte by byte on PostgreSQL (``core.fields.OrderingKeyField``).

On PostgreSQL the two columns get the ``C`` collation (their indexes are rebuilt with them). On
SQLite text is compared byte by byte already: only the model state changes (no table rebuild).
"""

from typing import Any

from django.db import migrations

import twofold.core.fields


def _byte_order(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in ("board_key", "position"):
        schema_editor.execute(
            f'ALTER TABLE "projects_task" ALTER COLUMN "{column}" TYPE varchar(80) COLLATE "C"'
        )


def _database_order(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in ("board_key", "position"):
        schema_editor.execute(
            f'ALTER TABLE "projects_task" ALTER COLUMN "{column}" TYPE varchar(80)'
            ' COLLATE "default"'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0012_task_fillfactor"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(_byte_order, _database_order)],
            state_operations=[
                migrations.AlterField(
                    model_name="task",
                    name="board_key",
                    field=twofold.core.fields.OrderingKeyField(default="V", max_length=80),
                ),
                migrations.AlterField(
                    model_name="task",
                    name="position",
                    field=twofold.core.fields.OrderingKeyField(max_length=80),
                ),
            ],
        ),
    ]
