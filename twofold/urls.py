"""Root URL configuration: pages per app, the API under /api/, health at /healthz."""

from django.urls import include, path

from twofold.api import api
from twofold.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/", api.urls),
    path("accounts/", include("twofold.accounts.urls")),
    path("operations/", include("twofold.operations.urls")),
    path("risks/", include("twofold.risks.urls")),
    path("calendars/", include("twofold.calendars.urls")),
    path("capacity/", include("twofold.capacity.urls")),
    path("improvement/", include("twofold.improvement.urls")),
    path("fields/", include("twofold.customfields.urls")),
    path("attachments/", include("twofold.attachments.urls")),
    path("search/", include("twofold.search.urls")),
    path("templates/", include("twofold.project_templates.urls")),
    path("", include("twofold.core.urls")),
    path("", include("twofold.projects.urls")),
]
