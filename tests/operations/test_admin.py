"""Admin forms and API for calendars, queues and routines: services, permissions, conflicts."""

from __future__ import annotations

import datetime as dt

import pytest

from twofold.accounts.models import Role
from twofold.operations import services
from twofold.operations.calendars import local
from twofold.operations.forms import picker_from_rule
from twofold.operations.models import (
    BusinessCalendar,
    Occurrence,
    OccurrenceStatus,
    Queue,
    Routine,
    RoutineStep,
)

WEEK = {f"day_{d}": ("08:00-12:00, 13:00–17:00" if d < 5 else "") for d in range(7)}


def _routine_post(process, **extra):
    data = {
        "name": "Check the compressor",
        "process": process.pk,
        "repeat": "weekly",
        "weekdays": ["MO", "TH"],
        "starts_on": "2025-01-06",
        "due_time": "10:00",
        "shift": "none",
        "effort_minutes": "20",
        "active": "on",
        "steps-TOTAL_FORMS": "2",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "40",
        "steps-0-text": "Pressure",
        "steps-0-evidence": "number",
        "steps-0-min_value": "6",
        "steps-0-max_value": "8",
        "steps-0-unit": "bar",
        "steps-1-text": "",
        "steps-1-evidence": "none",
    }
    data.update(extra)
    return data


def test_queue_page_creates_and_edits_sla_targets(client, org, owner, calendar, process):
    client.force_login(owner)
    form = client.get("/operations/queues/new/")
    assert form.status_code == 200
    data = {"name": "Facilities", "calendar": calendar.pk, "process": process.pk}
    for p, (a, b) in {"p1": (1, 4), "p2": (2, 8), "p3": (4, 24), "p4": (8, 40)}.items():
        data[f"{p}_response"], data[f"{p}_resolution"] = a, b
    assert client.post("/operations/queues/new/", data).status_code == 302
    queue = Queue.objects.get(name="Facilities")
    assert queue.sla_hours["p3"] == {"response": 4.0, "resolution": 24.0}
    bad = client.post(
        f"/operations/queues/{queue.pk}/edit/",
        {**data, "version": 1, "p2_resolution": "1"},
    )
    assert bad.status_code == 400
    assert "Resolution cannot be shorter than the first response." in bad.content.decode()
    ok = client.post(
        f"/operations/queues/{queue.pk}/edit/", {**data, "version": 1, "p1_response": "0.5"}
    )
    assert ok.status_code == 302
    queue.refresh_from_db()
    assert queue.sla_hours["p1"]["response"] == 0.5 and queue.version == 2
    stale = client.post(f"/operations/queues/{queue.pk}/edit/", {**data, "version": 1})
    assert stale.status_code == 409


def test_routine_page_picker_and_raw_rule(client, org, owner, process, calendar):
    client.force_login(owner)
    r = client.post("/operations/routines/new/", _routine_post(process))
    assert r.status_code == 302
    routine = Routine.objects.get(name="Check the compressor")
    assert routine.rrule == "FREQ=WEEKLY;BYDAY=MO,TH"
    steps = list(routine.steps.all())
    assert [(s.text, s.evidence, s.min_value, s.max_value, s.unit) for s in steps] == [
        ("Pressure", "number", 6.0, 8.0, "bar")
    ]
    bad = client.post(
        "/operations/routines/new/",
        _routine_post(process, name="Bad", repeat="custom", rrule="FREQ=SOMETIMES"),
    )
    assert bad.status_code == 400
    assert "Not a valid recurrence rule" in bad.content.decode()
    assert not Routine.objects.filter(name="Bad").exists()
    empty = client.post("/operations/routines/new/", _routine_post(process, weekdays=[]))
    assert "Choose at least one day." in empty.content.decode()
    last = client.post(
        "/operations/routines/new/",
        _routine_post(process, name="Close", repeat="monthly_last", calendar=calendar.pk),
    )
    assert last.status_code == 302
    close = Routine.objects.get(name="Close")
    assert (close.rrule, close.shift) == ("FREQ=MONTHLY;BYMONTHDAY=-1", "previous")
    page = client.get(f"/operations/routines/{close.pk}/edit/").content.decode()
    assert 'value="monthly_last" class="ops-repeat" required id="id_repeat_4" checked' in page


