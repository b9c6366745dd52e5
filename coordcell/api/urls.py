"""/api/v1/: one resource per register, the audit trail, the schema and its documentation page.

To add a resource (allocation runs, shipments, ...): give its app a Register and a serializer, and
add an ``ApiResource`` to ``RESOURCES``.
"""

from __future__ import annotations

from typing import Any

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import SimpleRouter

from coordcell.pledges.register_defs import PLEDGES
from coordcell.registry import register_defs as reg
from coordcell.requirements.register_defs import REQUIREMENTS

from . import (
    deliveries,
    discrepancies,
    hub_capacities,
    inventory,
    notifications,
    readiness,
    shipments,
    training,
    views,
)
from . import serializers as s
from .allocation_runs import AllocationRunViewSet
from .resources import ApiResource, viewset_for
from .schedule_runs import ScheduleRunViewSet

RESOURCES = [
    ApiResource(
        PLEDGES,
        s.PledgeSerializer,
        codes=("allowed_hubs", "allowed_capabilities"),
        code_filters=("origin", "allowed_hubs"),
    ),
    ApiResource(
        REQUIREMENTS,
        s.RequirementSerializer,
        ordering_fields=("created_at",),
        code_filters=("category",),
    ),
    ApiResource(reg.NATIONS, s.NationSerializer),
    ApiResource(reg.ORGANISATIONS, s.OrganisationSerializer),
    ApiResource(reg.CATEGORIES, s.ItemCategorySerializer, codes=("can_serve",)),
    ApiResource(reg.LOCATIONS, s.LocationSerializer),
    ApiResource(reg.COALITIONS, s.CoalitionSerializer, codes=("lead_nations", "members")),
    ApiResource(reg.CAPABILITIES, s.CapabilitySerializer, ordering_fields=("coalition__name",)),
    *training.RESOURCES,
]

router = SimpleRouter(trailing_slash=False)
for resource in RESOURCES:
    router.register(resource.slug, viewset_for(resource), basename=f"api-{resource.slug}")
router.register("audit-events", views.AuditEventViewSet, basename="api-audit-events")
router.register("allocation-runs", AllocationRunViewSet, basename="api-allocation-runs")
router.register("schedule-runs", ScheduleRunViewSet, basename="api-schedule-runs")
router.register("shipments", shipments.ShipmentViewSet, basename="api-shipments")
router.register("serial-items", inventory.SerialItemViewSet, basename="api-serial-items")
router.register("discrepancies", discrepancies.DiscrepancyViewSet, basename="api-discrepancies")
router.register("hub-capacities", hub_capacities.HubCapacityViewSet, basename="api-hub-capacities")
router.register("notifications", notifications.NotificationViewSet, basename="api-notifications")
router.register(
    "capability-packages", readiness.CapabilityPackageViewSet, basename="api-capability-packages"
)
router.register("training-sessions", training.SessionViewSet, basename="api-training-sessions")
router.register("bookings", training.BookingViewSet, basename="api-bookings")
router.register(
    "pledge-deliveries", deliveries.PledgeDeliveryViewSet, basename="api-pledge-deliveries"
)


def _api_handles_its_own_auth(patterns: list[Any]) -> list[Any]:
    # The API answers 401 with problem details; the site's log-in redirect is for pages.
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns


api_patterns = _api_handles_its_own_auth(
    [
        *router.urls,
        path("me", views.me, name="api-me"),
        path("shipment-events", shipments.shipment_events, name="api-shipment-events"),
        path("changes", views.changes, name="api-changes"),
        path("inventory-checks", inventory.inventory_checks, name="api-inventory-checks"),
        path(
            "notification-preferences",
            notifications.notification_preferences,
            name="api-notification-preferences",
        ),
        # Logged in or a token, like every operation it describes.
        path(
            "schema",
            SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]),
            name="api-schema",
        ),
    ]
)
# Last: whatever names no operation answers with problem details, like every other API error.
api_patterns.append(re_path(r"^(?P<rest>.*)$", views.not_found, name="api-not-found"))
api_patterns[-1].callback.login_required = False

urlpatterns = [
    path("v1/docs", views.api_docs, name="api-docs"),  # before the API's catch-all
    path("v1/", include(api_patterns)),
    path("tokens/", views.token_list, name="api-tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_view, name="api-token-revoke"),
]
