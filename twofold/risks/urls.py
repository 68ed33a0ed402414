from django.urls import path

from twofold.risks import views

app_name = "risks"

urlpatterns = [
    path("", views.register, name="register"),
    path("<int:risk_id>/", views.risk_detail, name="detail"),
    path("projects/<int:project_id>/", views.project_register, name="project"),
    path("projects/<int:project_id>/new/", views.risk_create, name="create"),
    path("projects/<int:project_id>/schedule/", views.schedule, name="schedule"),
]
