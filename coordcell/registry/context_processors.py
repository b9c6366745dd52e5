from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .access import as_user


def installation(request: HttpRequest) -> dict[str, Any]:
    user = as_user(getattr(request, "user", None))
    nav = []
    if user is not None:
        nav = [("Home", "/")]
        if user.sees_everything or user.is_donor_liaison or user.is_recipient_liaison:
            nav += [("Requirements", "/requirements/"), ("Pledges", "/pledges/")]
        nav += [
            ("Categories", "/categories/"),
            ("Locations", "/locations/"),
            ("Capabilities", "/capabilities/"),
            ("Coalitions", "/coalitions/"),
            ("Nations", "/nations/"),
            ("Organisations", "/organisations/"),
        ]
        if user.sees_everything:
            nav += [("Users", "/users/"), ("Audit trail", "/audit/")]
    return {"CLASSIFICATION": settings.COORDCELL_CLASSIFICATION, "nav": nav, "cc_user": user}
