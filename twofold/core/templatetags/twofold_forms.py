"""``{% form_fields form %}``: a form's fields in the app's markup, written in Python.

``core/partials/form_fields.html`` (included by every form of the app) used to loop over the
fields in the template language: per field a label, the widget, help text and errors, each value
through the template engine's variable lookups and filters. This tag writes the very same markup,
byte for byte (``tests/core/test_form_renderer.py`` compares it with the old template), so every
page with a form renders faster; the widgets themselves come from the form's renderer as before.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from twofold.core.escape import esc

register = template.Library()

REQUIRED = ' <span class="req" aria-hidden="true">*</span>'


def _text(value: Any) -> str:
    """What ``{{ value }}`` writes: the value escaped (``None`` reads "None", as there)."""
    return esc(value)


@register.simple_tag
def form_fields(form: Any) -> SafeString:
    """The non-field errors, the hidden fields, then each visible field with its label (marked
    when required), widget, help text (``<id>_helptext``, which the widget's
    ``aria-describedby`` names) and errors."""
    out: list[str] = []
    errors = form.non_field_errors()
    if errors:
        out.append('<div class="form-errors" role="alert">')
        out.extend(f"<p>{_text(e)}</p>" for e in errors)
        out.append("</div>")
    out.append("\n")
    out.extend(_text(field) for field in form.hidden_fields())
    out.append("\n")
    for field in form.visible_fields():
        field_errors = field.errors
        invalid = " field-invalid" if field_errors else ""
        required = REQUIRED if field.field.required else ""
        help_text = field.help_text
        help_html = (
            f'<p class="help" id="{_text(field.auto_id)}_helptext">{_text(help_text)}</p>'
            if help_text
            else ""
        )
        # Django's widget names ``<id>_error`` in its ``aria-describedby`` when the field has
        # errors: the message carries that id, so a screen reader reads it with the field.
        error_html = (
            (f'<div id="{_text(field.auto_id)}_error">' if field.auto_id else "<div>")
            + "".join(f'<p class="error" role="alert">{_text(e)}</p>' for e in field_errors)
            + "</div>"
            if field_errors
            else ""
        )
        out.append(
            f'\n<div class="field{invalid}">\n'
            f'  <label for="{_text(field.id_for_label)}">{_text(field.label)}{required}</label>\n'
            f"  {_text(field)}\n"
            f"  {help_html}\n"
            f"  {error_html}\n"
            "</div>\n"
        )
    out.append("\n")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
