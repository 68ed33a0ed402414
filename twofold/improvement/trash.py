"""Improvement items in the trash (registered from ``ImprovementConfig.ready``)."""

from __future__ import annotations

from django.urls import reverse

from twofold.core import trash
from twofold.core.policy import Action
from twofold.improvement.models import ImprovementItem


def _park_points(item: ImprovementItem) -> list[str]:
    # An item trashed before its points followed the trash still had them: none left behind.
    from twofold.operations.change_points import park_points
    from twofold.operations.models import ChangeSource

    park_points(ChangeSource.IMPROVEMENT, [item.pk])
    return []


def register() -> None:
    trash.register(
        trash.TrashKind(
            model=ImprovementItem,
            noun="improvement item",
            action=Action.EDIT,
            url=lambda item: reverse("improvement:item", args=[item.pk]),
            before_purge=_park_points,
        )
    )
