from django.urls import path

from twofold.interchange import export_views, mspdi_views, org_views, sheet_views, views
from twofold.interchange.webhooks import views as webhook_views

app_name = "interchange"

urlpatterns = [
    path("feeds/", views.feeds, name="feeds"),
    path("feeds/<int:feed_id>/revoke/", views.feed_revoke, name="feed_revoke"),
    path("feeds/<str:secret>.ics", views.feed, name="feed"),
    path("exports/<slug:what>.<slug:fmt>", export_views.export, name="export"),
    path("imports/project-file/", mspdi_views.mspdi_new, name="mspdi"),
    path("imports/project-file/<int:upload_id>/", mspdi_views.mspdi_upload, name="mspdi_upload"),
    path("imports/spreadsheet/", sheet_views.sheet_new, name="sheet_new"),
    path("imports/spreadsheet/<int:sheet_id>/", sheet_views.sheet_upload, name="sheet"),
    path("organisation/transfer/", org_views.org_transfer, name="org_transfer"),
    path("organisation/import/", org_views.org_import, name="org_import"),
    path(
        "organisation/exports/<int:job_id>/download/",
        org_views.org_export_download,
        name="org_export_download",
    ),
    path("projects/<int:project_id>/export.xml", mspdi_views.project_mspdi, name="project_mspdi"),
    path("settings/webhooks/", webhook_views.webhooks, name="webhooks"),
    path("settings/webhooks/<int:endpoint_id>/", webhook_views.webhook, name="webhook"),
    path(
        "settings/webhooks/<int:endpoint_id>/rotate-secret/",
        webhook_views.webhook_rotate,
        name="webhook_rotate",
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/test/", webhook_views.webhook_test, name="webhook_test"
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/delete/",
        webhook_views.webhook_delete,
        name="webhook_delete",
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/",
        webhook_views.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
