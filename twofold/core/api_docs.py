"""The API documentation page (/api/docs): Swagger UI from our own static files, under our CSP.

django-ninja's default page loads swagger-ui from a CDN and bootstraps it inline; this one serves
the vendored copy (``static/vendor/swagger-ui``, see ``static/vendor/VERSIONS``) and starts it
from ``static/twofold/api-docs.js``, so the page works offline and runs no third-party origin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger, _csrf_needed

if TYPE_CHECKING:
    from ninja import NinjaAPI


class LocalSwagger(Swagger):
    template = "core/api/docs.html"

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        swagger_settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        context = {
            "swagger_settings": swagger_settings,
            "api": api,
            "add_csrf": _csrf_needed(api),
        }
        return render(request, self.template, context)
