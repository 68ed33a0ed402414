from django.urls import path

from twofold.closeout import views

app_name = "closeout"

urlpatterns = [
    path("handovers/<int:pk>/parts/<str:kind>/", views.section, name="section"),
    path("handovers/<int:pk>/hypercare/", views.hypercare, name="hypercare"),
    path("parts/<int:pk>/remove/", views.remove_part, name="remove_part"),
    path("lessons/", views.lessons, name="lessons"),
    path("lessons/<int:pk>/", views.lesson_detail, name="lesson"),
    path("projects/<int:pk>/lessons/", views.project_lessons, name="project_lessons"),
]
