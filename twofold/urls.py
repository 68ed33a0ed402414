"""Root URL configuration: pages per app, the API under /api/, health at /healthz."""

from django.urls import include, path, re_path

from twofold.api import api, unknown_route
from twofold.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/", api.urls),
    # Any other path under /api/ answers as the API does: JSON, not the HTML "Not Found" page.
    re_path(r"^api/", unknown_route),
    path("accounts/", include("twofold.accounts.urls")),
    path("operations/quality/", include("twofold.quality.urls")),
    path("operations/", include("twofold.operations.urls")),
    path("risks/", include("twofold.risks.urls")),
    path("calendars/", include("twofold.calendars.urls")),
    path("capacity/", include("twofold.capacity.urls")),
    path("improvement/", include("twofold.improvement.urls")),
    path("fields/", include("twofold.customfields.urls")),
    path("attachments/", include("twofold.attachments.urls")),
    path("search/", include("twofold.search.urls")),
    path("templates/", include("twofold.project_templates.urls")),
    path("", include("twofold.interchange.urls")),
    path("closeout/", include("twofold.closeout.urls")),
    path("notifications/", include("twofold.notifications.urls")),
    path("comments/", include("twofold.comments.urls")),
    path("", include("twofold.activity.urls")),
    path("costs/", include("twofold.costs.urls")),
    path("changes/", include("twofold.changes.urls")),
    path("evm/", include("twofold.evm.urls")),
    path("", include("twofold.work.urls")),
    path("", include("twofold.core.urls")),
    path("", include("twofold.reports.urls")),
    path("", include("twofold.projects.urls")),
]
