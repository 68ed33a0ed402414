"""Operations services: measurements and CSV, SLA events, routines and the worker."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.operations.conftest import due_by_today
from twofold.accounts.models import Role
from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound
from twofold.core.models import HistoryEntry
from twofold.operations import selectors, services
from twofold.operations.models import Measurement, Occurrence, OccurrenceStatus, RequestEvent


def test_kpi_thresholds_must_match_direction(process, owner):
    with pytest.raises(Invalid, match="at or above the target") as exc:
        services.create_kpi(
            actor=owner,
            process=process,
            name="Scrap",
            good_direction="down",
            target=2,
            red_threshold=1,
        )
    assert exc.value.field == "red_threshold"


def test_csv_with_bad_rows_saves_nothing_and_reports_each_row(kpi, owner):
    data = b"date,value,note\n2025-01-03,2.1,\nnot-a-date,2.0,\n2025-01-17,abc,\n2025-01-03,2.2,\n"
    with pytest.raises(services.MeasurementsInvalid) as exc:
        services.import_measurements_csv(actor=owner, kpi=kpi, data=data)
    assert [(e.row, e.field) for e in exc.value.errors] == [(3, "date"), (4, "value"), (5, "date")]
    assert exc.value.errors[2].message == "2025-01-03 appears twice (also row 2)."
    assert Measurement.objects.count() == 0
    saved = services.import_measurements_csv(
        actor=owner, kpi=kpi, data=b'\xef\xbb\xbfdate,value\n2025-01-03,2.1\n2025-01-10,"1,900"\n'
    )
    assert [(m.measured_on, m.value) for m in saved] == [
        (dt.date(2025, 1, 3), 2.1),
        (dt.date(2025, 1, 10), 1900.0),
    ]
    with pytest.raises(services.MeasurementsInvalid, match="already has a value for 2025-01-03"):
        services.add_measurements(actor=owner, kpi=kpi, rows=[(1, "2025-01-03", 1, "")])
    with pytest.raises(Invalid, match="already has a value for 2025-01-03") as single:
        services.add_measurement(actor=owner, kpi=kpi, measured_on=dt.date(2025, 1, 3), value=1)
    assert single.value.field == "date"


def test_kpi_view_finds_a_shift_and_baseline_recomputes_limits(kpi, owner):
    values = [2.0, 2.2, 1.9, 2.1, 2.0, 1.8, 2.2, 2.0, 2.1, 1.9] + [2.8] * 3 + [2.9, 2.7] * 3
    rows = [(i, dt.date(2025, 1, 1) + dt.timedelta(weeks=i), v, "") for i, v in enumerate(values)]
    services.add_measurements(actor=owner, kpi=kpi, rows=rows)
    view = selectors.kpi_views([kpi])[0]
    assert view.state == "signal" and view.status_badge == "amber"
    assert {s.rule for s in view.signals} >= {"run_of_eight"}
    services.update_kpi(
        actor=owner,
        kpi=kpi,
        expected_version=kpi.version,
        baseline_start=dt.date(2025, 1, 1),
        baseline_end=dt.date(2025, 1, 1) + dt.timedelta(weeks=9),
    )
    view = selectors.kpi_views([kpi])[0]
    assert view.chart is not None
    assert view.chart.centre_line == pytest.approx(2.02)
    assert view.baseline_dates == (dt.date(2025, 1, 1), dt.date(2025, 3, 5))
    assert any(s.rule == "beyond_limits" for s in view.signals)
    with pytest.raises(Conflict):
        services.update_kpi(actor=owner, kpi=kpi, expected_version=1, target=2.5)


def test_request_status_events_pause_the_clock(queue, owner):
    t0 = timezone.now() - dt.timedelta(hours=2)
    req = services.create_request(actor=owner, queue=queue, title="VPN down", priority="p2", at=t0)
    services.change_request_status(
        actor=owner,
        request=req,
        status="waiting",
        expected_version=req.version,
        at=t0 + dt.timedelta(minutes=10),
    )
    assert req.first_response_at == t0 + dt.timedelta(minutes=10)
    view = selectors.request_view(selectors.get_request(owner, req.pk))
    assert view.paused and view.resolution.due_at is None
    with pytest.raises(Conflict):
        services.change_request_status(
            actor=owner, request=req, status="in_progress", expected_version=1
        )
    with pytest.raises(Invalid, match="cannot move to closed"):
        services.change_request_status(
            actor=owner, request=req, status="closed", expected_version=req.version
        )
    services.change_request_status(
        actor=owner, request=req, status="resolved", expected_version=req.version
    )
    assert req.resolved_at is not None
    assert list(RequestEvent.objects.filter(request=req).values_list("to_status", flat=True)) == [
        "new",
        "waiting",
        "resolved",
    ]


def test_guest_and_outsider_cannot_write(org, queue, kpi, member, outsider):
    guest = member(org, Role.GUEST)
    with pytest.raises(Forbidden):
        services.create_request(actor=guest, queue=queue, title="x")
    with pytest.raises(NotFound):
        services.create_request(actor=outsider, queue=queue, title="x")
    with pytest.raises(NotFound):
        services.add_measurement(actor=outsider, kpi=kpi, measured_on=dt.date(2025, 1, 1), value=1)
    with pytest.raises(NotFound):
        selectors.get_kpi(outsider, kpi.pk)


def test_worker_is_idempotent_and_marks_missed(routine):
    first = Occurrence.objects.filter(routine=routine).count()
    assert first == 32  # yesterday, today and 30 days ahead
    call_command("worker", "--once")
    call_command("worker", "--once")
    assert Occurrence.objects.filter(routine=routine).count() == first
    missed = Occurrence.objects.filter(routine=routine, status=OccurrenceStatus.MISSED).count()
    assert (
        missed
        == Occurrence.objects.filter(
            routine=routine, due__lt=timezone.now() - dt.timedelta(days=1)
        ).count()
    )


def test_complete_occurrence_validates_evidence(routine, owner):
    occ = due_by_today(Occurrence.objects.filter(routine=routine)).order_by("due").last()
    steps = selectors.steps_of(routine.pk)
    bad = {
        steps[0].pk: services.StepInput(number="twelve"),
        steps[1].pk: services.StepInput(passed=True),
        steps[2].pk: services.StepInput(note="ok"),
    }
    with pytest.raises(Invalid, match="'twelve' is not a number") as exc:
        services.complete_occurrence(
            actor=owner, occurrence=occ, evidence=bad, expected_version=occ.version
        )
    assert exc.value.field == f"step_{steps[0].pk}"
    occ.refresh_from_db()
    assert occ.status == OccurrenceStatus.OPEN
    good = {**bad, steps[0].pk: services.StepInput(number="7.5")}
    services.complete_occurrence(
        actor=owner, occurrence=occ, evidence=good, expected_version=occ.version
    )
    occ.refresh_from_db()
    assert occ.status == OccurrenceStatus.DONE and not occ.late and not occ.nonconforming
    assert [e.number for e in selectors.evidence_of(occ)] == [7.5, None, None]
    assert HistoryEntry.objects.filter(action="completed").get().summary == "Completed on time"


def test_a_process_and_a_kpi_are_read_as_the_orm_reads_them(
    org, owner, process, kpi, member, outsider, django_assert_num_queries
):
    """``get_process`` and ``get_kpi`` in one compiled read each: the ORM's fields and joined
    objects for any member (a guest too); another organisation's, an unknown or a trashed one
    is not found."""
    from django.forms.models import model_to_dict

    from twofold.core import trash
    from twofold.operations.models import Kpi, Process

    guest = member(org, Role.GUEST)
    for user in (owner, guest):
        with django_assert_num_queries(1):
            found = selectors.get_process(user, process.pk)
            assert found.organisation.name == org.name
        expected = Process.objects.select_related("owner", "team", "organisation").get(
            pk=process.pk
        )
        assert model_to_dict(found) == model_to_dict(expected)
        assert (found.owner, found.team) == (expected.owner, expected.team)
        with django_assert_num_queries(1):
            got = selectors.get_kpi(user, kpi.pk)
            assert (got.process.name, got.organisation.slug) == (process.name, org.slug)
        assert model_to_dict(got) == model_to_dict(Kpi.objects.get(pk=kpi.pk))
    for user, pk in ((outsider, process.pk), (owner, process.pk + 1000)):
        with pytest.raises(NotFound, match="Process not found"):
            selectors.get_process(user, pk)
    trash.move_to_trash(actor=owner, obj=process)
    with pytest.raises(NotFound):
        selectors.get_process(owner, process.pk)
    with pytest.raises(NotFound, match="KPI not found"):
        selectors.get_kpi(owner, kpi.pk)  # trashed with its process


def test_a_reopened_request_resumes_its_clock_where_it_stopped(queue, owner):
    """The weeks a request spent resolved do not count against it once reopened (until
    2026-12-05 a request resolved in an hour and reopened two weeks later read 4,801 minutes,
    breached)."""
    from twofold.operations.models import Request

    t0 = dt.datetime(2025, 6, 2, 8, 0, tzinfo=dt.UTC)  # Monday 09:00 in London
    req = services.create_request(actor=owner, queue=queue, title="Printer jams", at=t0)
    for status, at in (
        ("in_progress", t0 + dt.timedelta(minutes=30)),
        ("resolved", t0 + dt.timedelta(hours=1)),
        ("in_progress", dt.datetime(2025, 6, 16, 8, 0, tzinfo=dt.UTC)),  # reopened 2 weeks on
    ):
        req = services.change_request_status(
            actor=owner, request=req, status=status, expected_version=req.version, at=at
        )
    later = dt.datetime(2025, 6, 16, 8, 20, tzinfo=dt.UTC)
    view = selectors.request_view(Request.objects.get(pk=req.pk), later)
    assert view.resolution.elapsed_minutes == 80.0  # 60 before it was resolved + 20 since
    assert view.resolution.state.value == "on_track"
    req = services.change_request_status(
        actor=owner, request=req, status="resolved", expected_version=req.version, at=later
    )
    assert Request.objects.get(pk=req.pk).resolution_met is True


def test_sla_clocks_count_real_time_across_the_clock_changes(org, owner, process):
    """A 24/7 desk in London: a request raised 23:00 before the clocks go forward has run 3
    real hours at 03:00 (the wall clock shows 4); before they go back, 5 (it shows 4). Until
    2026-12-05 the clocks counted the wall clock (240 minutes both times), and a day could not
    end at 24:00 (a desk open round the clock was 00:00-23:59, a minute short each night)."""
    from twofold.calendars import services as calendar_services
    from twofold.operations.models import Request

    every_hour = {day: [["00:00", "24:00"]] for day in range(7)}
    desk = calendar_services.create_calendar(
        actor=owner, organisation=org, name="24/7", hours=every_hour
    )
    queue = services.create_queue(
        actor=owner, organisation=org, name="Night desk", calendar=desk, process=process
    )
    for raised, later, real in (
        # 30 Mar 2025: 01:00 GMT becomes 02:00 BST; 26 Oct 2025: 02:00 BST becomes 01:00 GMT.
        (
            dt.datetime(2025, 3, 29, 23, 0, tzinfo=dt.UTC),
            dt.datetime(2025, 3, 30, 2, 0, tzinfo=dt.UTC),
            180.0,
        ),
        (
            dt.datetime(2025, 10, 25, 22, 0, tzinfo=dt.UTC),
            dt.datetime(2025, 10, 26, 3, 0, tzinfo=dt.UTC),
            300.0,
        ),
    ):
        req = services.create_request(actor=owner, queue=queue, title="Badge", at=raised)
        view = selectors.request_view(Request.objects.get(pk=req.pk), later)
        assert view.resolution.elapsed_minutes == real
    # A request waiting across the change: the pause takes the real hour out, not the wall's.
    raised = dt.datetime(2025, 3, 29, 23, 0, tzinfo=dt.UTC)
    req = services.create_request(actor=owner, queue=queue, title="Waiting", at=raised)
    services.change_request_status(
        actor=owner,
        request=req,
        status="waiting",
        expected_version=req.version,
        at=raised + dt.timedelta(minutes=30),
    )
    view = selectors.request_view(Request.objects.get(pk=req.pk), raised + dt.timedelta(hours=3))
    assert view.resolution.elapsed_minutes == 30.0


def test_an_occurrence_is_completed_within_its_own_period(owner, routine) -> None:
    """One due in a month could be completed today and counted as on time: it waits until the
    occurrence before it has fallen due."""
    import zoneinfo

    from twofold.core.errors import Invalid

    zone = zoneinfo.ZoneInfo(routine.organisation.timezone)
    ahead = Occurrence.objects.filter(routine=routine).order_by("due").last()
    assert ahead is not None
    day = timezone.localtime(ahead.due, zone).date()
    early = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), tzinfo=zone)
    with pytest.raises(Invalid) as caught:
        services.complete_occurrence(
            actor=owner, occurrence=ahead, evidence={}, expected_version=ahead.version, at=early
        )
    assert caught.value.field == "status" and "complete the one before it first" in str(
        caught.value.message
    )
    ahead.refresh_from_db()
    assert ahead.status == "open"
