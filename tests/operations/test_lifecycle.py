"""Editing, archiving and deleting processes, KPIs, queues and routines; the words on the pages."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from twofold.accounts.models import Role
from twofold.core.errors import Conflict, Forbidden, NotFound
from twofold.core.models import HistoryEntry
from twofold.operations import services
from twofold.operations.forms import QueueForm, RoutineForm
from twofold.operations.models import (
    Kpi,
    Measurement,
    Occurrence,
    OccurrenceStatus,
    Process,
    Queue,
    Request,
    Routine,
    RoutineStep,
    StepEvidence,
)
from twofold.operations.services import StepInput


def _text(html: str) -> str:
    """The visible text of a page, tags dropped and spaces collapsed."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    return re.sub(r" ([:.,;?])", r"\1", text)


def _measure(owner, kpi, values):
    start = dt.date(2025, 1, 6)
    rows = [(i, start + dt.timedelta(weeks=i), v, "") for i, v in enumerate(values, start=1)]
    services.add_measurements(actor=owner, kpi=kpi, rows=rows)


# --- Edit pages -------------------------------------------------------------------------------


def test_admin_edits_a_process_with_history(client, org, owner, process):
    client.force_login(owner)
    page = client.get(f"/operations/processes/{process.pk}/edit/")
    assert page.status_code == 200 and 'value="Line 2 production"' in page.content.decode()
    r = client.post(
        f"/operations/processes/{process.pk}/edit/",
        {"version": process.version, "name": "Line 2", "annual_budget": "2500"},
    )
    assert r.status_code == 302 and r.url == f"/operations/processes/{process.pk}/"
    process.refresh_from_db()
    assert (process.name, str(process.annual_budget), process.version) == ("Line 2", "2500.00", 2)
    body = _text(client.get(f"/operations/processes/{process.pk}/").content.decode())
    assert "Name: Line 2 production → Line 2" in body
    assert "Annual budget: 1000.00 → 2500.00" in body


def test_process_edit_refuses_a_stale_version_and_keeps_the_input(client, owner, process):
    client.force_login(owner)
    services.update_process(actor=owner, process=process, expected_version=1, description="x")
    r = client.post(
        f"/operations/processes/{process.pk}/edit/",
        {"version": 1, "name": "Renamed", "annual_budget": "5"},
    )
    assert r.status_code == 409
    assert "Someone else changed this" in r.content.decode()
    assert 'value="Renamed"' in r.content.decode()
    process.refresh_from_db()
    assert process.name == "Line 2 production"


def test_edit_pages_member_403_outsider_404_nothing_changed(
    client, org, member, outsider, process, kpi
):
    urls = [f"/operations/processes/{process.pk}/edit/", f"/operations/kpis/{kpi.pk}/edit/"]
    client.force_login(member(org, Role.MEMBER))
    for url in urls:
        assert client.get(url).status_code == 403
        assert client.post(url, {"version": 1, "name": "Hacked"}).status_code == 403
    client.force_login(outsider)
    for url in urls:
        assert client.get(url).status_code == 404
        assert client.post(url, {"version": 1, "name": "Hacked"}).status_code == 404
    process.refresh_from_db()
    kpi.refresh_from_db()
    assert (process.name, kpi.name, process.version, kpi.version) == (
        "Line 2 production",
        "Scrap rate",
        1,
        1,
    )


