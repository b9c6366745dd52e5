"""The training registers, each under its own namespace ("courses:list", ...), at /training/."""

from django.urls import include, path

from coordcell.registry.views import register_urls

from .register_defs import BOOKINGS, COHORTS, COURSES, SESSIONS, TRAINING_SITES

urlpatterns = [
    path("courses/", include(register_urls(COURSES))),
    path("sites/", include(register_urls(TRAINING_SITES))),
    path("sessions/", include(register_urls(SESSIONS))),
    path("cohorts/", include(register_urls(COHORTS))),
    path("bookings/", include(register_urls(BOOKINGS))),
]
