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
        registers = [
            ("Categories", "/categories/"),
            ("Locations", "/locations/"),
            ("Capabilities", "/capabilities/"),
            ("Coalitions", "/coalitions/"),
            ("Nations", "/nations/"),
            ("Organisations", "/organisations/"),
        ]
        if user.sees_everything:
            registers += [("Users", "/users/")]
            nav += [("Audit trail", "/audit/")]
    return {
        "CLASSIFICATION": settings.COORDCELL_CLASSIFICATION,
        "nav": nav,
        "nav_registers": registers,
        "cc_user": user,
    }
