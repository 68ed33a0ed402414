"""Continuous-improvement pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from twofold.core.web import organisation_required


@organisation_required
def board(request: HttpRequest) -> HttpResponse:
    return render(request, "improvement/pages/board.html", {"section": "improvement"})
