"""A handover part's bad values are refused when drafted, naming the field (they answered 500,
or were taken and refused only at acceptance, until 2026-12-06)."""

from __future__ import annotations

import pytest

from twofold.closeout import services
from twofold.closeout.models import HandoverPart
from twofold.core.errors import Invalid

from .conftest import ROUTINE

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
RANGE = "The start date must fall between 1980 and 2149."


@pytest.mark.parametrize(
    ("kind", "spec", "field", "detail"),
    [
        ("process", {"description": "x", "team_id": "abc"}, "team_id", "Choose a team by id."),
        ("process", {"description": "x", "team_id": [1]}, "team_id", "Choose a team by id."),
        ("process", {"description": "x", "team_id": True}, "team_id", "Choose a team by id."),
        ("routine", {**ROUTINE, "starts_on": "9999-12-30"}, "starts_on", RANGE),
        ("routine", {**ROUTINE, "starts_on": "1970-01-05"}, "starts_on", RANGE),
        ("routine", {**ROUTINE, "starts_on": "2150-01-01"}, "starts_on", RANGE),
    ],
)
def test_bad_part_values_answer_422_naming_the_field(
    api, org, handover, manager, kind, spec, field, detail
):
    response = api(manager).post(
        f"/api/organisations/{org.pk}/handovers/{handover.pk}/parts",
        {"kind": kind, "name": "N", "spec": spec},
    )
    assert (response.status_code, response.json()) == (422, {"detail": detail, "field": field})
    assert not HandoverPart.objects.exists()


def test_a_routine_starting_before_1980_is_refused_when_drafted(handover, manager):
    """It was drafted, and the acceptance then refused ``parts.<id>.starts_on``."""
    with pytest.raises(Invalid) as exc:
        services.add_part(
            actor=manager,
            handover=handover,
            kind="routine",
            name="R",
            spec={"rrule": "FREQ=WEEKLY;BYDAY=MO", "starts_on": "1970-01-05"},
        )
    assert (exc.value.field, exc.value.message) == ("starts_on", RANGE)
    edge = services.add_part(
        actor=manager,
        handover=handover,
        kind="routine",
        name="R",
        spec={"rrule": "FREQ=WEEKLY;BYDAY=MO", "starts_on": "1980-01-01"},
    )
    assert edge.spec["starts_on"] == "1980-01-01"
    with pytest.raises(Invalid) as exc:
        services.update_part(
            actor=manager,
            part=edge,
            expected_version=edge.version,
            spec={"rrule": "FREQ=DAILY", "starts_on": "2150-01-01"},
        )
    assert exc.value.field == "starts_on"
    assert HandoverPart.objects.get().spec["starts_on"] == "1980-01-01"


@pytest.mark.parametrize("repeat", ["daily", "custom"])
def test_the_page_refuses_a_start_in_the_year_9999_on_the_start_field(
    signed_in, handover, manager, repeat
):
    data = {
        "routine-name": "R",
        "routine-repeat": repeat,
        "routine-rrule": "FREQ=DAILY" if repeat == "custom" else "",
        "routine-interval": "1",
        "routine-starts_on": "9999-12-30",
        "routine-due_time": "09:00",
        "routine-effort_minutes": "30",
        "steps-TOTAL_FORMS": "0",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "40",
    }
    response = signed_in(manager).post(
        f"/closeout/handovers/{handover.pk}/parts/routine/", data, **HTMX
    )
    assert response.status_code == 422
    assert response.context["form"].errors == {"starts_on": [RANGE]}
    assert not HandoverPart.objects.exists()


def test_parse_rule_refuses_a_start_too_late_to_work_out():
    """``operations.recurrence`` raised OverflowError (a 500 on any page's custom rule)."""
    import datetime as dt

    from twofold.operations import recurrence

    with pytest.raises(ValueError, match="from a start date that late"):
        recurrence.parse_rule("FREQ=DAILY", dt.date(9999, 12, 30))