def test_admin_edits_a_kpi_and_its_colour_follows(client, owner, kpi):
    _measure(owner, kpi, [2.6, 2.7])
    client.force_login(owner)
    page = client.get(f"/operations/kpis/{kpi.pk}/").content.decode()
    assert "latest 2.70 %: At risk" in _text(page)
    r = client.post(
        f"/operations/kpis/{kpi.pk}/edit/",
        {
            "version": kpi.version,
            "name": "Scrap",
            "description": "Parts scrapped per shift",
            "unit": "%",
            "good_direction": "down",
            "target": "3",
            "amber_threshold": "3.5",
            "red_threshold": "4",
            "frequency": "daily",
        },
    )
    assert r.status_code == 302
    kpi.refresh_from_db()
    assert (kpi.name, kpi.target, kpi.frequency, kpi.description) == (
        "Scrap",
        3.0,
        "daily",
        "Parts scrapped per shift",
    )
    text = _text(client.get(f"/operations/kpis/{kpi.pk}/").content.decode())
    assert "latest 2.70 %: On target" in text
    assert "Frequency: Weekly → Daily" in _text(
        client.get(f"/operations/kpis/{kpi.pk}/edit/").content.decode()
    )


def test_kpi_edit_names_the_bad_threshold(client, owner, kpi):
    client.force_login(owner)
    r = client.post(
        f"/operations/kpis/{kpi.pk}/edit/",
        {
            "version": kpi.version,
            "name": "Scrap rate",
            "unit": "%",
            "good_direction": "down",
            "target": "2",
            "red_threshold": "1",
            "frequency": "weekly",
        },
    )
    assert r.status_code == 422
    assert "red and amber thresholds must be at or above the target" in r.content.decode()
    kpi.refresh_from_db()
    assert kpi.red_threshold == 3.0


def test_api_patch_edits_archives_and_refuses_stale_and_bad(api, owner, org, member, kpi):
    client = api(owner)
    r = client.patch(
        f"/api/kpis/{kpi.pk}",
        {"version": 1, "unit": "ppm", "frequency": "monthly", "good_direction": "down"},
    )
    assert r.status_code == 200
    assert (r.json()["unit"], r.json()["frequency"], r.json()["version"]) == ("ppm", "monthly", 2)
    stale = client.patch(f"/api/kpis/{kpi.pk}", {"version": 1, "name": "Old"})
    assert stale.status_code == 409
    bad = client.patch(f"/api/kpis/{kpi.pk}", {"version": 2, "red_threshold": 1})
    assert bad.status_code == 422 and bad.json()["field"] == "red_threshold"
    bad = client.patch(f"/api/kpis/{kpi.pk}", {"version": 2, "frequency": "hourly"})
    assert bad.status_code == 422
    archived = client.patch(f"/api/kpis/{kpi.pk}", {"version": 2, "archived": True})
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert client.get(f"/api/organisations/{org.pk}/kpis").json() == []
    listed = client.get(f"/api/organisations/{org.pk}/kpis?include_archived=true").json()
    assert [k["id"] for k in listed] == [kpi.pk]
    denied = api(member(org, Role.MEMBER)).patch(
        f"/api/kpis/{kpi.pk}", {"version": 3, "archived": False}
    )
    assert denied.status_code == 403
    kpi.refresh_from_db()
    assert kpi.archived and kpi.version == 3


def test_api_patch_process_team_and_queue_archive(api, owner, org, queue, process):
    from twofold.accounts.models import Team

    team = Team.objects.create(organisation=org, name="Maintenance")
    r = api(owner).patch(f"/api/processes/{process.pk}", {"version": 1, "team_id": team.pk})
    assert r.status_code == 200 and r.json()["team_id"] == team.pk
    r = api(owner).patch(f"/api/queues/{queue.pk}", {"version": 1, "archived": True})
    assert r.status_code == 200 and r.json()["archived"] is True
    assert api(owner).get(f"/api/organisations/{org.pk}/queues").json() == []


# --- Archive ----------------------------------------------------------------------------------


