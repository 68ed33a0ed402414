"""Deleting a task moves its whole subtree, with comments and attachments, to the trash: a
confirmation read before someone else changed the task or added to it is refused (409) and
nothing is deleted (until 2026-12-06 the delete took whatever was there by then)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from twofold.comments import services as comment_services
from twofold.projects import services
from twofold.projects.models import Task


def _hidden(body: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', body)
    assert found is not None, name
    return found.group(1)


@pytest.mark.django_db
def test_a_stale_confirmation_deletes_nothing(client: Any, project: Any, owner: Any) -> None:
    task, _ = services.create_task(actor=owner, project=project, name="Install")
    url = f"/projects/{project.pk}/tasks/{task.pk}/delete/"
    client.force_login(owner)
    page = client.get(url).content.decode()
    form = {"version": _hidden(page, "version"), "impact": _hidden(page, "impact")}
    assert form["impact"] == "1:0:0:0"
    # Someone adds a subtask and a comment: the task's own version does not move.
    services.create_task(actor=owner, project=project, name="Anchor bolts", parent=task)
    comment_services.add_comment(actor=owner, target=task, body="Crane booked for Tuesday")
    stale = client.post(url, form)
    assert stale.status_code == 409
    body = stale.content.decode()
    assert "“Install” changed since you opened this" in body and "1 subtask, 1 comment" in body
    assert Task.objects.filter(project=project).count() == 2
    # The page drawn again carries what the delete takes now: confirming it deletes.
    again = {"version": _hidden(body, "version"), "impact": _hidden(body, "impact")}
    assert again["impact"] == "2:0:1:0"
    assert client.post(url, again).status_code == 302
    assert not Task.objects.filter(project=project).exists()


@pytest.mark.django_db
def test_a_stale_version_deletes_nothing_on_the_page_or_the_api(
    client: Any, api: Any, org: Any, project: Any, owner: Any
) -> None:
    task, _ = services.create_task(actor=owner, project=project, name="Install")
    read = task.version
    services.update_task(actor=owner, task=task, expected_version=read, name="Install press")
    client.force_login(owner)
    page = client.post(f"/projects/{project.pk}/tasks/{task.pk}/delete/", {"version": read})
    assert page.status_code == 409
    url = f"/api/organisations/{org.pk}/projects/{project.pk}/tasks/{task.pk}"
    assert api(owner).delete(f"{url}?version={read}").status_code == 409
    assert Task.objects.filter(pk=task.pk).exists()
    assert api(owner).delete(f"{url}?version={read + 1}").status_code == 204
    assert not Task.objects.filter(pk=task.pk).exists()
