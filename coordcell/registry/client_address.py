"""The address a request comes from, for login throttling and the audit trail.

The TCP peer (REMOTE_ADDR), unless that peer is one of COORDCELL_TRUSTED_PROXIES: then the
address the proxies saw, read from the right of X-Forwarded-For (each proxy appends the address
it was connected from; anything further left was written by the client and may be forged), the
first entry that is not itself a trusted proxy.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def client_address(request: Any) -> str:
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    trusted = set(settings.COORDCELL_TRUSTED_PROXIES)
    if remote not in trusted:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return remote
