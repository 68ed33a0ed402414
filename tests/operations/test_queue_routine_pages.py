"""The queue and routine pages: compiled reads equal to the ORM's, rows written in Python equal
to what the templates wrote, constant query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from twofold.accounts.models import Role
from twofold.operations import selectors, services
from twofold.operations.html_rows import (
    TicketActions,
    occurrence_rows,
    queue_list_rows,
    queue_tickets,
)
from twofold.operations.models import Occurrence, OccurrenceStatus, Priority, Request, Routine
from twofold.operations.models import Status as S

# The templates' loops these functions replaced, kept as the oracle.
OCCURRENCE_LOOP = Template(
    """{% for o in occurrences %}<tr>
  <td><a href="{% url 'operations:occurrence' o.id %}">{{ o.due|daytime:"weekday" }}</a></td>
  <td>{% if o.status == "done" %}{% if o.nonconforming %}<a class="badge badge-amber" href="{% url 'quality:list' %}?occurrence={{ o.id }}">completed with a nonconformance</a>{% elif o.late %}<span class="badge badge-amber">late</span>{% else %}<span class="badge badge-green">on time</span>{% endif %}{% elif o.status == "missed" %}<span class="badge badge-red">missed</span>{% if o.nonconforming %} <a class="small" href="{% url 'quality:list' %}?occurrence={{ o.id }}">nonconformance</a>{% endif %}{% elif o.due < now %}<span class="badge badge-red">overdue</span>{% else %}<span class="badge">upcoming</span>{% endif %}</td>
  <td>{{ o.completed_at|daytime|default:"—" }}</td><td>{{ o.completed_by|person:"" }}</td></tr>
{% endfor %}"""
)
TICKET_LOOP = Template(
    """{% for v in items %}
    <article class="ops-ticket ops-ticket-{{ v.badge }}">
      <a href="{% url 'operations:request' v.request.id %}">#{{ v.request.id }} {{ v.request.title }}</a>
      <p class="small"><span class="chip">{{ v.request.get_priority_display }}</span> {% include "operations/partials/sla.html" %}</p>
      <p class="small ops-ticket-who">{% if v.request.assignee_id %}{{ v.request.assignee|person }}{% else %}<span class="muted">Unassigned</span>{% endif %}</p>
      {% if can_contribute and key != "resolved" %}<div class="ops-ticket-actions">
        {% if v.request.assignee_id != user.id %}<form method="post" action="{% url 'operations:request_assignment' v.request.id %}">{% csrf_token %}<input type="hidden" name="action" value="assign"><input type="hidden" name="assignee" value="me"><input type="hidden" name="version" value="{{ v.request.version }}"><input type="hidden" name="next" value="{{ next }}"><button type="submit" class="btn btn-small">Assign to me</button></form>{% endif %}
        <form method="post" action="{% url 'operations:request_assignment' v.request.id %}" class="ops-ticket-prio">{% csrf_token %}<input type="hidden" name="action" value="priority"><input type="hidden" name="version" value="{{ v.request.version }}"><input type="hidden" name="next" value="{{ next }}"><label class="visually-hidden" for="prio-{{ v.request.id }}">Priority of #{{ v.request.id }}</label><select name="priority" id="prio-{{ v.request.id }}">{% for value, label in priorities %}<option value="{{ value }}"{% if value == v.request.priority %} selected{% endif %}>{{ label }}</option>{% endfor %}</select><button type="submit" class="btn btn-small">Set</button></form>
      </div>{% endif %}
    </article>
    {% endfor %}"""
)
LIST_LOOP = Template(
    """{% for v in open_views %}<tr><td><a href="{% url 'operations:request' v.request.id %}">#{{ v.request.id }} {{ v.request.title }}</a></td><td>{{ v.request.get_priority_display }}</td><td>{{ v.request.get_status_display }}</td><td>{{ v.request.assignee|person }}</td>
