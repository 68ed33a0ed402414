"""Demo notifications: what the worker would have told the Halvorsen people by now, and a few
hand-made ones (assigned, a comment on a followed task) for the demo sign-in."""

from __future__ import annotations

from twofold.accounts.models import Organisation, User
from twofold.demo.people import DEMO_EMAIL
from twofold.notifications import kinds, scans, services
from twofold.notifications.models import Notification


def load(org: Organisation, people: dict[str, User]) -> str:
    made = scans.run(scans.TIME_SCANS)  # SLA, due dates, missed routines, gates, handovers, KPIs
    demo = User.objects.filter(email=DEMO_EMAIL).first()
    others = [u for u in people.values() if demo is None or u.pk != demo.pk]
    if demo is not None and others:
        from twofold.projects.models import Task

        colleague = others[0]
        tasks = list(Task.objects.filter(organisation=org, is_summary=False).order_by("pk")[:2])
        for task in tasks:
            services.follow(demo, task, reason="assigned")
        if tasks:
            made += len(
                services.notify(
                    recipients=[demo],
                    kind=kinds.ASSIGNED,
                    actor=colleague,
                    target=tasks[0],
                    summary=f"{colleague.display_name} assigned you {tasks[0].name}",
                )
            )
        if len(tasks) > 1:
            made += len(
                services.notify(
                    recipients=[demo],
                    kind=kinds.COMMENT,
                    actor=colleague,
                    target=tasks[1],
                    summary=f"{colleague.display_name} commented on {tasks[1].name}: "
                    "“The supplier confirmed delivery for Thursday.”",
                )
            )
    total = Notification.objects.filter(organisation=org).count()
    return f"{total} notifications ({made} new)" if made or total else ""
