"""Improvement items in the trash (registered from ``ImprovementConfig.ready``)."""

from __future__ import annotations

from django.urls import reverse

from twofold.core import trash
from twofold.core.policy import Action
from twofold.improvement.models import ImprovementItem


def register() -> None:
    trash.register(
        trash.TrashKind(
            model=ImprovementItem,
            noun="improvement item",
            action=Action.EDIT,
            url=lambda item: reverse("improvement:item", args=[item.pk]),
        )
    )