def test_archived_process_leaves_overview_and_pickers_but_not_reports(
    client, org, owner, process, kpi
):
    client.force_login(owner)
    r = client.post(f"/operations/processes/{process.pk}/archive/", {"version": 1, "archived": "1"})
    assert r.status_code == 302
    process.refresh_from_db()
    assert process.archived and process.version == 2
    overview = client.get("/operations/").content.decode()
    assert f'href="/operations/processes/{process.pk}/"' not in overview
    assert "Show archived processes and queues" in overview
    shown = _text(client.get("/operations/?archived=1").content.decode())
    assert "Archived processes Line 2 production archived" in shown
    assert process not in QueueForm(organisation=org).fields["process"].queryset
    assert process not in RoutineForm(organisation=org).fields["process"].queryset
    # Still reported and still reachable, with a note.
    assert "Scrap rate" in client.get("/reports/").content.decode()
    page = _text(client.get(f"/operations/processes/{process.pk}/").content.decode())
    assert "Archived" in page and "Restore from archive" in page
    entry = HistoryEntry.objects.filter(action="archived").get()
    assert entry.changes == {"archived": [False, True]}
    assert "Archived: No → Yes" in page
    client.post(f"/operations/processes/{process.pk}/archive/", {"version": 2, "archived": "0"})
    process.refresh_from_db()
    assert not process.archived
    assert "Line 2 production" in client.get("/operations/").content.decode()


def test_archived_routine_gets_no_occurrences_and_loses_its_upcoming_ones(
    owner, routine, django_capture_on_commit_callbacks
):
    upcoming = Occurrence.objects.filter(routine=routine, due__gt=timezone.now()).count()
    past = Occurrence.objects.filter(routine=routine, due__lte=timezone.now()).count()
    assert upcoming > 0
    services.set_archived(actor=owner, obj=routine, archived=True, expected_version=1)
    assert Occurrence.objects.filter(routine=routine).count() == past
    services.generate_occurrences()
    assert Occurrence.objects.filter(routine=routine, due__gt=timezone.now()).count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.set_archived(actor=owner, obj=routine, archived=False, expected_version=2)
    assert Occurrence.objects.filter(routine=routine, due__gt=timezone.now()).count() == upcoming


def test_routines_of_an_archived_process_get_no_new_occurrences(owner, process, routine):
    services.set_archived(actor=owner, obj=process, archived=True, expected_version=1)
    Occurrence.objects.filter(routine=routine).delete()
    services.generate_occurrences()
    assert Occurrence.objects.filter(routine=routine).count() == 0


def test_archive_permissions_member_403_outsider_404(client, org, member, outsider, routine):
    url = f"/operations/routines/{routine.pk}/archive/"
    client.force_login(member(org, Role.MEMBER))
    assert client.post(url, {"version": 1}).status_code == 403
    client.force_login(outsider)
    assert client.post(url, {"version": 1}).status_code == 404
    with pytest.raises(Forbidden):
        services.set_archived(
            actor=member(org, Role.MEMBER), obj=routine, archived=True, expected_version=1
        )
    with pytest.raises(NotFound):
        services.set_archived(actor=outsider, obj=routine, archived=True, expected_version=1)
    routine.refresh_from_db()
    assert not routine.archived and routine.version == 1


def test_archived_children_hidden_on_the_process_page_until_asked(
    client, owner, process, kpi, queue, routine
):
    services.set_archived(actor=owner, obj=kpi, archived=True, expected_version=1)
    services.set_archived(actor=owner, obj=routine, archived=True, expected_version=1)
    client.force_login(owner)
    for url in (f"/operations/routines/{routine.pk}/", f"/operations/kpis/{kpi.pk}/"):
        archived_page = _text(client.get(url).content.decode())
        assert "Archived" in archived_page and "Restore from archive" in archived_page, url
    page = client.get(f"/operations/processes/{process.pk}/").content.decode()
    assert "Scrap rate" not in page and "Start-of-shift checks" not in page
    assert "Show archived (2)" in page
    shown = client.get(f"/operations/processes/{process.pk}/?archived=1").content.decode()
    assert "Scrap rate" in shown and "Start-of-shift checks" in shown


