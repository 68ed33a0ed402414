"""How account e-mails (password reset, sign-up, invitations) leave.

Through the deliverer a feature app registers: the notifications app's outbox, which
``twofold worker`` sends with retries (``notifications.outbox``). The request that asks for a
password reset then writes one row whether or not it sends anything, instead of talking to the
mail server only when the address has an account (the time of the answer told which addresses
have one), and a mail server that is down delays the e-mail instead of losing it. Without a
registered deliverer (accounts alone) an e-mail is sent at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.mail import EmailMultiAlternatives

Deliver = Callable[[EmailMultiAlternatives, Any], object]
"""``deliver(message, recipient)``: ``recipient`` is the User it is for, or None."""

_deliverers: list[Deliver] = []


def register(deliver: Deliver) -> None:
    """Send account e-mails through ``deliver`` (the last one registered wins)."""
    if deliver not in _deliverers:
        _deliverers.append(deliver)


def deliver(message: EmailMultiAlternatives, recipient: Any = None) -> None:
    """Hand ``message`` (one recipient) to the registered deliverer, else send it now."""
    if _deliverers:
        _deliverers[-1](message, recipient)
    else:
        message.send()
