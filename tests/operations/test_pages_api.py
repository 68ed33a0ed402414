"""Operations pages and API: permissions on every route, bad input, conflicts, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.operations.conftest import due_by_today
from twofold.accounts.models import Role
from twofold.operations import services
from twofold.operations.models import Evidence, Measurement, Occurrence, OccurrenceStatus, Request


@pytest.fixture
def objects(process, kpi, queue, routine, owner):
    req = services.create_request(actor=owner, queue=queue, title="Printer offline")
    occ = due_by_today(Occurrence.objects.filter(routine=routine)).order_by("due").last()
    return {
        "process": f"/operations/processes/{process.pk}/",
        "kpi": f"/operations/kpis/{kpi.pk}/",
        "queue": f"/operations/queues/{queue.pk}/",
        "request": f"/operations/requests/{req.pk}/",
        "routine": f"/operations/routines/{routine.pk}/",
        "occurrence": f"/operations/occurrences/{occ.pk}/",
    }


def test_every_page_renders_for_a_member_and_404s_for_an_outsider(client, objects, owner, outsider):
    client.force_login(owner)
    for url in [
        *objects.values(),
        "/operations/",
        "/operations/flow/",
        "/operations/flow/?source=occurrences&by=bad&items=x",
    ]:
        assert client.get(url).status_code == 200, url
    client.force_login(outsider)
    for url in objects.values():
        assert client.get(url).status_code == 404, url
        assert client.post(url, {}).status_code == 404, url


def test_guest_sees_but_cannot_write(client, org, objects, member):
    guest = member(org, Role.GUEST)
    client.force_login(guest)
    assert "Raise a request" not in client.get(objects["queue"]).content.decode()
    r = client.post(objects["queue"], {"title": "x", "priority": "p3"})
    assert r.status_code == 403 and Request.objects.count() == 1
    r = client.post(
        objects["kpi"], {"action": "measure", "measured_on": "2025-01-01", "value": "1"}
    )
    assert r.status_code == 403 and Measurement.objects.count() == 0


def test_csv_upload_page_lists_row_errors(client, objects, owner):
    client.force_login(owner)
    upload = SimpleUploadedFile("m.csv", b"date,value\n2025-01-03,<script>\n2025-13-01,2\n")
    r = client.post(objects["kpi"], {"action": "csv", "file": upload})
    body = r.content.decode()
    assert r.status_code == 422
    assert "Line 2 (value): “&lt;script&gt;” is not a number." in body
    assert "Line 3 (date): “2025-13-01” is not a date like 2025-03-31." in body
    assert Measurement.objects.count() == 0


def test_request_pause_and_resume_through_the_page(client, objects, owner):
    client.force_login(owner)
    req = Request.objects.get()
    r = client.post(objects["request"], {"status": "waiting", "version": req.version})
    assert r.status_code == 302
    assert "SLA clock paused" in client.get(objects["request"]).content.decode()
    stale = client.post(objects["request"], {"status": "in_progress", "version": req.version})
    assert stale.status_code == 409
    ok = client.post(objects["request"], {"status": "in_progress", "version": req.version + 1})
    assert ok.status_code == 302
    assert "SLA clock paused" not in client.get(objects["request"]).content.decode()


def test_occurrence_page_records_out_of_limit_number_with_a_nonconformance(
    client, objects, owner, routine
):
    client.force_login(owner)
    occ = due_by_today(Occurrence.objects.filter(routine=routine)).order_by("due").last()
    steps = list(routine.steps.all())
    data = {
        "version": occ.version,
        f"step_{steps[0].pk}": "twelve",
        f"step_{steps[1].pk}": "pass",
        f"step_{steps[2].pk}": "fine",
    }
    r = client.post(objects["occurrence"], data)
    assert r.status_code == 422
    assert "“Coolant concentration”: &#x27;twelve&#x27; is not a number." in r.content.decode()
    data[f"step_{steps[0].pk}"] = "12"
    r = client.post(objects["occurrence"], data, follow=True)
    occ.refresh_from_db()
    assert occ.status == OccurrenceStatus.DONE and occ.nonconforming
    page = r.content.decode()
    assert "completed with a nonconformance" in page
    assert 'badge-green">on time' not in page


def test_list_pages_have_constant_query_counts(
    client, org, owner, process, queue, kpi, routine, django_assert_max_num_queries
):
    client.force_login(owner)

    def add(n: int, start: int) -> None:
        for i in range(n):
            p = services.create_process(
                actor=owner, organisation=org, name=f"P{start + i}", annual_budget=10
            )
            k = services.create_kpi(actor=owner, process=p, name="K", target=1, red_threshold=0)
            services.add_measurements(
                actor=owner, kpi=k, rows=[(1, "2025-01-01", 1, ""), (2, "2025-01-08", 2, "")]
            )
            services.create_request(actor=owner, queue=queue, title=f"R{start + i}")

    add(2, 0)
    counts = {}
    for url in [
        "/operations/",
        f"/operations/queues/{queue.pk}/",
        f"/operations/queues/{queue.pk}/?view=list",
        f"/operations/processes/{process.pk}/",
    ]:
        with django_assert_max_num_queries(40) as small:
            client.get(url)
        counts[url] = len(small.captured_queries)
    add(6, 10)
    for url, n in counts.items():
        with django_assert_max_num_queries(n):
            assert client.get(url).status_code == 200


def test_api_measurements_requests_and_occurrences(
    api, org, owner, outsider, member, kpi, queue, routine
):
    client = api(owner)
    r = client.post(
        f"/api/kpis/{kpi.pk}/measurements",
        {
            "measurements": [
                {"measured_on": "2025-01-03", "value": 2.1},
                {"measured_on": "2025-01-10", "value": 2},
            ]
        },
    )
    assert r.status_code == 201 and [m["value"] for m in r.json()] == [2.1, 2.0]
    r = client.post(
        f"/api/kpis/{kpi.pk}/measurements",
        {
            "measurements": [
                {"measured_on": "2025-01-17", "value": 2},
                {"measured_on": "2025-01-03", "value": 1},
            ]
        },
    )
    assert r.status_code == 422
    existing = Measurement.objects.get(measured_on="2025-01-03")
    assert r.json()["errors"] == [
        {
            "row": 2,
            "field": "date",
            "message": "Scrap rate already has a value for 2025-01-03 (2.1): correct that value "
            "instead.",
            "measurement_id": existing.pk,
        }
    ]
    assert Measurement.objects.count() == 2
    r = client.post(
        f"/api/kpis/{kpi.pk}/measurements",
        {"measurements": [{"measured_on": "2025-01-17", "value": "2"}]},
    )
    assert r.status_code == 422 and r.json()["field"].startswith("measurements.0.value")
    created = client.post(f"/api/queues/{queue.pk}/requests", {"title": "VPN", "priority": "p1"})
    assert created.status_code == 201 and created.json()["sla_state"] == "on_track"
    rid, version = created.json()["id"], created.json()["version"]
    moved = client.post(f"/api/requests/{rid}/status", {"status": "waiting", "version": version})
    assert moved.status_code == 200 and moved.json()["sla_paused"] is True
    assert (
        client.post(
            f"/api/requests/{rid}/status", {"status": "in_progress", "version": version}
        ).status_code
        == 409
    )
    occ = due_by_today(Occurrence.objects.filter(routine=routine)).order_by("due").last()
    steps = list(routine.steps.all())
    evidence = [
        {"step_id": steps[0].pk, "number": 10},
        {"step_id": steps[1].pk, "passed": True},
        {"step_id": steps[2].pk, "note": "ok"},
    ]
    r = client.post(
        f"/api/occurrences/{occ.pk}/complete", {"version": occ.version, "evidence": evidence}
    )
    # A reading outside 6–9 % is recorded as read and opens a nonconformance.
    assert r.status_code == 200
    assert r.json()["status"] == "done" and r.json()["nonconforming"] is True
    spy = api(outsider)
    for path in [
        f"/api/kpis/{kpi.pk}",
        f"/api/kpis/{kpi.pk}/measurements",
        f"/api/queues/{queue.pk}/requests",
        f"/api/requests/{rid}",
        f"/api/routines/{routine.pk}/occurrences",
        f"/api/organisations/{org.pk}/processes",
    ]:
        assert spy.get(path).status_code == 404, path
    assert spy.post(f"/api/queues/{queue.pk}/requests", {"title": "x"}).status_code == 404
    guest = api(member(org, Role.GUEST))
    assert guest.post(f"/api/queues/{queue.pk}/requests", {"title": "x"}).status_code == 403
    assert (
        guest.post(
            f"/api/kpis/{kpi.pk}/measurements",
            {"measurements": [{"measured_on": "2025-02-01", "value": 1}]},
        ).status_code
        == 403
    )


def test_api_lists_have_constant_query_counts(
    api, org, owner, queue, django_assert_max_num_queries
):
    client = api(owner)
    paths = [
        f"/api/organisations/{org.pk}/processes",
        f"/api/organisations/{org.pk}/kpis",
        f"/api/queues/{queue.pk}/requests",
        f"/api/organisations/{org.pk}/routines",
    ]

    def add(n: int, start: int) -> None:
        for i in range(n):
            p = services.create_process(actor=owner, organisation=org, name=f"P{start + i}")
            services.create_kpi(actor=owner, process=p, name="K", target=1, red_threshold=0)
            services.create_routine(
                actor=owner, process=p, name="R", rrule="FREQ=WEEKLY", starts_on=dt.date(2025, 1, 1)
            )
            services.create_request(actor=owner, queue=queue, title="x")

    add(2, 0)
    counts = {}
    for path in paths:
        with django_assert_max_num_queries(30) as small:
            assert client.get(path).status_code == 200
        counts[path] = len(small.captured_queries)
    add(5, 10)
    for path, n in counts.items():
        with django_assert_max_num_queries(n):
            client.get(path)


def test_the_process_page_shows_each_kpi_from_its_stored_rollup(
    client, owner, process, kpi, django_assert_num_queries
):
    """The process page's KPI table reads no measurements: latest value, status and state come
    from the rollup every write refreshes, and say what the KPI's own chart says."""
    from twofold.operations import selectors

    weeks = [dt.date(2025, 1, 6) + dt.timedelta(weeks=i) for i in range(12)]
    values = [2.1, 1.9, 2.0, 2.2, 1.8, 2.0, 2.1, 1.9, 2.0, 4.9, 2.0, 2.6]  # one far out, late
    services.add_measurements(
        actor=owner,
        kpi=kpi,
        rows=[(i + 1, d, v, "") for i, (d, v) in enumerate(zip(weeks, values, strict=True))],
        confirmed=True,
    )
    services.create_kpi(actor=owner, process=process, name="OEE", target=80, red_threshold=60)
    kpis = list(selectors.kpis_of(process.organisation).filter(process=process))
    with django_assert_num_queries(0):
        summaries = selectors.kpi_summaries(kpis)
    views = selectors.kpi_views(kpis)
    assert [(s.kpi.name, s.latest, s.status, s.state) for s in summaries] == [
        (v.kpi.name, v.latest, v.status, v.state) for v in views
    ]
    assert [(s.latest, s.state, s.status_label) for s in summaries] == [
        (None, "no data", ""),  # OEE
        (2.6, "signal", "At risk"),
    ]
    client.force_login(owner)
    page = client.get(f"/operations/processes/{process.pk}/").content.decode()
    assert "<td>2.60 %</td>" in page and 'badge-amber">At risk<' in page
    assert 'badge-red">Unusual change<' in page and 'badge-">No data yet<' in page