def test_picker_reads_stored_rules_back():
    assert picker_from_rule("FREQ=DAILY", "none") == {"repeat": "daily", "interval": 1}
    assert picker_from_rule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "none") == {"repeat": "workdays"}
    assert picker_from_rule("FREQ=WEEKLY;BYDAY=TU", "next") == {
        "repeat": "weekly",
        "weekdays": ["TU"],
        "interval": 1,
    }
    assert picker_from_rule("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "none") == {
        "repeat": "weekly",
        "weekdays": ["FR"],
        "interval": 2,
    }
    assert picker_from_rule("FREQ=MONTHLY;BYMONTHDAY=15", "none") == {
        "repeat": "monthly_day",
        "month_day": 15,
        "interval": 1,
    }
    assert picker_from_rule("FREQ=MONTHLY;BYMONTHDAY=-1", "previous") == {"repeat": "monthly_last"}
    assert picker_from_rule("FREQ=MONTHLY;BYMONTHDAY=-1", "none")["repeat"] == "custom"
    assert picker_from_rule("FREQ=MONTHLY;BYDAY=+2TU", "none") == {
        "repeat": "monthly_nth",
        "nth": "2",
        "nth_day": "TU",
        "interval": 1,
    }
    assert picker_from_rule("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1", "none") == {
        "repeat": "custom",
        "rrule": "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1",
    }


def test_editing_steps_retires_steps_with_evidence_and_reschedules(
    routine, owner, django_capture_on_commit_callbacks
):
    done = Occurrence.objects.filter(routine=routine).order_by("due").first()
    steps = list(routine.steps.all())
    services.complete_occurrence(
        actor=owner,
        occurrence=done,
        evidence={
            steps[0].pk: services.StepInput(number=7),
            steps[1].pk: services.StepInput(passed=True),
            steps[2].pk: services.StepInput(note="ok"),
        },
        expected_version=done.version,
    )
    future_before = Occurrence.objects.filter(routine=routine, due__gt=dt.datetime.now(dt.UTC))
    assert future_before.count() > 20
    with django_capture_on_commit_callbacks(execute=True):
        services.update_routine(
            actor=owner,
            routine=routine,
            expected_version=routine.version,
            rrule="FREQ=WEEKLY;BYDAY=MO",
            steps=[
                services.StepSpec("Coolant %", "number", 5, 10, "%", id=steps[0].pk),
                services.StepSpec("Lights work", "pass_fail"),
            ],
        )
    # The first step had a reading: changed in what it asks, it is retired and replaced, so
    # the reading of 7 keeps the limits it was taken against (6-9 "Coolant concentration").
    old = RoutineStep.objects.get(pk=steps[0].pk)
    assert (old.text, old.min_value, old.max_value, old.retired) == (
        "Coolant concentration",
        6.0,
        9.0,
        True,
    )
    assert RoutineStep.objects.get(pk=steps[1].pk).retired is True  # had evidence
    assert RoutineStep.objects.get(pk=steps[2].pk).retired is True
    live = list(routine.steps.filter(retired=False))
    assert [(s.text, s.min_value, s.max_value, s.position) for s in live] == [
        ("Coolant %", 5.0, 10.0, 1),
        ("Lights work", None, None, 2),
    ]
    assert steps[0].pk not in {s.pk for s in live}
    assert sorted(e.step_id for e in done.evidence.all()) == sorted(s.pk for s in steps)
    future = Occurrence.objects.filter(routine=routine, due__gt=dt.datetime.now(dt.UTC))
    zone = routine.organisation.timezone
    assert {local(o.due, zone).weekday() for o in future} == {0}  # Mondays only now
    assert 3 <= future.count() <= 6
    done.refresh_from_db()
    assert done.status == OccurrenceStatus.DONE
    with pytest.raises(services.Invalid, match="is not part of this routine"):
        services.update_routine(
            actor=owner,
            routine=routine,
            expected_version=routine.version,
            steps=[services.StepSpec("x", id=steps[1].pk)],
        )


