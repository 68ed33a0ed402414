"""Carry each person's old fixed weekly capacity over as a working pattern.

Capacity used to read ``User.weekly_capacity_hours`` (one number, 40 by default). A person whose
number was not 40 gets, in each of their organisations, a pattern of that number spread evenly
over Monday to Friday, so the capacity view shows the same weekly hours as before.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import migrations

STANDARD = Decimal(40)
DAYS = ("mon", "tue", "wed", "thu", "fri")


def forwards(apps: Any, schema_editor: Any) -> None:
    membership_model = apps.get_model("accounts", "Membership")
    pattern_model = apps.get_model("capacity", "WorkingPattern")
    today = dt.date.today()
    rows = []
    memberships = membership_model.objects.exclude(user__weekly_capacity_hours=STANDARD)
    for org_id, user_id, weekly in memberships.values_list(
        "organisation_id", "user_id", "user__weekly_capacity_hours"
    ):
        per_day = min(Decimal(24), (Decimal(weekly) / 5)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        values = {f"{d}_hours": per_day for d in DAYS}
        rows.append(
            pattern_model(
                organisation_id=org_id,
                person_id=user_id,
                effective_from=today,
                note="From the former weekly capacity",
                **values,
            )
        )
    pattern_model.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("capacity", "0001_availability_patterns_and_absences"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
