from django.urls import URLPattern

app_name = "customfields"

urlpatterns: list[URLPattern] = []