def test_only_admins_write_through_the_forms_and_outsiders_get_404(
    client, org, member, outsider, calendar, queue, routine, process
):
    pages = [
        "/operations/queues/new/",
        f"/operations/queues/{queue.pk}/edit/",
        "/operations/routines/new/",
        f"/operations/routines/{routine.pk}/edit/",
    ]
    posts = {
        "/operations/queues/new/": {"name": "G", "calendar": calendar.pk},
        f"/operations/queues/{queue.pk}/edit/": {
            "name": "G",
            "calendar": calendar.pk,
            "version": 1,
        },
        "/operations/routines/new/": _routine_post(process, name="G"),
        f"/operations/routines/{routine.pk}/edit/": _routine_post(process, name="G", version=1),
    }
    for role in (Role.GUEST, Role.MEMBER):
        client.force_login(member(org, role))
        for url in pages:
            assert client.get(url).status_code == 403, (role, url)
            assert client.post(url, posts[url]).status_code == 403, (role, url)
    assert not BusinessCalendar.objects.filter(name="G").exists()
    assert not Queue.objects.filter(name="G").exists()
    assert not Routine.objects.filter(name="G").exists()
    assert (calendar.name, queue.name, routine.name) == (
        BusinessCalendar.objects.get(pk=calendar.pk).name,
        Queue.objects.get(pk=queue.pk).name,
        Routine.objects.get(pk=routine.pk).name,
    )
    client.force_login(outsider)
    for url in pages[1::2]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, posts[url]).status_code == 404, url


# --- API --------------------------------------------------------------------------------------


def test_api_calendars_queues_routines(api, org, owner, process, member, outsider):
    client = api(owner)
    # Calendars themselves are tested in tests/calendars (one model for both halves).
    r = client.post(
        f"/api/organisations/{org.pk}/calendars",
        {"name": "Desk", "hours": {"0": [["08:00", "17:00"]]}},
    )
    assert r.status_code == 201
    cal = r.json()

    r = client.post(
        f"/api/organisations/{org.pk}/queues",
        {
            "name": "HR questions",
            "calendar_id": cal["id"],
            "process_id": process.pk,
            "sla_hours": {"p1": {"response": 1, "resolution": 2}},
        },
    )
    assert r.status_code == 201
    q = r.json()
    assert q["sla_hours"]["p1"] == {"response": 1.0, "resolution": 2.0}
    assert q["sla_hours"]["p4"] == {"response": 16.0, "resolution": 80.0}
    bad = client.patch(
        f"/api/queues/{q['id']}",
        {"version": 1, "sla_hours": {"p9": {"response": 1, "resolution": 2}}},
    )
    assert bad.status_code == 422 and bad.json()["detail"] == "Unknown priority 'p9': use p1 to p4."
    r = client.patch(f"/api/queues/{q['id']}", {"version": 1, "name": "People questions"})
    assert r.status_code == 200 and (r.json()["name"], r.json()["version"]) == (
        "People questions",
        2,
    )
    assert client.patch(f"/api/queues/{q['id']}", {"version": 1, "name": "x"}).status_code == 409
    other_cal = client.post(
        f"/api/organisations/{org.pk}/queues", {"name": "Z", "calendar_id": 999999}
    )
    assert other_cal.status_code == 422 and other_cal.json()["field"] == "calendar_id"

    r = client.post(
        f"/api/processes/{process.pk}/routines",
        {
            "name": "Fire alarm test",
            "rrule": "FREQ=WEEKLY;BYDAY=FR",
            "starts_on": "2025-01-03",
            "due_time": "11:00",
            "steps": [
                {"text": "Bell rings", "evidence": "pass_fail"},
                {"text": "Panel reading", "evidence": "number", "min_value": 0, "max_value": 5},
            ],
        },
    )
    assert r.status_code == 201, r.content
    rt = r.json()
    assert [s["text"] for s in rt["steps"]] == ["Bell rings", "Panel reading"]
    bad = client.post(f"/api/processes/{process.pk}/routines", {"name": "x", "rrule": "FREQ=NEVER"})
    assert bad.status_code == 422 and bad.json()["field"] == "rrule"
    assert bad.json()["detail"].startswith("Not a valid recurrence rule")
    first = rt["steps"][0]
    r = client.patch(
        f"/api/routines/{rt['id']}",
        {"version": rt["version"], "rrule": "FREQ=DAILY", "steps": [{**first, "text": "Bells"}]},
    )
    assert r.status_code == 200
    assert (r.json()["rrule"], [s["text"] for s in r.json()["steps"]]) == ("FREQ=DAILY", ["Bells"])
    assert (
        client.patch(
            f"/api/routines/{rt['id']}", {"version": rt["version"], "name": "x"}
        ).status_code
        == 409
    )

    guest = api(member(org, Role.GUEST))
    writes = [
        (
            "post",
            f"/api/organisations/{org.pk}/calendars",
            {"name": "G", "hours": {"0": [["08:00", "09:00"]]}},
        ),
        (
            "patch",
            f"/api/organisations/{org.pk}/calendars/{cal['id']}",
            {"version": 1, "name": "G"},
        ),
        ("post", f"/api/organisations/{org.pk}/queues", {"name": "G", "calendar_id": cal["id"]}),
        ("patch", f"/api/queues/{q['id']}", {"version": 2, "name": "G"}),
        ("post", f"/api/processes/{process.pk}/routines", {"name": "G", "rrule": "FREQ=DAILY"}),
        ("patch", f"/api/routines/{rt['id']}", {"version": 2, "name": "G"}),
    ]
    for method, path, body in writes:
        assert getattr(guest, method)(path, body).status_code == 403, path
    spy = api(outsider)
    for method, path, body in writes:
        assert getattr(spy, method)(path, body).status_code == 404, path
    for path in [
        f"/api/organisations/{org.pk}/calendars",
        f"/api/organisations/{org.pk}/calendars/{cal['id']}",
        f"/api/queues/{q['id']}",
        f"/api/routines/{rt['id']}",
    ]:
        assert spy.get(path).status_code == 404, path
    assert not BusinessCalendar.objects.filter(name="G").exists()
    assert not Queue.objects.filter(name="G").exists()
    assert not Routine.objects.filter(name="G").exists()


