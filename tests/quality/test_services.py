"""Nonconformances: opened by deviations (once), worked on by members, closed by the owner."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from twofold.core import dates
from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound
from twofold.core.models import HistoryEntry
from twofold.operations import services as ops_services
from twofold.operations.models import Occurrence, OccurrenceStatus, Process, Routine
from twofold.quality import selectors, services
from twofold.quality.models import ActionStatus, CapaAction, NcStatus, Nonconformance


def _past_occurrences(routine: Any) -> None:
    now = timezone.now()
    Occurrence.objects.bulk_create(
        Occurrence(
            organisation_id=routine.organisation_id,
            routine=routine,
            due=now - dt.timedelta(days=d, hours=1),
        )
        for d in (3, 2)
    )


def test_out_of_limit_reading_is_recorded_and_opens_a_nonconformance(complete, worker, process):
    occ = complete(worker, "55")
    assert occ.status == OccurrenceStatus.DONE and occ.nonconforming
    assert [e.number for e in occ.evidence.all()] == [55.0, None]
    nc = Nonconformance.objects.get()
    assert nc.code == "NC-0001"
    assert nc.title == "Torque: 55 Nm outside between 40 and 50 Nm"
    assert (nc.source, nc.severity, nc.status) == ("out_of_limits", "major", "open")
    assert (nc.process, nc.occurrence, nc.reading, nc.raised_by) == (process, occ, 55.0, worker)
    assert nc.source_key == f"occurrence:{occ.pk}:step:{nc.step_id}"
    link = selectors.source_link(nc)
    assert link.label == "Wheel nut torque: Torque"
    assert link.url == f"/operations/occurrences/{occ.pk}/"
    entry = HistoryEntry.objects.filter(object_id=occ.pk, action="completed").get()
    assert entry.summary == "Completed with 1 nonconformance"


def test_a_fail_opens_one_and_a_good_reading_none(complete, worker):
    occ = complete(worker, "45", passed=False)
    assert occ.nonconforming
    nc = Nonconformance.objects.get()
    assert (nc.source, nc.title) == ("failed_check", "Visual check: failed")
    second = Occurrence.objects.filter(status="open").order_by("due").first()
    ok = complete(worker, "45", occ=second)
    assert not ok.nonconforming and Nonconformance.objects.count() == 1


def test_missed_critical_routine_opens_one_once_even_with_two_passes(routine, owner):
    ops_services.update_routine(
        actor=owner, routine=routine, expected_version=routine.version, critical=True
    )
    routine.refresh_from_db()
    _past_occurrences(routine)
    ops_services.generate_occurrences(routines=[routine])
    ops_services.generate_occurrences(routines=[routine])  # a second worker
    missed = Occurrence.objects.filter(routine=routine, status="missed")
    assert missed.count() >= 2
    assert all(o.nonconforming for o in missed)
    ncs = Nonconformance.objects.filter(source="missed_routine")
    assert ncs.count() == missed.count()
    assert {nc.occurrence_id for nc in ncs} == {o.pk for o in missed}
    # A second report of the same deviation (another worker) opens nothing new.
    from twofold.operations import deviations

    occ = missed.first()
    deviations.report(
        [
            deviations.Deviation(
                kind=deviations.Kind.MISSED_ROUTINE,
                organisation_id=routine.organisation_id,
                process_id=routine.process_id,
                title="again",
                detail="",
                occurrence=occ,
                routine=routine,
            )
        ]
    )
    assert Nonconformance.objects.filter(source="missed_routine").count() == missed.count()
    numbers = sorted(Nonconformance.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))


def test_missed_ordinary_routine_opens_none(routine):
    _past_occurrences(routine)
    ops_services.generate_occurrences(routines=[routine])
    assert Occurrence.objects.filter(routine=routine, status="missed").exists()
    assert not Nonconformance.objects.exists()


def test_sla_breach_opens_one_on_a_queue_that_asks(org, owner, calendar, process):
    watched = ops_services.create_queue(
        actor=owner,
        organisation=org,
        name="Maintenance",
        calendar=calendar,
        process=process,
        nc_on_breach=True,
        sla_hours={"p3": {"response": 1, "resolution": 2}},
    )
    quiet = ops_services.create_queue(
        actor=owner,
        organisation=org,
        name="Ideas",
        calendar=calendar,
        sla_hours={"p3": {"response": 1, "resolution": 2}},
    )
    raised = timezone.now() - dt.timedelta(days=10)
    for queue in (watched, quiet):
        req = ops_services.create_request(actor=owner, queue=queue, title="Pump leaks", at=raised)
        ops_services.change_request_status(
            actor=owner, request=req, status="resolved", expected_version=req.version
        )
    nc = Nonconformance.objects.get()
    assert (nc.source, nc.severity, nc.process) == ("sla_breach", "minor", process)
    assert nc.request.queue == watched
    assert nc.title.startswith(f"SLA breached: #{nc.request_id} Pump leaks")
    ops_services.refresh_sla_outcomes()  # the worker pass: idempotent
    assert Nonconformance.objects.count() == 1


def _manual(owner: Any, org: Any, process: Any, **extra: Any) -> Nonconformance:
    return services.raise_nonconformance(
        actor=owner, organisation=org, title="Label misprint", process=process, **extra
    )


def _grounded(nc: Nonconformance, worker: Any, done_on: dt.date | None = None) -> Nonconformance:
    """Give ``nc`` a root cause and one done action (what finding it effective needs)."""
    services.update_nonconformance(
        actor=worker, nc=nc, expected_version=nc.version, root_cause="Print head worn"
    )
    action = services.add_action(
        actor=worker, nc=nc, description="Replace head", owner=worker, due_on=_raised(nc)
    )
    values: dict[str, Any] = {"status": "done"} | ({"done_on": done_on} if done_on else {})
    services.update_action(actor=worker, action=action, expected_version=action.version, **values)
    nc.refresh_from_db()
    return nc


def _raised(nc: Nonconformance) -> dt.date:
    return timezone.localtime(nc.raised_at).date()


def test_capa_due_before_raised_is_refused_and_nothing_saved(owner, org, process, worker):
    nc = _manual(owner, org, process)
    Nonconformance.objects.filter(pk=nc.pk).update(raised_at=timezone.now() - dt.timedelta(days=5))
    nc.refresh_from_db()
    with pytest.raises(Invalid, match="cannot be before the nonconformance was raised") as exc:
        services.add_action(
            actor=worker,
            nc=nc,
            description="Recalibrate",
            owner=worker,
            due_on=timezone.localdate() - dt.timedelta(days=6),
        )
    assert exc.value.field == "due_on"
    assert not CapaAction.objects.exists()
    with pytest.raises(Invalid, match="Choose who owns this action") as exc:
        services.add_action(
            actor=worker, nc=nc, description="x", owner=None, due_on=timezone.localdate()
        )
    assert exc.value.field == "owner"


def test_full_cycle_and_closing_rules(owner, org, process, process_owner, worker, member):
    nc = _manual(owner, org, process, severity="major")
    action = services.add_action(
        actor=worker,
        nc=nc,
        description="Replace the worn print head",
        owner=worker,
        due_on=timezone.localdate() + dt.timedelta(days=7),
    )
    # Closing with an open action: refused, naming the field; nothing changes.
    with pytest.raises(Invalid, match="1 open action") as exc:
        services.close_nonconformance(actor=process_owner, nc=nc, expected_version=nc.version)
    assert exc.value.field == "actions"
    with pytest.raises(Invalid, match="1 action is still open") as exc:
        services.verify_nonconformance(
            actor=process_owner,
            nc=nc,
            expected_version=nc.version,
            verification="ok",
            effective=True,
        )
    services.update_action(
        actor=worker, action=action, expected_version=action.version, status="done"
    )
    action.refresh_from_db()
    assert (action.status, action.done_on) == (ActionStatus.DONE, timezone.localdate())
    # Only the process owner verifies and closes, not the org owner, not a member.
    for who in (owner, worker):
        with pytest.raises(Forbidden, match="Only the process owner"):
            services.verify_nonconformance(
                actor=who, nc=nc, expected_version=nc.version, verification="ok", effective=True
            )
    with pytest.raises(Invalid, match="Record the containment action") as exc:
        services.close_nonconformance(actor=process_owner, nc=nc, expected_version=nc.version)
    assert exc.value.field == "containment"
    services.update_nonconformance(
        actor=worker,
        nc=nc,
        expected_version=nc.version,
        containment="Quarantined 40 labels",
        root_cause="Print head worn",
    )
    with pytest.raises(Invalid, match="Verify the effectiveness") as exc:
        services.close_nonconformance(actor=process_owner, nc=nc, expected_version=nc.version)
    assert exc.value.field == "verification"
    services.verify_nonconformance(
        actor=process_owner,
        nc=nc,
        expected_version=nc.version,
        verification="No misprint in 500 labels",
        effective=True,
    )
    with pytest.raises(Conflict):
        services.close_nonconformance(actor=process_owner, nc=nc, expected_version=1)
    services.close_nonconformance(actor=process_owner, nc=nc, expected_version=nc.version)
    nc.refresh_from_db()
    assert (nc.status, nc.closed_by, nc.verified_by, nc.effective) == (
        NcStatus.CLOSED,
        process_owner,
        process_owner,
        True,
    )
    with pytest.raises(Invalid, match="NC-0001 is closed") as exc:
        services.update_nonconformance(
            actor=worker, nc=nc, expected_version=nc.version, root_cause="changed"
        )
    assert exc.value.field == "status"
    actions = list(
        HistoryEntry.objects.filter(object_id=nc.pk, content_type__model="nonconformance")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["raised", "action added", "action done", "updated", "verified", "closed"]


def test_not_effective_verification_blocks_closing(owner, org, process, process_owner):
    nc = _manual(owner, org, process, containment="Stopped the line")
    services.verify_nonconformance(
        actor=process_owner,
        nc=nc,
        expected_version=nc.version,
        verification="Recurred",
        effective=False,
    )
    with pytest.raises(Invalid, match="not effective"):
        services.close_nonconformance(actor=process_owner, nc=nc, expected_version=nc.version)


def test_guests_read_outsiders_see_nothing(owner, org, process, guest, outsider):
    nc = _manual(owner, org, process)
    assert selectors.get_nonconformance(guest, nc.pk) == nc
    with pytest.raises(Forbidden):
        services.update_nonconformance(actor=guest, nc=nc, expected_version=nc.version, title="x")
    with pytest.raises(NotFound):
        selectors.get_nonconformance(outsider, nc.pk)
    with pytest.raises(NotFound):
        services.raise_nonconformance(actor=outsider, organisation=org, title="x")


def test_an_admin_closes_when_the_process_has_no_owner(owner, org, member):
    from twofold.accounts.models import Role

    admin = member(org, Role.ADMIN)
    nc = services.raise_nonconformance(
        actor=owner, organisation=org, title="Loose cable", containment="Tied"
    )
    nc = _grounded(nc, owner)
    services.verify_nonconformance(
        actor=admin, nc=nc, expected_version=nc.version, verification="ok", effective=True
    )
    services.close_nonconformance(actor=admin, nc=nc, expected_version=nc.version)
    assert nc.status == "closed"


def test_moving_a_record_to_ones_own_process_does_not_hand_over_its_verification(
    owner, org, process, worker, guest
):
    """A member who owns another process moved a record there and then verified and closed
    it (until 2026-12-05); a guest who owns a process verified too, though guests only read."""
    canteen = ops_services.create_process(
        actor=owner, organisation=org, name="Canteen", owner=worker
    )
    nc = _manual(owner, org, process)
    with pytest.raises(Forbidden, match="Only the owner of its process or an admin"):
        services.update_nonconformance(
            actor=worker, nc=nc, expected_version=nc.version, process=canteen
        )
    nc.refresh_from_db()
    assert nc.process == process
    with pytest.raises(Forbidden):
        services.verify_nonconformance(
            actor=worker, nc=nc, expected_version=nc.version, verification="x", effective=True
        )
    library = ops_services.create_process(actor=owner, organisation=org, name="Library")
    # Owned by a guest (a member made a guest later; a guest can no longer be named owner).
    Process.objects.filter(pk=library.pk).update(owner=guest)
    library.refresh_from_db()
    guarded = _manual(owner, org, library)
    with pytest.raises(Forbidden):
        services.verify_nonconformance(
            actor=guest,
            nc=guarded,
            expected_version=guarded.version,
            verification="x",
            effective=True,
        )
    # The owner of its process (or an admin) may still move it.
    services.update_nonconformance(actor=owner, nc=nc, expected_version=nc.version, process=canteen)
    assert Nonconformance.objects.get(pk=nc.pk).process == canteen


def test_an_action_after_the_verification_needs_a_new_one_and_done_keeps_its_date(
    owner, org, process, process_owner, worker
):
    """A record closed on a verification older than its last action, and a done action whose
    date could be cleared, until 2026-12-05. Until 2026-12-05 too, the reset was a bare UPDATE
    (no history, no new version) and the page then said "Not effective"."""
    nc = _grounded(_manual(owner, org, process, containment="Stopped the line"), worker)
    services.verify_nonconformance(
        actor=process_owner,
        nc=nc,
        expected_version=nc.version,
        verification="Checked a week of labels",
        effective=True,
    )
    nc.refresh_from_db()
    verified_version = nc.version
    late = services.add_action(
        actor=worker,
        nc=nc,
        description="Retrain night shift",
        owner=worker,
        due_on=timezone.localdate() + dt.timedelta(days=7),
    )
    nc.refresh_from_db()
    assert (nc.effective, nc.verified_on, nc.verification_state, nc.version) == (
        None,
        timezone.localdate(),
        "needed_again",
        verified_version + 1,
    )
    entry = HistoryEntry.objects.filter(
        object_id=nc.pk, content_type__model="nonconformance"
    ).latest("pk")
    assert (entry.action, entry.summary, entry.changes) == (
        "verification reset",
        "Verification needed again: an action was added after it (Retrain night shift)",
        {"effective": [True, None]},
    )
    late = services.update_action(
        actor=worker, action=late, expected_version=late.version, status="done"
    )
    done_on = late.done_on
    assert done_on is not None
    late = services.update_action(
        actor=worker, action=late, expected_version=late.version, done_on=None
    )
    assert CapaAction.objects.get(pk=late.pk).done_on == done_on
    nc.refresh_from_db()
    assert nc.effective is None
    with pytest.raises(Invalid, match="Verify the effectiveness of the actions again") as exc:
        services.close_nonconformance(actor=process_owner, nc=nc, expected_version=nc.version)
    assert exc.value.field == "verification"


def test_reopening_an_action_resets_the_verification_and_the_page_says_so(
    client, owner, org, process, process_owner, worker
):
    nc = _grounded(_manual(owner, org, process, containment="Stopped the line"), worker)
    services.verify_nonconformance(
        actor=process_owner, nc=nc, expected_version=nc.version, verification="ok", effective=True
    )
    action = nc.actions.get()
    services.update_action(
        actor=worker, action=action, expected_version=action.version, status="open"
    )
    nc.refresh_from_db()
    assert (nc.effective, nc.verification_state) == (None, "needed_again")
    assert (
        HistoryEntry.objects.filter(object_id=nc.pk, content_type__model="nonconformance")
        .latest("pk")
        .summary
        == "Verification needed again: an action was reopened (Replace head)"
    )
    client.force_login(process_owner)
    page = client.get(f"/operations/quality/{nc.pk}/").content.decode()
    assert "Verification needed again" in page
    assert "Not effective" not in page


def test_found_effective_needs_a_root_cause_and_a_done_action(
    owner, org, process, process_owner, worker
):
    """With no action and no root cause, a record was verified effective and closed until
    2026-12-05."""
    nc = _manual(owner, org, process, containment="Quarantined the batch")
    with pytest.raises(Invalid, match="Record the root cause before finding") as exc:
        services.verify_nonconformance(
            actor=process_owner,
            nc=nc,
            expected_version=nc.version,
            verification="fine",
            effective=True,
        )
    assert exc.value.field == "root_cause"
    services.update_nonconformance(
        actor=worker, nc=nc, expected_version=nc.version, root_cause="Wrong label roll"
    )
    with pytest.raises(Invalid, match="Add at least one action and mark it done") as exc:
        services.verify_nonconformance(
            actor=process_owner,
            nc=nc,
            expected_version=nc.version,
            verification="fine",
            effective=True,
        )
    assert exc.value.field == "actions"
    nc.refresh_from_db()
    assert (nc.effective, nc.verified_on, nc.version) == (None, None, 2)
    # Found not effective needs neither: that is what sends the team back to work.
    services.verify_nonconformance(
        actor=process_owner,
        nc=nc,
        expected_version=nc.version,
        verification="Recurred",
        effective=False,
    )
    assert nc.effective is False


def test_verification_date_not_before_the_last_action_was_done(
    owner, org, process, process_owner, worker
):
    nc = _manual(owner, org, process, containment="x")
    Nonconformance.objects.filter(pk=nc.pk).update(raised_at=timezone.now() - dt.timedelta(days=14))
    nc.refresh_from_db()
    today = timezone.localdate()
    nc = _grounded(nc, worker, done_on=today - dt.timedelta(days=1))
    with pytest.raises(Invalid) as exc:
        services.verify_nonconformance(
            actor=process_owner,
            nc=nc,
            expected_version=nc.version,
            verification="No leaks",
            effective=True,
            verified_on=today - dt.timedelta(days=13),
        )
    assert exc.value.field == "verified_on"
    assert str(exc.value) == (
        f"The verification date ({dates.format_day(today - dt.timedelta(days=13))}) cannot be "
        f"before the last action was done ({dates.format_day(today - dt.timedelta(days=1))})."
    )
    assert Nonconformance.objects.get(pk=nc.pk).verified_on is None
    services.verify_nonconformance(
        actor=process_owner,
        nc=nc,
        expected_version=nc.version,
        verification="No leaks",
        effective=True,
        verified_on=today - dt.timedelta(days=1),
    )
    # A done action re-dated after the verification makes it stale.
    action = nc.actions.get()
    services.update_action(
        actor=worker, action=action, expected_version=action.version, done_on=today
    )
    nc.refresh_from_db()
    assert nc.verification_state == "needed_again"


def test_the_last_occurrence_of_an_ending_rule_is_missed_and_opens_one(owner, process):
    """The last occurrence of FREQ=DAILY;COUNT=2 stayed open for ever (no next one came due to
    supersede it), so a critical routine's final miss opened nothing, until 2026-12-05."""
    today = timezone.localdate()
    routine = ops_services.create_routine(
        actor=owner,
        process=process,
        name="One-off guard check",
        rrule="FREQ=DAILY;COUNT=2",
        starts_on=today,
        due_time=dt.time(9, 0),
        critical=True,
    )
    Routine.objects.filter(pk=routine.pk).update(schedule_from=None)
    routine.refresh_from_db()
    ops_services.generate_occurrences(routines=[routine])
    occurrences = Occurrence.objects.filter(routine=routine).order_by("due")
    assert [o.due.date() - routine.starts_on for o in occurrences] == [
        dt.timedelta(days=0),
        dt.timedelta(days=1),
    ]
    later = timezone.now() + dt.timedelta(days=3)
    ops_services.generate_occurrences(now=later, routines=[routine])
    ops_services.generate_occurrences(now=later, routines=[routine])  # a second pass
    assert [o.status for o in occurrences.all()] == ["missed", "missed"]
    assert Nonconformance.objects.filter(routine=routine, source="missed_routine").count() == 2


