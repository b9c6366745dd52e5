"""Creating and revoking API tokens, each recorded in the audit trail."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from coordcell.audit.services import record
from coordcell.registry.access import as_user
from coordcell.registry.models import User

from .models import TOKEN_PREFIX, ApiToken, token_digest


def can_create_token(actor: Any, user: Any) -> bool:
    """Whether ``actor`` may create an API token for ``user``.

    Decision (docs/security.md): a user creates its own tokens, except an auditor, who reads only
    and changes nothing, a new credential included. A coordinator issues an auditor's token (the
    command line, ``coordcell token create USER``, acts as the cell's system account): an
    auditor's tools read the audit trail through the API (``/api/v1/audit-events`` with its
    cursor), and the token's issue is then a coordinator's act in the trail. Revoking stays open to
    everyone, auditors included: it only takes access away."""
    a = as_user(actor)  # the command line's system account too (a coordinator, no row)
    if a is None or as_user(user) is None:
        return False
    if a.is_coordinator:
        return True
    return a.pk == user.pk and not user.is_auditor


def token_create(*, actor: Any, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns it with the raw token, which is never stored."""
    if not user.is_active:
        raise PermissionDenied(f"{user.username} is disabled: it cannot get a token.")
    if not can_create_token(actor, user):
        raise PermissionDenied(
            "An auditor changes nothing, so creates no token: a coordinator issues it "
            f"(coordcell token create {user.username})."
            if getattr(actor, "pk", None) == user.pk
            else f"You may not create a token for {user.username}."
        )
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