def test_lists_with_archived_items_have_constant_query_counts(
    client, org, owner, process, queue, django_assert_max_num_queries
):
    client.force_login(owner)

    def add(n: int, start: int) -> None:
        for i in range(n):
            p = services.create_process(actor=owner, organisation=org, name=f"P{start + i}")
            k = services.create_kpi(
                actor=owner, process=process, name=f"K{start + i}", target=1, red_threshold=0
            )
            r = services.create_routine(
                actor=owner, process=process, name=f"R{start + i}", rrule="FREQ=WEEKLY"
            )
            q = services.create_queue(
                actor=owner,
                organisation=org,
                name=f"Q{start + i}",
                calendar=queue.calendar,
                process=process,
            )
            for obj in (p, k, r, q):
                services.set_archived(actor=owner, obj=obj, archived=True, expected_version=None)

    add(2, 0)
    urls = [
        "/operations/",
        "/operations/?archived=1",
        f"/operations/processes/{process.pk}/",
        f"/operations/processes/{process.pk}/?archived=1",
    ]
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(40) as small:
            assert client.get(url).status_code == 200
        counts[url] = len(small.captured_queries)
    add(5, 10)
    for url, n in counts.items():
        with django_assert_max_num_queries(n):
            assert client.get(url).status_code == 200


# --- Delete -----------------------------------------------------------------------------------


@pytest.fixture
def busy(owner, process, kpi, queue, routine, settings, tmp_path):
    """A process with 3 measurements, 2 requests, occurrences and one evidence file."""
    settings.MEDIA_ROOT = tmp_path
    _measure(owner, kpi, [2.0, 2.1, 2.2])
    for title in ("Printer", "VPN"):
        services.create_request(actor=owner, queue=queue, title=title)
    services.update_routine(
        actor=owner,
        routine=routine,
        expected_version=1,
        steps=[
            services.StepSpec("Photo of the gauge", "file", id=None),
            *[
                services.StepSpec(s.text, s.evidence, s.min_value, s.max_value, s.unit, s.pk)
                for s in routine.steps.all()
            ],
        ],
    )
    occ = Occurrence.objects.filter(routine=routine).order_by("due").first()
    steps = {s.text: s.pk for s in routine.steps.filter(retired=False)}
    services.complete_occurrence(
        actor=owner,
        occurrence=occ,
        expected_version=occ.version,
        evidence={
            steps["Photo of the gauge"]: StepInput(
                file=SimpleUploadedFile("gauge.jpg", b"\xff\xd8\xff\xe0 jpeg bytes")
            ),
            steps["Coolant concentration"]: StepInput(number="7"),
            steps["Guards work"]: StepInput(passed=True),
            steps["Anything unusual"]: StepInput(note="no"),
        },
    )
    return occ


def test_delete_confirmation_names_what_goes(client, owner, process, routine, busy):
    occurrences = Occurrence.objects.filter(routine=routine).count()
    client.force_login(owner)
    page = client.get(f"/operations/processes/{process.pk}/delete/")
    assert page.status_code == 200
    text = _text(page.content.decode())
    assert "Move process “Line 2 production” to the trash?" in text
    assert (
        f"1 KPI 3 measurements 1 routine 4 checklist steps {occurrences} occurrences "
        "4 evidence records 1 process budget 1 evidence file (removed from storage when the "
        "trash is emptied)"
    ) in text  # the budget: the process's annual budget is its current fiscal year's
    assert "These stay, no longer linked to it: 1 request queue." in text
    routine_page = _text(client.get(f"/operations/routines/{routine.pk}/delete/").content.decode())
    assert (
        f"4 checklist steps {occurrences} occurrences 4 evidence records 1 evidence file"
    ) in routine_page
    queue_page = _text(
        client.get(f"/operations/queues/{Queue.objects.get().pk}/delete/").content.decode()
    )
    assert "2 requests 2 status changes" in queue_page


