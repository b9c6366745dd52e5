from typing import Any

from django.http import HttpRequest

from coordcell.registry.access import as_user

from .selectors import unread_count


def inbox(request: HttpRequest) -> dict[str, Any]:
    """The unread count beside the inbox link of every page's header."""
    user = as_user(getattr(request, "user", None))
    return {"inbox_unread": unread_count(user) if user is not None else 0}