<td>{% if v.response.stopped %}<span class="badge badge-{% if v.response.state == 'met' %}green{% else %}red{% endif %}">{% if v.response.state == 'met' %}Met{% else %}Breached{% endif %}</span>{% else %}{{ v.response_text }}{% endif %}</td><td>{% include "operations/partials/sla.html" %}</td></tr>
{% endfor %}"""
)


def _occurrence(routine: Routine, due: dt.datetime, status: str, **extra: object) -> Occurrence:
    return Occurrence.objects.create(
        organisation=routine.organisation, routine=routine, due=due, status=status, **extra
    )


def test_the_routine_page_reads_and_writes_what_the_orm_and_template_did(
    client, owner, member, org, routine, django_assert_num_queries
):
    now = timezone.now()
    day = dt.timedelta(days=1)
    Occurrence.objects.filter(routine=routine).delete()
    checker = member(org, Role.MEMBER, full_name="Chris <Checker>")
    rows = [
        (now - 2 * day, OccurrenceStatus.DONE, {"completed_at": now - 3 * day}),  # on time
        (now - 3 * day, OccurrenceStatus.DONE, {"completed_at": now - 1 * day}),  # late
        (now - 4 * day, OccurrenceStatus.DONE, {"completed_at": now - 4 * day}),
        (now - 5 * day, OccurrenceStatus.MISSED, {}),
        (now - 6 * day, OccurrenceStatus.MISSED, {}),
        (now - 7 * day, OccurrenceStatus.OPEN, {}),  # overdue
        (now + 1 * day, OccurrenceStatus.OPEN, {}),  # upcoming
        (now - 119 * day, OccurrenceStatus.DONE, {"completed_at": now - 119 * day}),
        (now - 121 * day, OccurrenceStatus.DONE, {"completed_at": now - 121 * day}),  # not shown
    ]
    made = [_occurrence(routine, due, status, **extra) for due, status, extra in rows]
    # Nonconforming: set as the services set it (not a form field).
    Occurrence.objects.filter(pk__in=[made[2].pk, made[4].pk]).update(nonconforming=True)
    Occurrence.objects.filter(pk=made[0].pk).update(completed_by=checker)

    page = selectors.routine_page(routine, now)
    expected = list(
        Occurrence.objects.filter(routine=routine, due__gte=now - 120 * day)
        .select_related("completed_by")
        .order_by("-due")
    )
    assert [o.pk for o in page.occurrences] == [o.pk for o in expected]
    assert [o.pk for o in expected] == [made[i].pk for i in (6, 0, 1, 2, 3, 4, 5, 7)]
    assert (
        [s.text for s in page.steps]
        == [s.text for s in selectors.steps_of(routine.pk)]
        == [
            "Coolant concentration",
            "Guards work",
            "Anything unusual",
        ]
    )
    counted = selectors.with_on_time(Routine.objects.filter(pk=routine.pk), now).get()
    counts = ("on_time_count", "late_count", "missed_count", "overdue_count")
    assert [getattr(routine, c) for c in counts] == [getattr(counted, c) for c in counts]
    assert [getattr(routine, c) for c in counts] == [2, 1, 2, 1]
    assert routine.on_time_rate == 0.4  # type: ignore[attr-defined]

    html = occurrence_rows(page.occurrences, now)
    assert html == OCCURRENCE_LOOP.render(Context({"occurrences": expected, "now": now}))
    assert "Chris &lt;Checker&gt;" in html and "completed with a nonconformance" in html
    assert html.count(">nonconformance</a>") == 1 and html.count(">upcoming<") == 1

    client.force_login(owner)
    url = f"/operations/routines/{routine.pk}/"
    client.get(url)
    with django_assert_num_queries(
        8
    ):  # session, membership, routine, counts, rows, people, steps, origin
        shown = client.get(url).content.decode()
    assert html in shown and "2 missed" in shown
    for i in range(3):
        _occurrence(routine, now - (10 + i) * day, OccurrenceStatus.MISSED)
    with django_assert_num_queries(8):
        assert "5 missed" in client.get(url).content.decode()


@pytest.fixture
def board(owner, member, org, queue):
    """Requests in every column, one waiting (a paused clock), one resolved recently, one long
    ago (off the board), one assigned to the owner."""
    other = member(org, Role.MEMBER, full_name="Mo <Member>")
    made = {}
    for name, priority in [
        ("new", Priority.LOW),
        ("mine", Priority.CRITICAL),
        ("waiting", Priority.HIGH),
        ("resolved", Priority.NORMAL),
        ("old", Priority.NORMAL),
    ]:
        made[name] = services.create_request(
            actor=owner, queue=queue, title=f"<b>{name}</b>", priority=priority
        )

    def move(name: str, status: str) -> None:
        req = Request.objects.get(pk=made[name].pk)
        services.change_request_status(
            actor=owner, request=req, status=status, note="", expected_version=req.version
        )

    services.update_request(
        actor=owner, request=made["mine"], expected_version=made["mine"].version, assignee=owner
    )
    services.update_request(
        actor=owner, request=made["new"], expected_version=made["new"].version, assignee=other
    )
    move("mine", S.IN_PROGRESS)
    move("waiting", S.WAITING)
    move("resolved", S.RESOLVED)
    move("old", S.RESOLVED)
    Request.objects.filter(pk=made["old"].pk).update(
        resolved_at=timezone.now() - dt.timedelta(days=30)
    )
    return made


def test_the_queue_page_reads_what_the_orm_did(owner, queue, board):
    now = timezone.now()
    page = selectors.queue_page(queue, resolved_days=14, now=now)
    since = now - dt.timedelta(days=14)
    orm = [
        selectors.request_view(r, now)
        for r in selectors.requests_query()
        .filter(queue=queue)
        .exclude(resolved_at__lt=since)
        .order_by("-created_at")
    ]
    orm.sort(key=lambda v: (v.resolution.stopped, v.resolution.remaining_minutes))
    assert [v.request.pk for v in page.views] == [v.request.pk for v in orm]
    assert board["old"].pk not in [v.request.pk for v in page.views]
    assert [(v.response, v.resolution) for v in page.views] == [
        (v.response, v.resolution) for v in orm
    ]
    waiting = next(v for v in page.views if v.request.pk == board["waiting"].pk)
    assert waiting.paused
    # Attainment over 90 days: both resolved requests count (the old one too).
    stopped = Request.objects.filter(queue=queue, resolution_met__isnull=False)
    met = stopped.filter(resolution_met=True).count()
    assert stopped.count() == 2
    assert page.attainment == met / 2


def test_the_queue_rows_are_what_the_template_wrote(rf, owner, queue, board):
    now = timezone.now()
    views = selectors.queue_page(queue, resolved_days=14, now=now).views
    token = "tok<en>"
    for user_id, contribute in [(owner.pk, True), (None, False)]:
        actions = TicketActions(
            contribute, user_id, "/operations/queues/1/?view=board&x=<y>", token
        )
        for key in ("new", "resolved"):
            context = {
                "items": views,
                "key": key,
                "can_contribute": contribute,
                "user": {"id": user_id},
                "next": actions.next_path,
                "csrf_token": token,
                "priorities": Priority.choices,
            }
            html = queue_tickets(views, with_forms=key != "resolved", actions=actions)
            assert html == TICKET_LOOP.render(Context(context))
            assert ("Assign to me" in html) is (contribute and key == "new")
    mine = queue_tickets(views, with_forms=True, actions=TicketActions(True, owner.pk, "/", "t"))
    assert mine.count("Assign to me") == len(views) - 1  # not on the owner's own request
    assert "&lt;b&gt;mine&lt;/b&gt;" in mine and "Mo &lt;Member&gt;" in mine
    assert "paused · " in mine
    open_views = [v for v in views if not v.resolution.stopped]
    assert queue_list_rows(open_views) == LIST_LOOP.render(Context({"open_views": open_views}))
    assert ">Met</span>" in queue_list_rows(open_views)  # the owner answered: first response met


def test_the_queue_page_reads_in_constant_queries(client, owner, queue, board):
    client.force_login(owner)
    counts = {}
    for view in ("board", "list"):
        url = f"/operations/queues/{queue.pk}/?view={view}"
        client.get(url)
        with CaptureQueriesContext(connection) as small:
            client.get(url)
        counts[view] = len(small.captured_queries)
    assert counts == {"board": 10, "list": 10}
    for i in range(5):
        services.create_request(actor=owner, queue=queue, title=f"More {i}")
    for view, n in counts.items():
        with CaptureQueriesContext(connection) as large:
            html = client.get(f"/operations/queues/{queue.pk}/?view={view}").content.decode()
        assert len(large.captured_queries) == n
        assert "More 4" in html


VALUE_LOOP = Template(
    """{% for m in recent %}<tr{% if m.voided %} class="ops-voided"{% endif %}><td><a href="{% url 'operations:measurement' m.id %}">{{ m.measured_on|day }}</a></td><td class="num">{% if m.voided %}<s>{{ m.value|floatformat:"-2" }}</s>{% else %}{{ m.value|floatformat:"-2" }}{% endif %} {{ kpi.unit }}</td><td>{% if m.voided %}<span class="badge" title="{{ m.void_reason }}">voided</span>{% elif m.corrected %}<span class="badge badge-amber" title="Was {{ m.original_value|stringformat:'g' }}: {{ m.correction_reason }}">corrected</span>{% endif %}</td></tr>{% endfor %}"""
)
SIGNAL_LOOP = Template(
    """{% for s in view.signals reversed %}<tr class="ops-signal"><td>{{ s.description }}</td><td>{{ s.direction }}</td><td>{{ s.dates.0|day }}{% if s.dates|length > 1 %} – {{ s.dates|last|day }} ({{ s.dates|length }} points){% else %}: {{ s.values.0|floatformat:"-2" }}{% endif %}</td></tr>{% endfor %}"""
)


def test_the_kpi_rows_are_what_the_template_wrote():
    from types import SimpleNamespace

    from twofold.operations.html_rows import measurement_rows, signal_rows
    from twofold.operations.models import Measurement
    from twofold.operations.selectors import SignalView

    day = dt.date(2026, 3, 2)
    moment = timezone.now()
    rows = [
        Measurement(pk=1, measured_on=day, value=2.0),
        Measurement(pk=2, measured_on=day, value=2.456, original_value=9.5,
                    correction_reason='Typo "9.5" <fixed>'),
        Measurement(pk=3, measured_on=day, value=1234.5, voided_at=moment,
                    void_reason="Sensor & log <off>"),
        Measurement(pk=4, measured_on=day, value=-0.004),
    ]  # fmt: skip
    unit = "<%>"
    html = measurement_rows(rows, unit)
    expected = VALUE_LOOP.render(Context({"recent": rows, "kpi": {"unit": unit}}))
    assert html == expected
    assert '<tr class="ops-voided">' in html and "<s>1234.50</s> &lt;%&gt;" in html
    assert 'title="Was 9.5: Typo &quot;9.5&quot; &lt;fixed&gt;">corrected' in html
    assert ">2 &lt;%&gt;<" in html and ">2.46 &lt;%&gt;<" in html and ">0.00 &lt;%&gt;<" in html
    signals = [
        SignalView("beyond", "A point <outside>", "above / rising", [day], [3.14159]),
        SignalView("run", "Eight in a row", "below / falling", [day, day + dt.timedelta(7)],
                   [1.0, 2.0]),
    ]  # fmt: skip
    view = SimpleNamespace(signals=signals)
    assert signal_rows(signals) == SIGNAL_LOOP.render(Context({"view": view}))
    assert "(2 points)" in signal_rows(signals) and ": 3.14<" in signal_rows(signals)


def test_a_request_reassigned_between_the_boards_reads_still_shows_its_assignee(
    monkeypatch, owner, queue, board
):
    """The requests and their assignees are two statements: an assignee the second did not
    find (reassigned in between) is read when shown, never shown as nobody."""
    from twofold.operations import selectors as ops

    monkeypatch.setattr(ops._BOARD_ASSIGNEES, "all", lambda params: [])
    views = ops.queue_page(queue, resolved_days=14, now=timezone.now()).views
    mine = next(v for v in views if v.request.pk == board["mine"].pk)
    assert mine.request.assignee == owner
    unassigned = next(v for v in views if v.request.pk == board["waiting"].pk)
    assert unassigned.request.assignee is None