def test_admin_deletes_a_process_files_and_all(
    client, org, owner, process, busy, django_capture_on_commit_callbacks
):
    evidence = StepEvidence.objects.exclude(file="").get()
    path = evidence.file.path
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/operations/processes/{process.pk}/delete/", {"version": 1})
    assert r.status_code == 302 and r.url == "/operations/"
    assert not Process.objects.exists() and not Kpi.objects.exists()
    assert not Measurement.objects.exists() and not Routine.objects.exists()
    assert not RoutineStep.objects.exists() and not StepEvidence.objects.exists()
    assert Request.objects.count() == 2  # its queue stays
    import os

    assert os.path.exists(path)  # until the trash is emptied
    entry = HistoryEntry.objects.get(action="moved to trash")
    assert entry.object_id == process.pk
    assert entry.summary.startswith(
        "Moved process Line 2 production to the trash with 1 KPI, 3 measurements"
    )
    from twofold.core import trash
    from twofold.core.models import TrashEntry

    with django_capture_on_commit_callbacks(execute=True):
        assert trash.purge_due(now=TrashEntry.objects.get().purge_after) == 1
    assert not Process.all_objects.exists() and not StepEvidence.all_objects.exists()
    assert Queue.objects.get().process is None and Request.objects.count() == 2
    assert not os.path.exists(path)


def test_delete_is_for_admins_and_checks_the_version(
    client, api, org, owner, member, outsider, kpi, busy
):
    url = f"/operations/kpis/{kpi.pk}/delete/"
    someone = member(org, Role.MEMBER)
    client.force_login(someone)
    assert client.get(url).status_code == 403
    assert client.post(url, {"version": 1}).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {"version": 1}).status_code == 404
    assert api(someone).delete(f"/api/operations/kpis/{kpi.pk}?version=1").status_code == 403
    assert api(outsider).delete(f"/api/operations/kpis/{kpi.pk}?version=1").status_code == 404
    assert Kpi.objects.filter(pk=kpi.pk).exists() and Measurement.objects.count() == 3
    with pytest.raises(Conflict):
        services.delete_thing(actor=owner, obj=kpi, expected_version=7)
    client.force_login(owner)
    stale = client.post(url, {"version": 7})
    assert stale.status_code == 409 and "Someone else changed this" in stale.content.decode()
    assert Kpi.objects.filter(pk=kpi.pk).exists()
    impact = api(owner).get(f"/api/operations/kpis/{kpi.pk}/deletion")
    assert impact.json() == {
        "kind": "KPI",
        "name": "Scrap rate",
        "deletes": {"measurements": 3},
        "unlinks": {},
        "files": 0,
    }
    gone = api(owner).delete(f"/api/operations/kpis/{kpi.pk}?version=1")
    assert gone.status_code == 200 and gone.json()["deletes"] == {"measurements": 3}
    assert not Kpi.objects.exists() and Measurement.objects.count() == 0
    entry = HistoryEntry.objects.get(action="moved to trash")
    assert entry.summary == "Moved KPI Scrap rate to the trash with 3 measurements"


def test_deleting_a_queue_from_its_page(client, owner, process, queue):
    services.create_request(actor=owner, queue=queue, title="Printer")
    client.force_login(owner)
    r = client.post(f"/operations/queues/{queue.pk}/delete/", {"version": queue.version})
    assert r.status_code == 302 and r.url == f"/operations/processes/{process.pk}/"
    assert not Queue.objects.exists() and not Request.objects.exists()
    assert client.get(f"/operations/queues/{queue.pk}/").status_code == 404
    entry = HistoryEntry.objects.get(action="moved to trash")
    assert (
        entry.summary
        == "Moved request queue IT service desk to the trash with 1 request, 1 status change"
    )


# --- Words on the pages -------------------------------------------------------------------------


