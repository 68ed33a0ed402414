"""Services: reschedule moves successors, cycles refused by name, stale edits 409, gates, board."""

from __future__ import annotations

import datetime as dt

import pytest

from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound
from twofold.core.models import HistoryEntry
from twofold.projects import services
from twofold.projects.models import Link, Phase, Task


def _local(value):
    from django.utils import timezone

    return timezone.localtime(value).replace(tzinfo=None)


@pytest.mark.django_db
def test_chain_is_scheduled_on_working_days(chain):
    a, b, m = chain
    assert (_local(a.start), _local(a.finish)) == (
        dt.datetime(2025, 3, 3, 8),
        dt.datetime(2025, 3, 5, 17),
    )
    assert (_local(b.start), _local(b.finish)) == (
        dt.datetime(2025, 3, 6, 8),
        dt.datetime(2025, 3, 7, 17),
    )
    assert _local(m.finish) == dt.datetime(2025, 3, 7, 17)
    assert a.is_critical and b.is_critical and m.is_critical


@pytest.mark.django_db
def test_longer_duration_moves_successors_and_says_so(chain, owner):
    a, b, _m = chain
    task, moved = services.update_task(
        actor=owner, task=a, expected_version=a.version, duration_minutes=5 * 480
    )
    assert moved is not None
    assert sorted(t.name for t in moved.moved) == ["A", "B", "M"]
    assert moved.summary == "3 tasks moved; finish 7 Mar → 11 Mar"
    b.refresh_from_db()
    assert (_local(b.start), _local(b.finish)) == (
        dt.datetime(2025, 3, 10, 8),
        dt.datetime(2025, 3, 11, 17),
    )
    assert task.project.scheduled_finish is not None
    entry = HistoryEntry.objects.filter(action="updated", object_id=a.pk).get()
    assert entry.changes == {"duration_minutes": [1440, 2400]}


@pytest.mark.django_db
def test_cycle_is_refused_with_task_names(chain, owner, project):
    a, _b, m = chain
    with pytest.raises(Invalid) as err:
        services.add_link(actor=owner, project=project, pred=m, succ=a)
    assert err.value.message == "That link would create a dependency cycle: A → B → M → A."
    assert "uid" not in err.value.message
    assert Link.objects.filter(project=project).count() == 2


@pytest.mark.django_db
def test_stale_edit_is_a_conflict(chain, owner):
    a = chain[0]
    services.update_task(actor=owner, task=a, expected_version=a.version, name="A1")
    stale = Task.objects.get(pk=a.pk)
    with pytest.raises(Conflict):
        services.update_task(actor=owner, task=stale, expected_version=1, name="A2")
    assert Task.objects.get(pk=a.pk).name == "A1"


@pytest.mark.django_db
def test_lags_and_link_types(project, owner):
    a, _ = services.create_task(actor=owner, project=project, name="A", duration_minutes=4 * 480)
    b, _ = services.create_task(actor=owner, project=project, name="B", duration_minutes=480)
    services.add_link(actor=owner, project=project, pred=a, succ=b, type="SS", lag=2, lag_unit="d")
    b.refresh_from_db()
    assert _local(b.start) == dt.datetime(2025, 3, 5, 8)
    link = Link.objects.get(pred=a, succ=b)
    services.delete_link(actor=owner, link=link)
    services.add_link(actor=owner, project=project, pred=a, succ=b, type="FF", lag=50, lag_unit="%")
    b.refresh_from_db()
    assert _local(b.finish) == dt.datetime(2025, 3, 10, 17)


@pytest.mark.django_db
def test_permissions(project, chain, guest, outsider):
    with pytest.raises(Forbidden):
        services.create_task(actor=guest, project=project, name="X")
    with pytest.raises(NotFound):
        services.update_task(actor=outsider, task=chain[0], expected_version=None, name="X")


