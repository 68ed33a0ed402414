from django.urls import path

from twofold.work import views

app_name = "work"

urlpatterns = [
    path("my-work/", views.my_work, name="my_work"),
]