def test_schedules_read_as_words_everywhere(client, owner, process, routine):
    services.update_routine(
        actor=owner, routine=routine, expected_version=1, rrule="FREQ=WEEKLY;BYDAY=MO,TH"
    )
    client.force_login(owner)
    for url in (f"/operations/processes/{process.pk}/", f"/operations/routines/{routine.pk}/"):
        body = client.get(url).content.decode()
        assert "Every Monday and Thursday" in body, url
        assert "FREQ=" not in _text(body).split("History")[0], url


def test_routine_editor_builds_rules_without_rrule(client, owner, process, routine):
    client.force_login(owner)
    base = {
        "version": 1,
        "name": "Safety walk",
        "starts_on": "2025-01-01",
        "due_time": "09:00",
        "effort_minutes": "30",
        "active": "on",
        "steps-TOTAL_FORMS": "0",
        "steps-INITIAL_FORMS": "0",
    }
    r = client.post(
        f"/operations/routines/{routine.pk}/edit/",
        {**base, "repeat": "weekly", "weekdays": ["FR"], "interval": "2"},
    )
    assert r.status_code == 302
    routine.refresh_from_db()
    assert routine.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"
    assert routine.schedule_text == "Every 2 weeks on Friday"
    r = client.post(
        f"/operations/routines/{routine.pk}/edit/",
        {**base, "version": 2, "repeat": "monthly_nth", "nth": "1", "nth_day": "MO"},
    )
    assert r.status_code == 302
    routine.refresh_from_db()
    assert (routine.rrule, routine.schedule_text) == (
        "FREQ=MONTHLY;BYDAY=1MO",
        "Monthly on the first Monday",
    )
    page = client.get(f"/operations/routines/{routine.pk}/edit/").content.decode()
    assert 'value="monthly_nth" class="ops-repeat" required id="id_repeat_5" checked' in page


def test_kpi_labels_do_not_contradict(client, owner, process, kpi):
    _measure(owner, kpi, [2.0] * 9 + [9.0])
    client.force_login(owner)
    text = _text(client.get(f"/operations/processes/{process.pk}/").content.decode())
    assert "Latest vs target Overall" in text
    assert "Off target Unusual change" in text
    assert "green" not in text and " signal " not in text
    kpi_text = _text(client.get(f"/operations/kpis/{kpi.pk}/").content.decode())
    assert "Scrap rate Unusual change" in kpi_text
    assert "latest 9 %: Off target" in kpi_text
    overview = client.get("/operations/").content.decode()
    assert ">Scrap rate: Unusual change</a>" in overview


def test_history_shows_words_not_python(client, owner, routine):
    services.update_routine(
        actor=owner,
        routine=routine,
        expected_version=1,
        shift="next",
        steps=[services.StepSpec("Guards work", "pass_fail")],
    )
    client.force_login(owner)
    text = _text(client.get(f"/operations/routines/{routine.pk}/edit/").content.decode())
    assert "Shift: Keep the date → Move to the next working day" in text
    assert (
        "Steps: Coolant concentration (a number within limits, between 6 and 9 %); "
        "Guards work (pass or fail); "
        "Anything unusual (a note) → Guards work (pass or fail)"
    ) in text
    assert "['" not in text and "pass_fail" not in text


def test_empty_states_say_what_to_do(client, org, owner, member):
    client.force_login(member(org, Role.MEMBER))
    text = _text(client.get("/operations/").content.decode())
    assert "No processes yet. An admin sets them up" in text
    client.force_login(owner)
    text = _text(client.get("/operations/").content.decode())
    assert "No processes yet. Start with “New process”" in text
    assert "No queues yet. Use “New queue”" in text
    process = services.create_process(actor=owner, organisation=org, name="Dispatch")
    text = _text(client.get(f"/operations/processes/{process.pk}/").content.decode())
    assert "No KPIs yet. Add the first one with “New KPI”" in text
    assert "No routines yet. Use “New routine”" in text


