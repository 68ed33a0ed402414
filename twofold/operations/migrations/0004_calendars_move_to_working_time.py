"""Business calendars become calendars of the ``calendars`` app (same ids, so queues and
routines keep pointing at the same calendar); every organisation gets a default calendar (the
Standard week the projects scheduled on until now, so no project moves)."""

import datetime as dt
from typing import Any

import django.db.models.deletion
from django.core.management.color import no_style
from django.db import migrations, models

STANDARD_HOURS = {
    str(d): ([["08:00", "12:00"], ["13:00", "17:00"]] if d < 5 else []) for d in range(7)
}


def copy_calendars(apps: Any, schema_editor: Any) -> None:
    Old = apps.get_model("operations", "BusinessCalendar")
    Calendar = apps.get_model("calendars", "Calendar")
    Holiday = apps.get_model("calendars", "Holiday")
    Organisation = apps.get_model("accounts", "Organisation")
    for old in Old.objects.order_by("pk"):
        hours = {str(d): list(old.hours.get(str(d), [])) for d in range(7)}
        Calendar.objects.create(
            pk=old.pk,
            organisation_id=old.organisation_id,
            name=old.name,
            hours=hours,
            version=old.version,
        )
        for day in sorted(set(old.holidays or [])):
            date = dt.date.fromisoformat(day)
            Holiday.objects.create(
                organisation_id=old.organisation_id,
                calendar_id=old.pk,
                name="Holiday",
                start=date,
                end=date,
            )
    # Rows were inserted with explicit ids: move PostgreSQL's sequence past them before the
    # defaults below take ids from it (else the first default collides with calendar 1).
    sql = schema_editor.connection.ops.sequence_reset_sql(no_style(), [Calendar])
    with schema_editor.connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)
    for org in Organisation.objects.all():
        names = set(Calendar.objects.filter(organisation=org).values_list("name", flat=True))
        name = "Standard" if "Standard" not in names else "Standard working week"
        Calendar.objects.create(organisation=org, name=name, hours=STANDARD_HOURS, is_default=True)


def copy_back(apps: Any, schema_editor: Any) -> None:
    Old = apps.get_model("operations", "BusinessCalendar")
    Calendar = apps.get_model("calendars", "Calendar")
    Holiday = apps.get_model("calendars", "Holiday")
    for cal in Calendar.objects.order_by("pk"):
        days = [h.start.isoformat() for h in Holiday.objects.filter(calendar=cal, repeat="once")]
        Old.objects.update_or_create(
            pk=cal.pk,
            defaults={
                "organisation_id": cal.organisation_id,
                "name": cal.name,
                "hours": cal.hours,
                "holidays": days,
                "version": cal.version,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("calendars", "0001_working_time_calendars"),
        ("operations", "0003_archive_and_plain_names"),
    ]

    operations = [
        migrations.RunPython(copy_calendars, copy_back),
        migrations.AlterField(
            model_name="queue",
            name="calendar",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="calendars.calendar",
            ),
        ),
        migrations.AlterField(
            model_name="routine",
            name="calendar",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="calendars.calendar",
            ),
        ),
        migrations.DeleteModel(
            name="BusinessCalendar",
        ),
    ]
