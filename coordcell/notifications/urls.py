from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.mark_read, name="read"),
    path("open/", views.open_notification, name="open"),
    path("preferences/", views.preferences, name="preferences"),
]
