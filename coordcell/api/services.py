"""Creating and revoking API tokens, each recorded in the audit trail."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from coordcell.audit.services import record
from coordcell.registry.models import User

from .models import TOKEN_PREFIX, ApiToken, token_digest


def token_create(*, actor: Any, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns it with the raw token, which is never stored."""
    if not user.is_active:
        raise PermissionDenied(f"{user.username} is disabled: it cannot get a token.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name.strip() or "API token", hint=raw[:10], digest=token_digest(raw)
        )
        record(
            actor=actor,
            verb="token-create",
            target=token,
            data={"user": user.username, "name": token.name, "hint": token.hint},
        )
    return token, raw


def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke a token at once: requests carrying it are refused from now on."""
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(
            actor=actor,
            verb="token-revoke",
            target=token,
            data={"user": token.user.username, "hint": token.hint},
        )
    return token


def token_used(*, token: ApiToken, at: Any) -> None:
    """Note when a token was last used (not audited: it is a reading, not a change)."""
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=at)
    token.last_used_at = at


def tokens_of(user: Any) -> Any:
    return ApiToken.objects.filter(user=user) if isinstance(user, User) else ApiToken.objects.none()
