from django.urls import path

from . import capacity_views

app_name = "hub-capacity"
urlpatterns = [
    path("", capacity_views.index, name="index"),
    path("hubs/<int:pk>/", capacity_views.hub_page, name="hub"),
    path("<int:pk>/edit/", capacity_views.edit, name="edit"),
    path("<int:pk>/delete/", capacity_views.delete, name="delete"),
]
