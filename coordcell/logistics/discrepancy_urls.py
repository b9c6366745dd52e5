"""The register of discrepancies across shipments, at /discrepancies/."""

from django.urls import path

from . import discrepancy_views as views

app_name = "discrepancies"
urlpatterns = [
    path("", views.register, name="list"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]
