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
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