@pytest.mark.django_db
def test_indent_makes_a_summary(chain, owner, project):
    a, _b, _m = chain
    with pytest.raises(Invalid) as err:
        services.indent_task(actor=owner, task=chain[1])
    assert err.value.message.startswith("Remove the link between A and B first")
    b, _ = services.create_task(actor=owner, project=project, name="C", after=a)
    services.indent_task(actor=owner, task=b)
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.parent_id == a.pk and a.is_summary
    services.outdent_task(actor=owner, task=b)
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.parent_id is None and not a.is_summary


@pytest.mark.django_db
def test_status_done_sets_progress(chain, owner):
    a = chain[0]
    task, _ = services.update_task(actor=owner, task=a, expected_version=a.version, status="done")
    assert (
        task.percent_complete == 100
        and task.actual_finish is not None
        and task.actual_start is not None
    )
    assert task.project.percent_complete == pytest.approx(round(100 * 1440 / (1440 + 960 + 60), 1))


@pytest.mark.django_db
def test_board_moves_keep_order(chain, owner):
    a, b, m = chain
    services.move_card(actor=owner, task=m, status="doing")
    services.move_card(actor=owner, task=a, status="doing", before=Task.objects.get(pk=m.pk))
    services.move_card(
        actor=owner,
        task=b,
        status="doing",
        after=Task.objects.get(pk=a.pk),
        before=Task.objects.get(pk=m.pk),
    )
    order = list(
        Task.objects.filter(status="doing").order_by("board_key").values_list("name", flat=True)
    )
    assert order == ["A", "B", "M"]


@pytest.mark.django_db
def test_gate_needs_checklist_and_an_approver(project, owner, editor):
    gate = project.gates.get(phase=Phase.INITIATION)
    with pytest.raises(Forbidden):
        services.pass_gate(actor=editor, gate=gate)
    with pytest.raises(Invalid) as err:
        services.pass_gate(actor=owner, gate=gate)
    assert (
        err.value.message
        == "Complete the checklist first: Charter approved by the sponsor, Stakeholders identified."
    )
    for item in gate.items.all():
        services.toggle_gate_item(actor=editor, item=item)
    services.pass_gate(actor=owner, gate=gate)
    project.refresh_from_db()
    assert project.phase == Phase.PLANNING
    entry = HistoryEntry.objects.get(action="gate passed")
    assert entry.changes == {"phase": ["initiation", "planning"]} and entry.actor == owner


@pytest.mark.django_db
def test_sponsor_may_sign_off(project, owner, editor):
    services.update_project(
        actor=owner, project=project, expected_version=project.version, sponsor=editor
    )
    gate = project.gates.get(phase=Phase.INITIATION)
    gate.items.update(done=True)
    services.pass_gate(actor=editor, gate=gate)
    project.refresh_from_db()
    assert project.phase == Phase.PLANNING


@pytest.mark.django_db
def test_baselines_limit_and_snapshot(chain, owner, project):
    b = services.save_baseline(actor=owner, project=project, name="Approved")
    assert b.number == 0 and b.tasks.count() == 3
    for _ in range(10):
        services.save_baseline(actor=owner, project=project, name="More")
    with pytest.raises(Invalid):
        services.save_baseline(actor=owner, project=project, name="Twelfth")
    with pytest.raises(Conflict, match=r"Baseline 0 now holds “Approved”, saved .*, which you"):
        services.save_baseline(actor=owner, project=project, name="Re-plan", number=0)
    replaced = services.save_baseline(
        actor=owner, project=project, name="Re-plan", number=0, replaces=b.pk
    )
    assert replaced.name == "Re-plan" and project.baselines.count() == 11
    # Replacing what was read, when someone saved that number since: 409, nothing replaced.
    with pytest.raises(Conflict, match=r"“Re-plan”, saved .* by someone else since you read it"):
        services.save_baseline(actor=owner, project=project, name="Late", number=0, replaces=b.pk)
    assert project.baselines.get(number=0).pk == replaced.pk
