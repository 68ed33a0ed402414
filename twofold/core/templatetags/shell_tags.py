"""``{% app_header_nav %}`` and ``{% app_user_menu %}``: the signed-in shell of every page, written
in Python.

``base.html`` wrote the header (brand, main navigation, search, the user menu with the
organisation switcher and thirteen links) in the template language on every page: ~0.7 ms of a
task page whose budget is 12 ms (docs/benchmarks-web.md), most of it variable lookups and
``{% url %}`` nodes. These tags write the very same markup, byte for byte
(``tests/core/test_shell_tags.py`` renders the old template beside them), every value escaped.
The notification bell between the two stays a template (``{% notification_bell %}``): core
imports no feature app.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.safestring import SafeString, mark_safe

from twofold.core.escape import esc
from twofold.core.urlcache import fast_reverse

register = template.Library()

_CSRF = CsrfTokenNode()


def _attr(obj: Any, name: str) -> Any:
    """``obj.name`` as a template variable reads it: None (never an error) when it is missing,
    also through a lazy object that wraps None (``request.organisation`` without one)."""
    try:
        return getattr(obj, name)
    except AttributeError:
        return None


@register.simple_tag(takes_context=True)
def app_header_nav(context: template.Context) -> SafeString:
    """The header's start: brand, the main navigation (the page's section marked current) and,
    for a member of an organisation, the search box; ends where the bell begins."""
    request = context.get("request")
    current = context.get("nav_current") or context.get("section") or ""
    out = [
        '<header class="topbar" data-navmenu>\n'
        f'  <a class="brand" href="{esc(fast_reverse("projects:portfolio"))}" aria-label='
        '"Twofold home"><span class="brand-mark" aria-hidden="true">◐</span> Twofold</a>\n'
        '  <button type="button" class="navtoggle" aria-expanded="false" aria-controls="mainnav"'
        ' hidden><span class="navtoggle-icon" aria-hidden="true"></span>Menu</button>\n'
        '  <nav class="mainnav" id="mainnav" aria-label="Main">\n'
        "    <ul>\n      "
    ]
    for item in context.get("nav_items") or ():
        mark = ' aria-current="page"' if current == item["key"] else ""
        out.append(
            f'\n      <li><a href="{esc(item["url"])}"{mark}>{esc(item["label"])}</a></li>\n      '
        )
    out.append("\n    </ul>\n  </nav>\n  ")
    if _attr(request, "membership"):
        # The header search (twofold/search): a combobox over the top results, search/search.js.
        out.append(
            "\n"
            '  <form class="topsearch" role="search" aria-label="Search everything" method="get"'
            f' action="{esc(fast_reverse("search:page"))}">\n'
            '    <label for="topsearch-q" class="visually-hidden">Search projects, tasks,'
            " requests, risks, people and more</label>\n"
            '    <input id="topsearch-q" type="search" name="q" placeholder="Search…"'
            ' autocomplete="off" spellcheck="false"\n'
            '      role="combobox" aria-expanded="false" aria-controls="topsearch-results"'
            ' aria-autocomplete="list" aria-keyshortcuts="/"\n'
            f'      hx-get="{esc(fast_reverse("search:suggest"))}" hx-trigger="input changed'
            ' delay:200ms, search" hx-target="#topsearch-results" hx-sync="this:replace">\n'
            '    <div id="topsearch-results" class="topsearch-results"></div>\n'
            '    <p id="topsearch-status" class="visually-hidden" role="status"'
            ' aria-live="polite"></p>\n'
            "  </form>\n  "
        )
    out.append("\n  ")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


# The user menu's fixed links after "Your page" and "Mentions of me": (URL name, text, only with
# an organisation).
_LINKS = (
    ("notifications:inbox", "Notifications", False),
    ("notifications:settings", "Notification e-mail", False),
    ("activity:organisation", "Activity", True),
    ("accounts:profile", "Profile &amp; organisations", False),
    ("capacity:my_availability", "My availability", True),
    ("accounts:preferences", "Preferences", False),
    ("accounts:password_change", "Change password", False),
    ("accounts:tokens", "API tokens", False),
    ("interchange:feeds", "Calendar feeds", False),
)


@register.simple_tag(takes_context=True)
def app_user_menu(context: template.Context) -> SafeString:
    """The header's end, after the bell: the user menu (who, the organisation switcher, the
    personal links, sign out)."""
    request = context.get("request")
    user: Any = context["user"]
    organisation = _attr(request, "organisation")
    org_name = _attr(organisation, "name") or "No organisation"
    org_id = _attr(organisation, "id")
    csrf = _CSRF.render(context)
    name = esc(user.display_name)
    out = [
        "\n"
        '  <details class="usermenu">\n'
        f'    <summary aria-label="Account menu for {name}"><span class="avatar"'
        f' aria-hidden="true">{esc(user.initials)}</span><span class="usermenu-org">'
        f"{esc(org_name)}</span></summary>\n"
        '    <div class="usermenu-panel">\n'
        f'      <p class="usermenu-who"><strong>{name}</strong><br><span class="muted">'
        f"{esc(user.email)}</span></p>\n"
        '      <div class="usermenu-orgs" role="group" aria-label="Your organisations">\n'
        "        "
    ]
    switch = None
    for m in context.get("my_memberships") or ():
        other = esc(m.organisation.name)
        if m.organisation_id == org_id:
            out.append(f'<span class="usermenu-org-current" aria-current="true">✓ {other}</span>')
            continue
        if switch is None:
            switch = esc(fast_reverse("accounts:switch"))
        out.append(
            f'<form method="post" action="{switch}">{csrf}<input type="hidden"'
            f' name="organisation" value="{esc(str(m.organisation_id))}"><button type="submit"'
            f' class="linklike">Switch to {other}</button></form>'
        )
    out.append(
        "\n"
        f'        <a href="{esc(fast_reverse("accounts:organisation_new"))}">+ New organisation</a>\n'
        "      </div>\n"
        f'      <a href="{esc(fast_reverse("accounts:person", args=[user.pk]))}">Your page</a>\n'
        f'      <a href="{esc(fast_reverse("attachments:mentions"))}">Mentions of me</a>\n'
    )
    for url_name, text, with_organisation in _LINKS:
        if with_organisation:
            out.append("      ")
            if organisation:
                out.append(f'<a href="{esc(fast_reverse(url_name))}">{text}</a>')
            out.append("\n")
        else:
            out.append(f'      <a href="{esc(fast_reverse(url_name))}">{text}</a>\n')
    out.append(
        '      <a href="/api/docs">API documentation</a>\n'
        f'      <form method="post" action="{esc(fast_reverse("accounts:logout"))}">{csrf}'
        '<button type="submit" class="linklike">Sign out</button></form>\n'
        "    </div>\n"
        "  </details>\n"
        "</header>\n"
    )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
