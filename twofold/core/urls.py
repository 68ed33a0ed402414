from django.urls import path

from twofold.core import trash_views, views

app_name = "core"

urlpatterns = [
    path("favicon.ico", views.favicon, name="favicon"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("jobs/<int:job_id>/cancel/", views.job_cancel, name="job_cancel"),
    path("trash/", trash_views.trash_list, name="trash"),
    path("trash/<int:entry_id>/restore/", trash_views.trash_restore, name="trash_restore"),
    path("trash/<int:entry_id>/purge/", trash_views.trash_purge, name="trash_purge"),
]