def test_occurrence_status_generation_respects_archive_on_update(
    owner, routine, django_capture_on_commit_callbacks
):
    services.set_archived(actor=owner, obj=routine, archived=True, expected_version=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.update_routine(
            actor=owner, routine=routine, expected_version=2, rrule="FREQ=WEEKLY"
        )
    assert not Occurrence.objects.filter(
        routine=routine, status=OccurrenceStatus.OPEN, due__gt=timezone.now()
    ).exists()


def test_last_working_day_reads_as_such(owner, routine):
    services.update_routine(
        actor=owner,
        routine=routine,
        expected_version=1,
        rrule="FREQ=MONTHLY;BYMONTHDAY=-1",
        shift="previous",
    )
    assert routine.schedule_text == "Monthly on the last working day"
    services.update_routine(actor=owner, routine=routine, expected_version=2, shift="none")
    assert routine.schedule_text == "Monthly on the last day"


@pytest.mark.parametrize("version", ["99999999999999999999", "abc", "\u00b2"])
def test_archiving_with_a_garbled_version_is_refused_as_stale(client, owner, process, version):
    """A version that is not a number within 64 bits is stale (409 words), not "no version":
    it used to be read as none, which skips the check and overwrites silently."""
    client.force_login(owner)
    r = client.post(
        f"/operations/processes/{process.pk}/archive/",
        {"version": version, "archived": "1"},
        follow=True,
    )
    process.refresh_from_db()
    assert (process.archived, process.version) == (False, 1)
    assert "Someone else changed this since you opened it" in r.content.decode()


def test_a_generation_pass_reading_its_routines_earlier_puts_nothing_back(
    owner, routine, django_capture_on_commit_callbacks
):
    """A worker's pass read its routines first and inserted their schedules later, so the
    occurrences an archive or a new due time had just dropped came back (each later missed; a
    critical routine's a nonconformance a day). Each routine is now read again under its lock."""
    stale = Routine.objects.select_related("organisation", "calendar").get(pk=routine.pk)
    now = timezone.now()
    services.set_archived(actor=owner, obj=routine, archived=True, expected_version=1)
    services.generate_occurrences(routines=[stale])  # as a pass that listed it before
    assert not Occurrence.objects.filter(routine=routine, due__gt=now).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.set_archived(actor=owner, obj=routine, archived=False, expected_version=2)
    stale = Routine.objects.select_related("organisation", "calendar").get(pk=routine.pk)
    routine.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.update_routine(
            actor=owner, routine=routine, expected_version=routine.version, due_time=dt.time(8)
        )
    services.generate_occurrences(routines=[stale])  # still holding 23:59
    zone = ZoneInfo(routine.organisation.timezone)
    times = {
        o.due.astimezone(zone).time()
        for o in Occurrence.objects.filter(routine=routine, due__gt=timezone.now())
    }
    assert times == {dt.time(8)}  # the new due time only, none at the old one


def test_archiving_a_process_stops_its_routines_and_restoring_starts_them_from_now(
    owner, process, routine, django_capture_on_commit_callbacks
):
    """Archiving a process left its routines' coming occurrences, each missed as it came due
    (a critical routine's a nonconformance a day)."""
    now = timezone.now()
    assert Occurrence.objects.filter(routine=routine, due__gt=now).count() > 20
    past = Occurrence.objects.filter(routine=routine, due__lte=now).count()
    services.set_archived(actor=owner, obj=process, archived=True, expected_version=1)
    assert not Occurrence.objects.filter(routine=routine, due__gt=now).exists()
    assert Occurrence.objects.filter(routine=routine).count() == past
    with django_capture_on_commit_callbacks(execute=True):
        services.set_archived(actor=owner, obj=process, archived=False, expected_version=2)
    routine.refresh_from_db()
    assert routine.schedule_from is not None and routine.schedule_from >= now
    coming = Occurrence.objects.filter(routine=routine, due__gt=now)
    assert coming.count() > 20 and Occurrence.objects.filter(routine=routine).count() == (
        past + coming.count()
    )
