"""Deletes of rows someone may have changed meanwhile send the version read (page: hidden;
API: ``?version=``): a field renamed and put to a new use, a template edited, a webhook
endpoint changed is not deleted by a page drawn before (409); until 2026-12-06 the delete took
whatever the row had become, a field with all its values."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.customfields import services as field_services
from twofold.customfields.models import FieldDefinition
from twofold.interchange.webhooks import services as webhook_services
from twofold.interchange.webhooks.models import WebhookEndpoint
from twofold.project_templates import services as template_services
from twofold.project_templates.models import ProjectTemplate

pytestmark = pytest.mark.django_db


def test_a_stale_field_delete_keeps_the_field_and_its_values(
    client: Any, api: Any, org: Any, owner: Any
) -> None:
    field = field_services.create_definition(
        actor=owner, organisation=org, name="Budget code", applies_to="project", kind="text"
    )
    read = field.version
    field_services.update_definition(
        actor=owner, definition=field, expected_version=read, name="Cost centre"
    )
    client.force_login(owner)
    page = client.post(f"/fields/{field.pk}/delete/", {"version": read}, follow=True)
    assert "Someone changed the field Cost centre since you read it" in page.content.decode()
    url = f"/api/organisations/{org.pk}/fields/{field.pk}"
    assert api(owner).delete(f"{url}?version={read}").status_code == 409
    assert FieldDefinition.objects.filter(pk=field.pk).exists()
    assert api(owner).delete(f"{url}?version={read + 1}").status_code == 204


def test_a_stale_template_delete_keeps_the_template(
    client: Any, api: Any, org: Any, owner: Any, project: Any
) -> None:
    template = template_services.save_as_template(actor=owner, project=project, name="Line")
    read = template.version
    template_services.update_template(
        actor=owner, template=template, expected_version=read, name="Line upgrade"
    )
    client.force_login(owner)
    page = client.post(f"/templates/{template.pk}/delete/", {"version": read}, follow=True)
    assert "Someone changed the template Line upgrade since you read it" in page.content.decode()
    url = f"/api/organisations/{org.pk}/templates/{template.pk}"
    assert api(owner).delete(f"{url}?version={read}").status_code == 409
    assert ProjectTemplate.objects.filter(pk=template.pk).exists()
    assert api(owner).delete(f"{url}?version={read + 1}").status_code == 204


def test_a_stale_webhook_delete_keeps_the_endpoint(
    client: Any, api: Any, org: Any, owner: Any, settings: Any
) -> None:
    settings.TWOFOLD_OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]
    endpoint, _secret = webhook_services.create_endpoint(
        actor=owner, organisation=org, url="http://127.0.0.1:9/hook", event_types=["task.created"]
    )
    read = endpoint.version
    webhook_services.update_endpoint(
        actor=owner,
        endpoint=endpoint,
        expected_version=read,
        url="http://127.0.0.1:9/other",
        event_types=["task.created", "task.changed"],
    )
    client.force_login(owner)
    page = client.post(f"/settings/webhooks/{endpoint.pk}/delete/", {"version": read})
    assert page.status_code == 409
    assert "Someone changed this endpoint since you read it" in page.content.decode()
    url = f"/api/organisations/{org.pk}/webhooks/{endpoint.pk}"
    assert api(owner).delete(f"{url}?version={read}").status_code == 409
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert api(owner).delete(f"{url}?version={read + 1}").status_code == 204
