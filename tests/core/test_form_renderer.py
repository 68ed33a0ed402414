"""The fast renderer writes exactly what Django's templates write (selects, inputs, textareas)."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from twofold.core.form_renderer import FastSelect, FastSelectRenderer

CHOICES: list[Any] = [
    ("", "---------"),
    (1, 'Ada "the <first>" & Co'),
    (2, mark_safe("<b>safe</b>")),
    ("Group & <co>", [("a", "A'1"), ("b", "B")]),
    (0, "Zero"),
    (3, gettext_lazy("Lazy <label> & 'quotes'")),
]


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (forms.Select(choices=CHOICES), 1),
        (
            forms.Select(choices=CHOICES, attrs={"class": "x", "data-q": 'a"b', "disabled": True}),
            "",
        ),
        (forms.Select(choices=CHOICES, attrs={"required": False, "aria-x": 0}), 0),
        (forms.SelectMultiple(choices=CHOICES), [1, "a"]),
        (forms.NullBooleanSelect(), None),
        (forms.Select(choices=[]), None),
    ],
)
def test_select_markup_is_identical_to_djangos_templates(widget: Any, value: Any) -> None:
    django_html = widget.render("who", value, attrs={"id": "id_who"}, renderer=DjangoTemplates())
    fast_html = widget.render("who", value, attrs={"id": "id_who"}, renderer=FastSelectRenderer())
    assert fast_html == django_html


@pytest.mark.parametrize(
    ("choices", "value", "attrs"),
    [
        (CHOICES[:3] + CHOICES[4:], 1, {}),
        (CHOICES[:3] + CHOICES[4:], "", {"class": "x", "data-q": 'a"b', "disabled": True}),
        (CHOICES[:3] + CHOICES[4:], 0, {"required": False, "aria-x": 0}),
        ([(None, "none"), (1, "one"), ("1", "one again")], "1", {}),  # only the first selected
        ([(1, "one")], None, {}),
        ([], None, {}),
        (CHOICES, "a", {}),  # groups take Django's path
    ],
)
def test_fast_select_writes_what_djangos_select_writes(
    choices: Any, value: Any, attrs: Any
) -> None:
    django_html = forms.Select(choices=choices, attrs=attrs).render(
        "who", value, attrs={"id": "id_who"}, renderer=DjangoTemplates()
    )
    fast = FastSelect(choices=choices, attrs=attrs)
    assert fast.render("who", value, attrs={"id": "id_who"}) == django_html
    assert fast.render("who", value, attrs={"id": "id_who"}, renderer=DjangoTemplates()) == (
        django_html
    )


def test_fast_select_kept_options_mark_each_renders_own_choice() -> None:
    """Plain pairs are escaped once and kept: later renders of the same list choose their own
    option (and only the first of equal values), exactly as Django writes them."""
    from twofold.core import form_renderer

    pairs = [("", "---------"), (1, 'Ann "A" <a>'), (2, "Bob & co"), ("2", "Bob again")]
    form_renderer._options.cache_clear()
    for value in (1, 2, None, "2", 1):
        django_html = forms.Select(choices=pairs).render(
            "who", value, attrs={"id": "id_who"}, renderer=DjangoTemplates()
        )
        assert FastSelect(choices=pairs).render("who", value, attrs={"id": "id_who"}) == django_html
    info = form_renderer._options.cache_info()
    assert (info.misses, info.hits) == (1, 4)


@pytest.mark.django_db
def test_a_people_field_writes_its_options_from_the_pairs(org: Any, member: Any) -> None:
    from twofold.accounts.models import Role
    from twofold.accounts.people_field import PeopleField

    member(org, Role.MEMBER, full_name='Zed <"z">')
    member(org, Role.MEMBER, full_name="Ann & co")

    class Form(forms.Form):
        who = PeopleField(required=False)

    form = Form(initial={"who": None})
    form.fields["who"].people_of(org)  # type: ignore[attr-defined]
    fast = str(form["who"])
    form.fields["who"].widget = forms.Select(choices=form.fields["who"].choices)
    assert fast == str(form["who"])
    assert "Ann &amp; co</option>" in fast and "Zed &lt;&quot;z&quot;&gt;</option>" in fast


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (forms.TextInput(), "a \"quoted\" <b> & 'x'"),
        (forms.TextInput(attrs={"class": "x", "disabled": True, "required": False}), None),
        (forms.TextInput(attrs={"data-safe": mark_safe("<i>"), "aria-n": 0}), mark_safe("<s>")),
        (forms.NumberInput(attrs={"step": "0.01"}), 12.5),
        (forms.HiddenInput(), 0),
        (forms.HiddenInput(), ""),
        (forms.EmailInput(), "a@b.example"),
        (forms.PasswordInput(render_value=True), "p<w>"),
        (forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), "2026-12-02"),
        (forms.CheckboxInput(), True),
        (forms.CheckboxInput(), False),
        (forms.Textarea(attrs={"rows": 6}), "line 1\n<script>x</script> & more"),
        (forms.Textarea(), ""),
        (forms.Textarea(), None),
        (forms.Textarea(), mark_safe("<b>safe</b>")),
    ],
)
def test_input_and_textarea_markup_is_identical_to_djangos_templates(
    widget: Any, value: Any
) -> None:
    django_html = widget.render("n", value, attrs={"id": "id_n"}, renderer=DjangoTemplates())
    fast_html = widget.render("n", value, attrs={"id": "id_n"}, renderer=FastSelectRenderer())
    assert fast_html == django_html


def test_whole_forms_render_identically() -> None:
    """Labels, errors, help text and every field of a bound, invalid form."""

    class Form(forms.Form):
        name = forms.CharField(max_length=3, help_text="Short <b>name</b>")
        when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
        note = forms.CharField(widget=forms.Textarea, required=False)
        kind = forms.ChoiceField(choices=[("a", "A & B"), ("c", "C")])
        ok = forms.BooleanField(required=False)
        files = forms.FileField(required=False)
        pick = forms.ChoiceField(choices=[("x", "X")], widget=forms.RadioSelect)

    data = {"name": "toolong<", "when": "nope", "note": "<p>", "kind": "c", "ok": "on"}
    fast = Form(data, renderer=FastSelectRenderer())
    django = Form(data, renderer=DjangoTemplates())
    assert str(fast) == str(django) and 'value="toolong&lt;"' in str(fast)


def test_other_widgets_still_use_the_templates() -> None:
    widget = forms.ClearableFileInput()
    assert widget.render("f", None, renderer=FastSelectRenderer()) == (
        widget.render("f", None, renderer=DjangoTemplates())
    )
    assert 'type="file"' in widget.render("f", None, renderer=FastSelectRenderer())


# core/partials/form_fields.html as it was, in the template language: {% form_fields %} must
# write exactly what it wrote (since 2026-12-05 with the errors under ``<id>_error``, the id
# Django's widget names in its ``aria-describedby``).
OLD_FORM_FIELDS = (
    '{% if form.non_field_errors %}<div class="form-errors" role="alert">{% for e in'
    " form.non_field_errors %}<p>{{ e }}</p>{% endfor %}</div>{% endif %}\n"
    "{% for field in form.hidden_fields %}{{ field }}{% endfor %}\n"
    "{% for field in form.visible_fields %}\n"
    '<div class="field{% if field.errors %} field-invalid{% endif %}">\n'
    '  <label for="{{ field.id_for_label }}">{{ field.label }}{% if field.field.required %}'
    ' <span class="req" aria-hidden="true">*</span>{% endif %}</label>\n'
    "  {{ field }}\n"
    '  {% if field.help_text %}<p class="help" id="{{ field.auto_id }}_helptext">'
    "{{ field.help_text }}</p>{% endif %}\n"
    '  {% if field.errors %}<div{% if field.auto_id %} id="{{ field.auto_id }}_error"{% endif %}>'
    "{% for e in field.errors %}"
    '<p class="error" role="alert">{{ e }}</p>{% endfor %}</div>{% endif %}\n'
    "</div>\n"
    "{% endfor %}\n"
)


@pytest.mark.parametrize("bound", [False, True])
@pytest.mark.parametrize("auto_id", ["id_%s", "x-%s", False])
def test_form_fields_tag_writes_what_the_template_wrote(bound: bool, auto_id: Any) -> None:
    from django.template import Context, Template
    from django.template.loader import render_to_string

    class Form(forms.Form):
        version = forms.IntegerField(widget=forms.HiddenInput)
        token = forms.CharField(widget=forms.HiddenInput, required=False)
        name = forms.CharField(label="Name <& 'co'>", max_length=3, help_text="Short <b>name</b>")
        when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
        kind = forms.ChoiceField(choices=[("a", "A & B"), ("c", "C")], show_hidden_initial=True)
        pick = forms.ChoiceField(choices=[("x", "X")], widget=forms.RadioSelect, required=False)

        def clean(self) -> Any:
            raise forms.ValidationError(["Whole <form> wrong", "and again"])

    data = {"version": "x", "name": "toolong<", "when": "nope", "kind": "c"}
    form = Form(data if bound else None, auto_id=auto_id, renderer=FastSelectRenderer())
    old = Template(OLD_FORM_FIELDS).render(Context({"form": form}))
    new = render_to_string("core/partials/form_fields.html", {"form": form})
    assert new == old
    if bound:
        assert "Whole &lt;form&gt; wrong" in new and "field-invalid" in new
        assert "Name &lt;&amp; &#x27;co&#x27;&gt;" in new
