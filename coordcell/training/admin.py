from django.contrib import admin
from django.http import HttpRequest

from coordcell.audit.admin import AuditedAdmin

from .models import Blackout, Booking, Cohort, CohortStep, Course, Session, TrainingSite


@admin.register(Course)
class CourseAdmin(AuditedAdmin):
    list_display = ["code", "name", "system", "skill", "duration_weeks", "max_class_size"]
    search_fields = ["code", "name"]
    filter_horizontal = ["prerequisites"]


class BlackoutInline(admin.TabularInline):
    model = Blackout
    extra = 1


@admin.register(TrainingSite)
class TrainingSiteAdmin(AuditedAdmin):
    list_display = ["location", "seats_per_week", "instructors"]
    filter_horizontal = ["courses"]
    inlines = [BlackoutInline]


@admin.register(Session)
class SessionAdmin(AuditedAdmin):
    list_display = ["reference", "course", "site", "start_date", "seats", "booked_trainees"]
    list_filter = ["status"]
    search_fields = ["reference"]
    readonly_fields = ["booked_trainees"]


class CohortStepInline(admin.TabularInline):
    model = CohortStep
    extra = 1


@admin.register(Cohort)
class CohortAdmin(AuditedAdmin):
    list_display = ["reference", "unit", "trainees", "capability", "earliest_release"]
    search_fields = ["reference", "unit"]
    inlines = [CohortStepInline]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Read-only here: bookings are made through the booking service, which guards the seats."""

    list_display = ["cohort", "session", "source", "run"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Booking | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Booking | None = None) -> bool:
        return False
