"""Log-ins, log-outs and failed log-ins go into the audit chain too.

Django reports them only through its auth signals, so these receivers are the one place that
listens; they record and do nothing else.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from coordcell.registry.client_address import client_address

from .services import record


def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        record(
            actor=user,
            verb="login",
            target_type="registry.user",
            target_id=str(user.pk),
            target_repr=user.username,
            data={"address": client_address(request)},
        )


def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    with transaction.atomic():
        record(
            actor=user,
            verb="logout",
            target_type="registry.user",
            target_id=str(user.pk),
            target_repr=user.username,
            data={"address": client_address(request)},
        )


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    with transaction.atomic():
        record(
            actor=None,
            verb="login-failed",
            target_type="registry.user",
            target_id="",
            target_repr=username,
            data={"address": client_address(request)},
        )