def test_an_ending_rules_last_occurrence_stays_open_until_it_is_due(owner, process):
    today = timezone.localdate()
    routine = ops_services.create_routine(
        actor=owner,
        process=process,
        name="Two checks",
        rrule="FREQ=DAILY;COUNT=2",
        starts_on=today + dt.timedelta(days=1),
        due_time=dt.time(9, 0),
    )
    ops_services.generate_occurrences(routines=[routine])
    assert list(Occurrence.objects.filter(routine=routine).values_list("status", flat=True)) == [
        "open",
        "open",
    ]


def test_past_due_occurrences_of_stopped_routines_are_missed(owner, routine):
    """An inactive or archived routine was skipped by the worker: its open occurrences past due
    stayed open for ever (until 2026-12-05)."""
    ops_services.update_routine(
        actor=owner, routine=routine, expected_version=routine.version, critical=True
    )
    routine.refresh_from_db()
    _past_occurrences(routine)
    ops_services.update_routine(
        actor=owner, routine=routine, expected_version=routine.version, active=False
    )
    past = Occurrence.objects.filter(routine=routine, due__lt=timezone.now())
    assert past.filter(status="open").count() >= 2
    ops_services.generate_occurrences()
    assert set(past.values_list("status", flat=True)) == {"missed"}
    assert not Occurrence.objects.filter(routine=routine, status="open").exists()
    assert Nonconformance.objects.filter(routine=routine).count() == past.count()
