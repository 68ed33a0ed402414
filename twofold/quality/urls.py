from django.urls import path

from twofold.quality import views

app_name = "quality"

urlpatterns = [
    path("", views.nonconformance_list, name="list"),
    path("new/", views.nonconformance_new, name="new"),
    path("processes/<int:process_id>/", views.process_list, name="process"),
    path("processes/<int:process_id>/audit/", views.audit_export, name="audit"),
    path("audit/<int:job_id>/download/", views.audit_download, name="audit_download"),
    path("<int:pk>/", views.nonconformance_detail, name="detail"),
    path("<int:pk>/actions/<int:action_id>/", views.action_edit, name="action"),
]
