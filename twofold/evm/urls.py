from django.urls import path

from twofold.evm import views

app_name = "evm"

urlpatterns = [
    path("", views.portfolio_page, name="portfolio"),
    path("projects/<int:project_id>/", views.project_page, name="project"),
    path("projects/<int:project_id>/export/", views.project_export, name="export"),
]
