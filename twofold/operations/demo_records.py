"""Demo records an auditor would look for (called by twofold/demo/loader.py after operations).

On Line 2's scrap rate: one week's value was typed as a fraction (0.031 for 3.1 %) and then
corrected, and one value was counted twice from a bad bar-stock batch and voided. Both go through
the services, so the history, the chart's marks and the KPI's state are as a user would see them;
each is stamped when Rita found it (a week or so after the value was entered), not today.
"""

from __future__ import annotations

import datetime as dt

from twofold.accounts.models import Organisation, User
from twofold.demo.backdate import at_local, happened, stamp, workday
from twofold.operations import corrections
from twofold.operations.models import Kpi, Measurement

KPI_NAME = "Scrap rate"


def load(organisation: Organisation, people: dict[str, User]) -> str:
    kpi = Kpi.objects.filter(organisation=organisation, name=KPI_NAME).first()
    actor = people.get("Rita Costa") or next(iter(people.values()), None)
    if kpi is None or actor is None:
        return ""
    rows = list(Measurement.objects.filter(kpi=kpi).order_by("-measured_on")[:30])
    if len(rows) < 30:
        return ""
    typo, double = rows[20], rows[28]
    right = typo.value
    # As first entered: the fraction for the percentage, and the batch counted twice.
    as_fraction = round(right / 100, 4)
    Measurement.objects.filter(pk=typo.pk).update(value=as_fraction)
    Measurement.objects.filter(pk=double.pk).update(value=round(double.value * 2, 2))
    typo.refresh_from_db()
    double.refresh_from_db()
    corrected = at_local(organisation, workday(typo.measured_on + dt.timedelta(days=7)), 10, 20)
    with happened(organisation, corrected):
        corrections.correct_measurement(
            actor=actor,
            measurement=typo,
            value=right,
            reason=f"Entered as a fraction ({as_fraction:g}) instead of a percentage; checked "
            "against the shift report.",
            expected_version=typo.version,
            confirmed=True,
        )
    stamp(typo, corrected, "corrected_at")
    voided = at_local(organisation, workday(double.measured_on + dt.timedelta(days=10)), 11, 5)
    with happened(organisation, voided):
        corrections.void_measurement(
            actor=actor,
            measurement=double,
            reason="Bar-stock batch B-1182 was counted twice; the week's real figure is unknown.",
            expected_version=double.version,
        )
    stamp(double, voided, "voided_at")
    return "1 corrected and 1 voided KPI value"