# --- Rollups behind the overview, the large data set --------------------------------------------


def test_overview_counts_stored_sla_outcomes_and_kpi_rollups(org, owner, queue, kpi, process):
    monday = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)  # London = UTC in early March
    fast = services.create_request(actor=owner, queue=queue, title="A", priority="p1", at=monday)
    slow = services.create_request(actor=owner, queue=queue, title="B", priority="p1", at=monday)
    services.create_request(actor=owner, queue=queue, title="C", at=monday)
    for req, hours in ((fast, 1), (slow, 30)):
        services.change_request_status(
            actor=owner,
            request=req,
            status="resolved",
            expected_version=req.version,
            at=monday + dt.timedelta(hours=hours),
        )
    fast.refresh_from_db()
    slow.refresh_from_db()
    assert (fast.resolution_met, slow.resolution_met) == (True, False)
    services.add_measurements(
        actor=owner, kpi=kpi, rows=[(1, "2025-03-07", 2.1, ""), (2, "2025-03-14", 3.4, "")]
    )
    kpi.refresh_from_db()
    assert (kpi.state, kpi.latest_value) == ("off target", 3.4)
    card = selectors_overview(org, dt.datetime(2025, 3, 20, tzinfo=dt.UTC))
    assert (card.sla, card.open_requests) == (0.5, 1)
    assert [(k.name, k.state) for k in card.kpis] == [("Scrap rate", "off target")]
    # Reopening clears the outcome; resolving again fixes it anew.
    services.change_request_status(
        actor=owner, request=fast, status="in_progress", expected_version=fast.version
    )
    fast.refresh_from_db()
    assert fast.resolution_met is None


def selectors_overview(org, now):
    from twofold.operations import selectors

    return selectors.overview(org, now)[0]


def test_large_demo_data_is_consistent(org, monkeypatch):
    from twofold.operations import demo_large
    from twofold.operations.models import Kpi, Measurement, Process, Request

    monkeypatch.setattr(demo_large, "REQUESTS", 240)
    summary = demo_large.load(org, {})
    assert summary.startswith(
        "large operations: 40 processes, 120 KPIs (12480 values), 50 routines"
    )
    assert (Process.objects.count(), Kpi.objects.count(), Measurement.objects.count()) == (
        40,
        120,
        12480,
    )
    assert (Queue.objects.count(), Request.objects.count()) == (6, 240)
    resolved = Request.objects.filter(resolved_at__isnull=False)
    assert resolved.count() > 200 and not resolved.filter(resolution_met__isnull=True).exists()
    # Outcomes set by construction agree with replaying every SLA clock.
    assert services.refresh_sla_outcomes(resolved.values_list("pk", flat=True)) == 0
    assert Kpi.objects.filter(state="no data").count() == 0


def test_process_new_page_is_for_admins(client, org, owner, member):
    client.force_login(member(org, Role.MEMBER))
    assert client.get("/operations/processes/new/").status_code == 403
    assert client.post("/operations/processes/new/", {"name": "X"}).status_code == 403
    client.force_login(owner)
    r = client.post("/operations/processes/new/", {"name": "Dispatch", "annual_budget": "100"})
    assert r.status_code == 302
    assert client.get("/operations/").content.decode().count("Dispatch") >= 1