def test_the_request_page_reads_in_constant_queries(client, org, owner, member, queue):
    """The request, its queue, and its events with their actors in three compiled reads; the
    assignee select from the organisation's people kept per process (no User built per
    option); more members, events and requests add no query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    req = services.create_request(actor=owner, queue=queue, title="Coolant leak")
    client.force_login(owner)
    page = f"/operations/requests/{req.pk}/"
    client.get(page)
    with CaptureQueriesContext(connection) as small:
        html = client.get(page).content.decode()
    assert '<option value="" selected>Unassigned</option>' in html
    assert f'<option value="{owner.pk}">Olivia Owner</option>' in html
    for i in range(4):
        member(org, Role.MEMBER, full_name=f"Member {i}")
    guest = member(org, Role.GUEST, full_name="Gina Guest")
    services.create_request(actor=owner, queue=queue, title="Another")
    client.get(page)  # new members: the people are read again, once
    with CaptureQueriesContext(connection) as large:
        html = client.get(page).content.decode()
    assert len(large.captured_queries) == len(small.captured_queries) == 9
    assert "Member 3</option>" in html and f'value="{guest.pk}"' not in html  # guests look on


def test_the_process_pages_routine_counts_are_with_on_times(owner, process, routine):
    """``add_on_time`` (one grouped read per process) counts what ``with_on_time`` counts: on
    time, late and missed in the last 90 days, and open occurrences already due."""
    from django.utils import timezone

    from twofold.operations import selectors
    from twofold.operations.models import Routine

    now = timezone.now()
    Occurrence.objects.filter(routine=routine).delete()
    day = dt.timedelta(days=1)
    rows = [
        (now - 2 * day, OccurrenceStatus.DONE, now - 3 * day),  # on time
        (now - 3 * day, OccurrenceStatus.DONE, now - 3 * day),  # on time, to the microsecond
        (now - 4 * day, OccurrenceStatus.DONE, now - 1 * day),  # late
        (now - 5 * day, OccurrenceStatus.MISSED, None),
        (now - 6 * day, OccurrenceStatus.OPEN, None),  # overdue
        (now - 200 * day, OccurrenceStatus.OPEN, None),  # overdue, however old
        (now - 100 * day, OccurrenceStatus.DONE, now - 100 * day),  # outside the window
        (now + 1 * day, OccurrenceStatus.OPEN, None),  # not due yet
    ]
    for due, status, completed in rows:
        Occurrence.objects.create(
            organisation=routine.organisation,
            routine=routine,
            due=due,
            status=status,
            completed_at=completed,
        )
    other = services.create_routine(
        actor=owner, process=process, name="Weekly audit", rrule="FREQ=WEEKLY",
        starts_on=dt.date.today() + dt.timedelta(days=30), due_time=dt.time(9),
        steps=[services.StepSpec("Walk the line", Evidence.PASS_FAIL)],
    )  # fmt: skip
    expected = [
        (r.pk, r.on_time_count, r.late_count, r.missed_count, r.overdue_count)
        for r in selectors.with_on_time(Routine.objects.filter(process=process), now)
    ]
    listed = list(Routine.objects.filter(process=process))
    selectors.add_on_time(listed, process.pk, now)
    found = [(r.pk, r.on_time_count, r.late_count, r.missed_count, r.overdue_count) for r in listed]
    assert found == expected
    assert sorted(found) == sorted([(routine.pk, 2, 1, 1, 2), (other.pk, 0, 0, 0, 0)])
    assert [round(r.on_time_rate or 0, 2) for r in listed if r.pk == routine.pk] == [0.5]


def test_the_process_page_reads_its_parts_in_compiled_reads(
    client, owner, process, kpi, routine, queue, django_assert_num_queries
):
    """The process, its KPIs, routines with their counts, queues with their open requests, the
    year's spend, archived children and history: one compiled read each (sent in one round trip
    on PostgreSQL), the same whatever the number of each."""
    from twofold.operations.models import SpendEntry

    services.create_request(actor=owner, queue=queue, title="Leak")
    services.add_spend(
        actor=owner, process=process, spent_on=dt.date.today(), amount=120, description="Gloves"
    )
    client.force_login(owner)
    page = f"/operations/processes/{process.pk}/"
    client.get(page)
    # 14, + 3: the costs app's hooks (the cost stamps and the year's expenses, the year's
    # budget).
    with django_assert_num_queries(17):
        html = client.get(page).content.decode()
    assert "Gloves" in html and "1 open" in html and kpi.name in html and routine.name in html
    assert SpendEntry.objects.filter(process=process).count() == 1
    services.create_kpi(actor=owner, process=process, name="OEE", target=80, red_threshold=60)
    services.create_request(actor=owner, queue=queue, title="Noise")
    with django_assert_num_queries(17):
        html = client.get(page).content.decode()
    assert "2 open" in html and "OEE" in html


def test_the_detail_pages_read_the_other_apps_panels_ahead(
    client, owner, process, kpi, routine, queue
):
    """The panels drawn by apps operations does not import (comments, a handover's origin note,
    a queue's hypercare, the live counter, the currency) register their reads in
    ``core.readahead``; each page sends them with its own. On PostgreSQL only the session and
    the membership then go through the cursor (the request page also reads its queue's
    hypercare, which needs the request first); on SQLite nothing is read ahead."""
    from django.db import connection

    req = services.create_request(actor=owner, queue=queue, title="Leak")
    client.force_login(owner)
    pages = {
        # The costs app's hooks (the process's cost stamp, the fiscal year's approved
        # expenses, its budget) are read ahead too since 2026-12-06 (3 more statements before).
        f"/operations/processes/{process.pk}/": 2,
        f"/operations/kpis/{kpi.pk}/": 2,
        f"/operations/queues/{queue.pk}/": 2,
        f"/operations/routines/{routine.pk}/": 2,
        f"/operations/requests/{req.pk}/": 3,
    }
    for page, expected in pages.items():
        client.get(page)
        through_cursor: list[str] = []

        def count(execute, sql, params, many, context, seen=through_cursor):
            seen.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(page)
        assert response.status_code == 200
        if connection.vendor == "postgresql":
            assert len(through_cursor) == expected, (page, through_cursor)
        else:
            assert len(through_cursor) > expected


@pytest.mark.parametrize(
    ("direction", "value", "label"),
    [
        ("up", 95.0, "On target"),
        ("up", 93.0, "Within tolerance"),  # green: short of 95 but above the amber 92
        ("up", 91.0, "At risk"),
        ("down", 2.0, "On target"),
        ("down", 2.5, "Within tolerance"),
        ("down", 3.5, "At risk"),
    ],
)
def test_a_green_value_short_of_the_target_reads_within_tolerance(
    process, owner, direction, value, label
):
    up = direction == "up"
    kpi = services.create_kpi(
        actor=owner,
        process=process,
        name="On-time delivery" if up else "Scrap",
        target=95 if up else 2,
        amber_threshold=92 if up else 3,
        red_threshold=88 if up else 5,
        good_direction=direction,
    )
    services.add_measurement(actor=owner, kpi=kpi, measured_on=dt.date(2026, 11, 2), value=value)
    kpi.refresh_from_db()
    from twofold.operations import selectors

    assert selectors.kpi_summaries([kpi])[0].status_label == label
    assert selectors.kpi_views([kpi])[0].status_label == label
