from django.urls import path

from twofold.improvement import views

app_name = "improvement"

urlpatterns = [
    path("", views.board, name="board"),
]
