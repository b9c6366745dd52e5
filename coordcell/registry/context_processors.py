from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .access import as_user


def installation(request: HttpRequest) -> dict[str, Any]:
    user = as_user(getattr(request, "user", None))
    nav: list[tuple[str, str]] = []
    registers: list[tuple[str, str]] = []
    if user is not None:
        nav = [("Home", "/")]
        if user.sees_everything or user.is_donor_liaison or user.is_recipient_liaison:
            nav += [("Requirements", "/requirements/"), ("Pledges", "/pledges/")]
        if user.sees_everything:
            nav += [("Allocation", "/allocation/")]
        elif user.is_donor_liaison:
            nav += [("Allocations", "/allocation/committed/")]
        if user.sees_everything or user.is_donor_liaison or user.is_recipient_liaison:
            nav += [
                ("Shipments", "/logistics/"),
                ("Discrepancies", "/discrepancies/"),
                ("Inventory", "/logistics/inventory/"),
            ]
        if user.sees_everything:
            nav += [("Delays", "/logistics/delays/"), ("Hubs", "/logistics/hubs/")]
        elif user.is_donor_liaison and user.nation is not None:  # implied by the role
            nav += [("Late shipments", f"/logistics/donors/{user.nation.code}/late/")]
        if user.sees_everything or user.is_recipient_liaison or user.is_training_site_officer:
            nav += [("Training", "/training/sessions/"), ("Cohorts", "/training/cohorts/")]
        if user.sees_everything:
            nav += [("Training schedule", "/training/runs/")]
        nav += [("Readiness", "/readiness/")]
        registers = [
            ("Categories", "/categories/"),
            ("Locations", "/locations/"),
            ("Capabilities", "/capabilities/"),
            ("Coalitions", "/coalitions/"),
            ("Nations", "/nations/"),
            ("Organisations", "/organisations/"),
        ]
        registers += [("Courses", "/training/courses/"), ("Training sites", "/training/sites/")]
        if user.sees_everything:
            registers += [("Users", "/users/"), ("Hub capacities", "/hub-capacities/")]
            nav += [("Audit trail", "/audit/")]
        if user.is_coordinator or user.is_donor_liaison or user.is_recipient_liaison:
            nav += [("Import", "/import/")]
        registers += [("API", "/api/v1/docs"), ("API tokens", "/api/tokens/")]
    return {
        "CLASSIFICATION": settings.COORDCELL_CLASSIFICATION,
        "nav": nav,
        "nav_registers": registers,
        "cc_user": user,
    }
