"""The tasks' ordering keys compared byte by byte on PostgreSQL (``core.fields.OrderingKeyField``).

On PostgreSQL the two columns get the ``C`` collation (their indexes are rebuilt with them). On
SQLite text is compared byte by byte already: only the model state changes (no table rebuild).
"""

from typing import Any

from django.db import migrations

import twofold.core.fields


def _collate(collation: str) -> Any:
    """Give both key columns ``collation`` on PostgreSQL (nothing to do on SQLite)."""

    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for column in ("board_key", "position"):
            schema_editor.execute(
                f'ALTER TABLE "projects_task" ALTER COLUMN "{column}" TYPE varchar(80)'
                f' COLLATE "{collation}"'
            )

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0012_task_fillfactor"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(_collate("C"), _collate("default"))],
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
