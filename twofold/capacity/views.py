"""Capacity pages: one pool of people, drawn on by projects and operations."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from twofold.core.web import organisation_required


@organisation_required
def usage(request: HttpRequest) -> HttpResponse:
    return render(request, "capacity/pages/usage.html", {"section": "people"})
