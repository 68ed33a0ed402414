"""First run: while the database has no user, every page leads to the set-up page."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from twofold.accounts.models import User

# Paths that work before anyone exists: the set-up page itself, static files, health, the API.
_OPEN_PREFIXES = ("/accounts/setup/", "/static/", "/healthz", "/api/", "/favicon.ico")

# Once a user exists there is no going back to first run, so one positive answer is kept for
# the life of the process: anonymous requests then cost no query.
_state = {"has_users": False}


def instance_has_users() -> bool:
    if not _state["has_users"]:
        _state["has_users"] = User.objects.exists()
    return _state["has_users"]


def forget_users() -> None:
    """Tests that start from an empty database call this (the answer above is cached)."""
    _state["has_users"] = False


class FirstRunMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            not request.user.is_authenticated
            and not request.path.startswith(_OPEN_PREFIXES)
            and not instance_has_users()
        ):
            return redirect("accounts:setup")
        return self.get_response(request)
