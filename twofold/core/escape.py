"""``esc``: Django's ``conditional_escape`` with a fast path for plain strings.

Django's ``escape`` is ``html.escape(str(text))`` behind a lazy-argument check (``keep_lazy``)
that costs several microseconds a call; the app's Python-written markup (form fields, selects,
the history panel) makes hundreds of calls a page. A plain ``str`` — not a safe string, not lazy
text — is escaped directly, with the same result; anything else goes through Django.
"""

from __future__ import annotations

from html import escape as _html_escape
from typing import Any

from django.utils.html import conditional_escape


def esc(value: Any) -> str:
    """``str(conditional_escape(value))``."""
    if type(value) is str:
        return _html_escape(value)
    return str(conditional_escape(value))
