"""The response clock of an answered request is stored at its first response, as the resolution
clock is at resolution (0010): its outcome (``response_met``), the business minutes it took and
the target then in force, so a later change of priority or of the queue's targets does not
re-judge it. Requests answered before are filled in from what is known now (their current
priority, queue targets and calendar: the best account of the target they were answered under)
by the same pass as the worker's (``services.refresh_sla_outcomes``), which also fills any
resolution outcome still missing."""

import logging
from typing import Any

from django.core.exceptions import FieldError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, migrations, models, transaction

log = logging.getLogger(__name__)


def fix_answered(apps: Any, schema_editor: Any) -> None:
    db = schema_editor.connection.alias
    Request = apps.get_model("operations", "Request")
    missing = Request._base_manager.using(db).filter(
        deleted_at__isnull=True, first_response_at__isnull=False, response_met__isnull=True
    )
    if db != DEFAULT_DB_ALIAS or not missing.exists():
        return  # a new database (nothing answered yet), or one the services do not write to
    # The clocks need the app's own code (calendars, targets, pauses); it reads the models as
    # they are now. Should they have moved on past this migration (a later one adds a column it
    # reads), these rows are left to the worker's pass (``twofold worker --once``), which fills
    # them the same way.
    from twofold.operations.services import refresh_sla_outcomes

    try:
        with transaction.atomic(using=db):
            refresh_sla_outcomes()
    except (DatabaseError, FieldError):
        log.warning("Answered requests without a response outcome: run `twofold worker --once`.")


class Migration(migrations.Migration):

    dependencies = [
        ('operations', '0014_guests_unassigned'),
    ]

    operations = [
        migrations.AddField(
            model_name='request',
            name='response_met',
            field=models.BooleanField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='request',
            name='response_minutes',
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='request',
            name='response_target_minutes',
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fix_answered, migrations.RunPython.noop),
    ]
