from django.urls import path

from . import views

app_name = "readiness"
urlpatterns = [
    path("", views.readiness, name="list"),
    path("recompute/", views.recompute, name="recompute"),
    path("new/", views.package_new, name="new"),
    path("<int:pk>/", views.package_detail, name="detail"),
    path("<int:pk>/edit/", views.package_edit, name="edit"),
]
