"""Project pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from twofold.core.web import organisation_required


@organisation_required
def portfolio(request: HttpRequest) -> HttpResponse:
    return render(request, "projects/pages/portfolio.html", {"section": "portfolio"})


@organisation_required
def project_list(request: HttpRequest) -> HttpResponse:
    return render(request, "projects/pages/project_list.html", {"section": "projects"})
