"""The close-out demo: the pilot's accepted handover built a routine, a KPI and a queue in
hypercare; two lessons, one an improvement item; a drafted handover awaits acceptance."""

from __future__ import annotations

from twofold.closeout import selectors
from twofold.closeout.demo import ENERGY_KPI, ENERGY_ROUTINE
from twofold.closeout.models import HandoverPart, Lesson
from twofold.demo.people import DEMO_EMAIL
from twofold.operations.models import Kpi, Queue, Routine


def test_demo_story_and_pages(client, demo_summary):
    from twofold.accounts.models import User

    summary = demo_summary
    assert f"1 handover accepted (a routine, the KPI {ENERGY_KPI} and a queue" in summary
    kpi = Kpi.objects.get(name=ENERGY_KPI)
    assert kpi.process.name == "Preventive maintenance"
    assert kpi.measurements.count() == 12
    routine = Routine.objects.get(name=ENERGY_ROUTINE)
    assert routine.steps.count() == 3
    queue = Queue.objects.get(name="Energy meter faults")
    assert selectors.hypercare_for_queue(queue).active
    assert [n.project_name for n in selectors.origins_of(kpi)] == ["Energy monitoring pilot"]
    lessons = Lesson.objects.order_by("created_at", "id")
    assert lessons.count() == 2
    assert lessons[0].improvement_item.process.name == "Preventive maintenance"
    assert lessons[1].improvement_item is None
    drafted = HandoverPart.objects.filter(handover__project__code="OPX-05")
    assert sorted(drafted.values_list("kind", flat=True)) == ["kpi", "routine"]

    client.force_login(User.objects.get(email=DEMO_EMAIL))
    assert "Handed over to Preventive maintenance" in client.get("/").content.decode()
    for url in [
        f"/operations/kpis/{kpi.pk}/",
        f"/operations/routines/{routine.pk}/",
        f"/operations/queues/{queue.pk}/",
        "/closeout/lessons/",
        *[f"/closeout/lessons/{lesson.pk}/" for lesson in lessons],
        f"/closeout/projects/{lessons[0].project_id}/lessons/",
        *[f"/improvement/handovers/{p.handover_id}/" for p in HandoverPart.objects.all()],
    ]:
        assert client.get(url).status_code == 200, url
