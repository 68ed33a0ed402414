from django.urls import path

from twofold.attachments import views

app_name = "attachments"

urlpatterns = [
    path("mentions/", views.my_mentions, name="mentions"),
    path("<int:attachment_id>/download/", views.download, name="download"),
    path("<int:attachment_id>/delete/", views.delete, name="delete"),
    path("<str:kind>/<int:target_id>/", views.attachments, name="list"),
]
