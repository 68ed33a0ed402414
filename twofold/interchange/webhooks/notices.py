"""The notification kind that tells admins a webhook endpoint was switched off."""

from __future__ import annotations

from twofold.notifications import kinds

WEBHOOK_DISABLED = kinds.register_kind(
    "webhook_disabled", "A webhook endpoint switched off after repeated failures"
).key
