"""Rules a page's form applied and the API did not: now each lives in the service both call
(a review posted the same values to both; these were accepted by the API only)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from twofold.core.errors import Invalid
from twofold.improvement import services as improvement
from twofold.operations import services
from twofold.operations.models import Evidence
from twofold.projects import services as projects
from twofold.projects.models import Phase, Project
from twofold.quality import services as quality
from twofold.risks import services as risks


@pytest.fixture
def archived(owner: Any, org: Any) -> Any:
    old = services.create_process(actor=owner, organisation=org, name="Old line")
    services.set_archived(actor=owner, obj=old, archived=True, expected_version=old.version)
    old.refresh_from_db()
    return old


def test_nothing_new_goes_on_an_archived_process(
    owner: Any, org: Any, archived: Any, calendar: Any
) -> None:
    refused = "Old line is archived: choose a live process."
    with pytest.raises(Invalid, match=refused):
        quality.raise_nonconformance(actor=owner, organisation=org, title="Leak", process=archived)
    with pytest.raises(Invalid, match=refused):
        improvement.create_item(
            actor=owner, organisation=org, title="Faster", problem="Slow.", process=archived
        )
    with pytest.raises(Invalid, match=refused):
        services.create_queue(
            actor=owner, organisation=org, name="Desk", calendar=calendar, process=archived
        )
    with pytest.raises(Invalid, match=refused):
        services.create_routine(actor=owner, process=archived, name="Check", rrule="FREQ=DAILY")


def test_a_record_already_on_a_process_archived_since_keeps_it(
    owner: Any, org: Any, process: Any
) -> None:
    nc = quality.raise_nonconformance(actor=owner, organisation=org, title="Leak", process=process)
    services.set_archived(actor=owner, obj=process, archived=True, expected_version=1)
    process.refresh_from_db()
    quality.update_nonconformance(
        actor=owner, nc=nc, expected_version=nc.version, title="Seal leak", process=process
    )
    nc.refresh_from_db()
    assert (nc.title, nc.process_id) == ("Seal leak", process.pk)


def test_limits_on_a_step_that_takes_no_number_are_refused(owner: Any, process: Any) -> None:
    with pytest.raises(Invalid, match="Step 1: limits need “a number within limits”"):
        services.create_routine(
            actor=owner,
            process=process,
            name="Guards",
            rrule="FREQ=DAILY",
            steps=[services.StepSpec("Guards work", Evidence.PASS_FAIL, 5, 10)],
        )


def test_more_decimal_places_than_kept_are_refused_not_rounded(
    owner: Any, org: Any, process: Any, kpi: Any
) -> None:
    with pytest.raises(Invalid, match="The amount has at most 2 decimal places"):
        services.add_spend(
            actor=owner,
            process=process,
            spent_on=dt.date.today(),
            amount="12.345",
            description="Seals",
        )
    with pytest.raises(Invalid, match="The budget has at most 2 decimal places"):
        services.update_process(
            actor=owner, process=process, expected_version=None, annual_budget="100.005"
        )
    assert services.add_spend(
        actor=owner, process=process, spent_on=dt.date.today(), amount="12.34", description="x"
    ).amount == Decimal("12.34")
    project = projects.create_project(
        actor=owner, organisation=org, name="Press", code="PR", target_start=dt.date(2026, 3, 2)
    )
    with pytest.raises(Invalid, match="at most one decimal place"):
        risks.create_risk(
            actor=owner, project=project, title="Late steel", impact_likely_days=Decimal("2.25")
        )
    with pytest.raises(Invalid, match=r"from 0\.01 to 1000 spreads"):
        services.update_kpi(actor=owner, kpi=kpi, expected_version=None, plausibility_spreads=0.005)


def test_capa_dates_and_record_texts_keep_the_apis_bounds(owner: Any, org: Any) -> None:
    nc = quality.raise_nonconformance(actor=owner, organisation=org, title="Leak")
    with pytest.raises(Invalid, match="1980") as refused:
        quality.add_action(
            actor=owner, nc=nc, description="Fit seals", owner=owner, due_on=dt.date(3000, 1, 1)
        )
    assert refused.value.field == "due_on"
    with pytest.raises(Invalid, match="At most 10,000 characters: this has 20,000"):
        quality.raise_nonconformance(
            actor=owner, organisation=org, title="Leak", description="x" * 20_000
        )


def test_a_lesson_becomes_a_risk_only_on_a_project_ahead_of_closure(owner: Any, org: Any) -> None:
    from twofold.closeout import services as closeout

    done = projects.create_project(
        actor=owner, organisation=org, name="Done", code="DN", target_start=dt.date(2026, 3, 2)
    )
    other = projects.create_project(
        actor=owner, organisation=org, name="Other", code="OT", target_start=dt.date(2026, 3, 2)
    )
    Project.objects.filter(pk__in=[done.pk, other.pk]).update(phase=Phase.CLOSURE)
    done.refresh_from_db()
    other.refresh_from_db()
    lesson = closeout.record_lesson(
        actor=owner, project=done, title="Order steel early", recommendation="Order early."
    )
    with pytest.raises(Invalid, match="still ahead of closure"):
        closeout.lesson_to_risk(
            actor=owner, lesson=lesson, expected_version=lesson.version, project=other
        )
