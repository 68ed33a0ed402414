from __future__ import annotations

from django import forms

from twofold.interchange.webhooks.events import EVENT_TYPES, OBJECT_LABELS, VERBS


class WebhookEndpointForm(forms.Form):
    """Register or change a webhook endpoint (the service checks the URL's address)."""

    url = forms.CharField(
        label="Payload URL",
        max_length=500,
        help_text="An http:// or https:// address on the internet; Twofold POSTs JSON there.",
        widget=forms.TextInput(
            attrs={"inputmode": "url", "placeholder": "https://example.com/hooks/twofold"}
        ),
    )
    description = forms.CharField(label="Description", max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=EVENT_TYPES,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "webhook-events"}),
        error_messages={"required": "Choose at least one event type."},
    )
    active = forms.BooleanField(label="Active", required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def event_grid(form: WebhookEndpointForm) -> list[dict[str, object]]:
    """The event checkboxes as rows (object) × columns (created, changed, deleted), each cell
    None where that event does not exist (a KPI signal is only raised)."""
    if form.is_bound:
        chosen = set(form.data.getlist("event_types")) if hasattr(form.data, "getlist") else set()
    else:
        chosen = set(form.initial.get("event_types") or [])
    keys = {key for key, _label in EVENT_TYPES}
    return [
        {
            "label": label,
            "cells": [
                {
                    "key": f"{kind}.{verb}",
                    "label": f"{label} {verb}",
                    "checked": f"{kind}.{verb}" in chosen,
                }
                if f"{kind}.{verb}" in keys
                else None
                for verb in VERBS
            ],
        }
        for kind, label in OBJECT_LABELS.items()
    ]
