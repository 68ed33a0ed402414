"""The lighter reads behind the Gantt, the board and the portfolio show the same as before."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from twofold.projects import selectors, services
from twofold.projects.models import Task


@pytest.fixture
def tree(project, owner):
    """Phase 1 (A, B with B.1), Phase 2 (C), then a top-level milestone M."""
    p1, _ = services.create_task(actor=owner, project=project, name="Phase 1")
    a, _ = services.create_task(actor=owner, project=project, name="A", parent=p1)
    b, _ = services.create_task(actor=owner, project=project, name="B", parent=p1)
    services.create_task(actor=owner, project=project, name="B.1", parent=b)
    p2, _ = services.create_task(actor=owner, project=project, name="Phase 2")
    services.create_task(actor=owner, project=project, name="C", parent=p2)
    services.create_task(actor=owner, project=project, name="M", is_milestone=True)
    services.add_link(actor=owner, project=project, pred=a, succ=b)
    return project


@pytest.mark.django_db
def test_outline_numbers_the_tree_like_wbs_rows(tree):
    full = [(r.task.pk, r.depth, r.wbs, r.task.is_summary) for r in selectors.wbs_rows(tree)]
    light = [(r.pk, r.depth, r.wbs, r.is_summary) for r in selectors.outline(tree)]
    assert light == full
    assert [r.wbs for r in selectors.outline(tree)] == ["1", "1.1", "1.2", "1.2.1", "2", "2.1", "3"]


@pytest.mark.django_db
def test_gantt_rows_read_only_the_page_in_outline_order(tree):
    shown = selectors.outline(tree)[2:5]
    rows = selectors.gantt_rows(tree, shown)
    assert [(r.task.name, r.wbs, r.depth) for r in rows] == [
        ("B", "1.2", 1),
        ("B.1", "1.2.1", 2),
        ("Phase 2", "2", 0),
    ]


@pytest.mark.django_db
def test_plan_extent_spans_tasks_and_baseline(tree, owner):
    services.save_baseline(actor=owner, project=tree, name="B0")
    starts = Task.objects.filter(project=tree).exclude(start=None).values_list("start", flat=True)
    finishes = Task.objects.filter(project=tree).values_list("finish", flat=True)
    first, last = selectors.plan_extent(tree, tree.baselines.get())
    assert (first, last) == (min(starts), max(f for f in finishes if f))


@pytest.mark.django_db
def test_board_cards_are_plain_rows_escaped(project, owner):
    t, _ = services.create_task(
        actor=owner, project=project, name="<b>Fix</b> & ship", assignee=owner, priority="urgent"
    )
    columns, lanes = selectors.board(project, swimlanes=True)
    todo = columns[0]
    assert [c.name for c in todo.cards] == ["<b>Fix</b> & ship"]
    html = str(todo.html)
    assert "&lt;b&gt;Fix&lt;/b&gt; &amp; ship" in html
    assert f'data-task="{t.pk}" data-version="{t.version}"' in html
    assert '<span class="badge badge-amber">Urgent</span>' in html
    assert f'title="{owner.display_name}"' in html
    assert [who for who, _cols in lanes] == [owner.display_name]


@pytest.mark.django_db
def test_portfolio_card_cache_follows_the_content(client, project, owner, chain):
    client.force_login(owner)
    assert "Press line upgrade" in client.get("/").content.decode()
    services.update_project(actor=owner, project=project, expected_version=project.version,
                            name="Press line upgrade II")  # fmt: skip
    page = client.get("/").content.decode()
    assert "Press line upgrade II" in page


def _columns(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.mark.django_db
def test_project_and_task_reads_build_what_the_orm_builds(tree, org, owner):
    """``get_project``/``get_task`` read through ``FastRead`` with several joins (nullable ones
    outer-joined): the same columns and the same related objects, empty keys cached as None."""
    from twofold.core.errors import NotFound
    from twofold.projects.models import Project

    Project.objects.filter(pk=tree.pk).update(manager=owner)
    orm_project = Project.objects.select_related("programme", "manager", "sponsor").get(pk=tree.pk)
    project = selectors.get_project(owner, org, tree.pk)
    assert _columns(project) == _columns(orm_project)
    assert _columns(project.manager) == _columns(owner)
    assert Project.manager.is_cached(project)
    assert Project.sponsor.is_cached(project) and project.sponsor is None
    assert Project.programme.is_cached(project) and project.programme is None

    child = Task.objects.get(project=tree, name="B.1")
    Task.objects.filter(pk=child.pk).update(assignee=owner)
    orm_task = Task.objects.select_related("assignee", "parent").get(pk=child.pk)
    task = selectors.get_task(owner, project, child.pk)
    assert _columns(task) == _columns(orm_task)
    assert _columns(task.parent) == _columns(orm_task.parent) and task.parent.name == "B"
    assert task.assignee == owner and Task.assignee.is_cached(task)
    top = Task.objects.get(project=tree, name="Phase 1")
    read = selectors.get_task(owner, project, top.pk)
    assert Task.parent.is_cached(read) and read.parent is None and read.assignee is None

    other = services.create_project(actor=owner, organisation=org, name="Elsewhere")
    with pytest.raises(NotFound):
        selectors.get_task(owner, other, child.pk)  # another project's task
    Task.objects.filter(pk=child.pk).update(deleted_at=project.created_at)
    with pytest.raises(NotFound):
        selectors.get_task(owner, project, child.pk)  # in the trash


@pytest.mark.django_db
def test_the_task_pages_panels_read_what_the_orm_reads(tree, org, owner, editor):
    """Comments (with mentions), attachments and custom fields of a task, read through
    ``FastRead``: the same rows in the same order with the same related objects."""
    import datetime as dt
    import decimal

    from twofold.attachments import selectors as attachments
    from twofold.attachments.models import Attachment
    from twofold.comments import selectors as comments
    from twofold.comments.models import Comment, Mention
    from twofold.customfields import selectors as fields
    from twofold.customfields.models import FieldDefinition, FieldValue

    task = Task.objects.get(project=tree, name="B.1")
    other = Task.objects.get(project=tree, name="C")
    when = dt.datetime(2026, 5, 4, 9, 30, tzinfo=dt.UTC)
    first = Comment.objects.create(
        organisation=org,
        target_kind="task",
        target_id=task.pk,
        author=owner,
        body="a",
        created_at=when,
    )
    Comment.objects.create(
        organisation=org,
        target_kind="task",
        target_id=task.pk,
        author=None,
        body="b",
        created_at=when,
    )
    Comment.objects.create(organisation=org, target_kind="task", target_id=other.pk, body="x")
    Mention.objects.create(organisation=org, comment=first, user=editor)
    fast = comments.comment_list(task)
    orm = list(comments.comments_of(task))
    assert [(c.pk, c.body, c.author) for c in fast] == [(c.pk, c.body, c.author) for c in orm]
    assert [c.body for c in fast] == ["a", "b"] and fast[1].author is None
    assert [m.user for m in fast[0].mentions.all()] == [editor]

    for name, at in (("old.pdf", when), ("new.pdf", when + dt.timedelta(days=1))):
        Attachment.objects.create(
            organisation=org,
            target_kind="task",
            target_id=task.pk,
            file=f"attachments/{name}",
            original_name=name,
            content_type="application/pdf",
            size=3,
            uploaded_by=editor,
            uploaded_at=at,
        )
    listed = attachments.attachment_list(task)
    assert [a.original_name for a in listed] == ["new.pdf", "old.pdf"]
    assert [a.pk for a in listed] == [a.pk for a in attachments.attachments_of(task)]
    assert listed[0].uploaded_by == editor and listed[0].file.name == "attachments/new.pdf"

    cost = FieldDefinition.objects.create(
        organisation=org, applies_to="task", name="Cost", kind="number", order=2
    )
    area = FieldDefinition.objects.create(
        organisation=org, applies_to="task", name="Area", kind="text", order=1
    )
    FieldDefinition.objects.create(organisation=org, applies_to="project", name="P", kind="text")
    FieldValue.objects.create(
        organisation=org,
        definition=cost,
        target_kind="task",
        target_id=task.pk,
        number_value=decimal.Decimal("12.5000"),
    )
    rows = fields.fields_for(task)
    assert [r.definition.name for r in rows] == ["Area", "Cost"]
    assert rows[0].value is None and rows[0].definition == area
    assert rows[1].value.number_value == decimal.Decimal("12.5000")
    assert rows[1].value.definition is rows[1].definition  # no query for it
    # Another task's value of the same field is not this task's; all of it in one query.
    FieldValue.objects.create(
        organisation=org, definition=area, target_kind="task", target_id=other.pk, text_value="x"
    )
    with CaptureQueriesContext(connection) as read:
        rows = fields.fields_for(task)
    assert len(read.captured_queries) == 1
    assert [(r.definition.name, r.value is None) for r in rows] == [("Area", True), ("Cost", False)]
    assert [r.value.pk for r in fields.fields_for(other) if r.value] == [
        FieldValue.objects.get(target_id=other.pk).pk
    ]
