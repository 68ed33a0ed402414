"""The signed-in shell written in Python (``{% app_header_nav %}`` / ``{% app_user_menu %}``)
writes what ``base.html``'s template wrote, byte for byte."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from twofold.accounts.models import Membership, Organisation, Role, User
from twofold.core.middleware import current_membership

# base.html's header before the tags (the reference they must match).
OLD_HEADER = '<header class="topbar" data-navmenu>\n  <a class="brand" href="{% url \'projects:portfolio\' %}" aria-label="Twofold home"><span class="brand-mark" aria-hidden="true">◐</span> Twofold</a>\n  <button type="button" class="navtoggle" aria-expanded="false" aria-controls="mainnav" hidden><span class="navtoggle-icon" aria-hidden="true"></span>Menu</button>\n  <nav class="mainnav" id="mainnav" aria-label="Main">\n    <ul>\n      {% firstof nav_current section "" as current %}{% for item in nav_items %}\n      <li><a href="{{ item.url }}"{% if current == item.key %} aria-current="page"{% endif %}>{{ item.label }}</a></li>\n      {% endfor %}\n    </ul>\n  </nav>\n  {% if request.membership %}{# Header search (twofold/search): a combobox over the top results; search/search.js #}\n  <form class="topsearch" role="search" aria-label="Search everything" method="get" action="{% url \'search:page\' %}">\n    <label for="topsearch-q" class="visually-hidden">Search projects, tasks, requests, risks, people and more</label>\n    <input id="topsearch-q" type="search" name="q" placeholder="Search…" autocomplete="off" spellcheck="false"\n      role="combobox" aria-expanded="false" aria-controls="topsearch-results" aria-autocomplete="list" aria-keyshortcuts="/"\n      hx-get="{% url \'search:suggest\' %}" hx-trigger="input changed delay:200ms, search" hx-target="#topsearch-results" hx-sync="this:replace">\n    <div id="topsearch-results" class="topsearch-results"></div>\n    <p id="topsearch-status" class="visually-hidden" role="status" aria-live="polite"></p>\n  </form>\n  {% endif %}\n  {% notification_bell %}{# the unread count: twofold/notifications, loaded by htmx after the page #}\n  <details class="usermenu">\n    <summary aria-label="Account menu for {{ user.display_name }}"><span class="avatar" aria-hidden="true">{{ user.initials }}</span><span class="usermenu-org">{{ request.organisation.name|default:"No organisation" }}</span></summary>\n    <div class="usermenu-panel">\n      <p class="usermenu-who"><strong>{{ user.display_name }}</strong><br><span class="muted">{{ user.email }}</span></p>\n      <div class="usermenu-orgs" role="group" aria-label="Your organisations">\n        {% for m in my_memberships %}{% if m.organisation_id == request.organisation.id %}<span class="usermenu-org-current" aria-current="true">✓ {{ m.organisation.name }}</span>{% else %}<form method="post" action="{% url \'accounts:switch\' %}">{% csrf_token %}<input type="hidden" name="organisation" value="{{ m.organisation_id }}"><button type="submit" class="linklike">Switch to {{ m.organisation.name }}</button></form>{% endif %}{% endfor %}\n        <a href="{% url \'accounts:organisation_new\' %}">+ New organisation</a>\n      </div>\n      <a href="{% url \'accounts:person\' user.pk %}">Your page</a>\n      <a href="{% url \'attachments:mentions\' %}">Mentions of me</a>\n      <a href="{% url \'notifications:inbox\' %}">Notifications</a>\n      <a href="{% url \'notifications:settings\' %}">Notification e-mail</a>\n      {% if request.organisation %}<a href="{% url \'activity:organisation\' %}">Activity</a>{% endif %}\n      <a href="{% url \'accounts:profile\' %}">Profile &amp; organisations</a>\n      {% if request.organisation %}<a href="{% url \'capacity:my_availability\' %}">My availability</a>{% endif %}\n      <a href="{% url \'accounts:preferences\' %}">Preferences</a>\n      <a href="{% url \'accounts:password_change\' %}">Change password</a>\n      <a href="{% url \'accounts:tokens\' %}">API tokens</a>\n      <a href="{% url \'interchange:feeds\' %}">Calendar feeds</a>\n      <a href="/api/docs">API documentation</a>\n      <form method="post" action="{% url \'accounts:logout\' %}">{% csrf_token %}<button type="submit" class="linklike">Sign out</button></form>\n    </div>\n  </details>\n</header>\n'

OLD = "{% load notifications_tags %}{% if user.is_authenticated %}\n" + OLD_HEADER + "{% endif %}"
NEW = (
    "{% load notifications_tags shell_tags %}{% if user.is_authenticated %}\n"
    "{% app_header_nav %}{% notification_bell %}{% app_user_menu %}{% endif %}"
)


def _both(user: Any, path: str = "/projects/", **extra: Any) -> tuple[str, str]:
    request = RequestFactory().get(path)
    request.user = user
    request.session = SessionStore()
    membership = SimpleLazyObject(lambda: current_membership(request))
    request.membership = membership  # type: ignore[attr-defined]
    request.organisation = SimpleLazyObject(  # type: ignore[attr-defined]
        lambda: membership.organisation if membership else None
    )
    from twofold.core.context_processors import section_for

    extra.setdefault("nav_current", section_for(path))
    old = Template(OLD).render(RequestContext(request, extra))
    new = Template(NEW).render(RequestContext(request, extra))
    # Each rendering masks the CSRF token afresh: compare everything else.
    return _MASKED.sub("TOKEN", old), _MASKED.sub("TOKEN", new)


_MASKED = re.compile(r'(?<=name="csrfmiddlewaretoken" value=")[^"]+')


@pytest.mark.django_db
def test_the_shell_is_the_same_bytes_as_the_template(
    make_org: Callable[..., Organisation], member: Callable[..., User]
) -> None:
    home = make_org('Acme <Engineering> & "Sons"')
    user = member(home, Role.OWNER, full_name="Olivia 'O' <Owner>")
    Membership.objects.create(organisation=make_org("Rival & Co"), user=user, role=Role.MEMBER)
    old, new = _both(user)
    assert new == old
    assert 'aria-current="page">Projects</a>' in new  # the section, from the path
    assert "Switch to Rival &amp; Co" in new and 'name="csrfmiddlewaretoken"' in new
    assert "✓ Acme &lt;Engineering&gt; &amp; &quot;Sons&quot;" in new
    assert "Olivia &#x27;O&#x27; &lt;Owner&gt;" in new and 'id="topsearch-q"' in new
    assert ">Activity</a>" in new and ">My availability</a>" in new
    # A page outside the navigation's prefixes lights the section its view passes.
    old, new = _both(user, "/elsewhere/", section="settings")
    assert new == old and 'aria-current="page">Settings</a>' in new


@pytest.mark.django_db
def test_without_an_organisation_and_signed_out(make_user: Callable[..., User]) -> None:
    old, new = _both(make_user(full_name=""), "/elsewhere/")
    assert new == old
    assert "No organisation" in new and 'id="topsearch-q"' not in new
    assert ">Activity</a>" not in new and "aria-current" not in new and "Switch to" not in new
    old, new = _both(AnonymousUser())
    assert new == old == ""
