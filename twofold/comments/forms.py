from __future__ import annotations

from django import forms

from twofold.comments.services import MAX_CHARS
from twofold.core.form_copies import fast_copies


@fast_copies
class CommentForm(forms.Form):
    """The text of a comment; the length limit is the service's (a clear message, not a cut)."""

    body = forms.CharField(
        label="Comment",
        strip=False,
        help_text="Markdown. Type @ and a colleague's name or e-mail to mention them.",
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_CHARS}),
    )
    # Read by the edit view with ``core.web.posted_version``: a missing or garbled version is a
    # conflict (409), never a form error on a field nobody sees nor a write without the check.
    version = forms.CharField(required=False, widget=forms.HiddenInput)
