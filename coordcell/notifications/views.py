"""The inbox and the preferences page. A user reads and changes only their own."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coordcell.registry.access import as_user, not_found, refuse
from coordcell.registry.registers import filter_errors, page_or_error

from . import selectors, services
from .forms import InboxFilterForm, PreferenceForm
from .models import EmailState, Kind
from .selectors import notifications_visible_to, preference_of
from .texts import reworded

PAGE_SIZE = 50


def inbox(request: HttpRequest) -> HttpResponse:
    user = as_user(request.user)
    if user is None:
        raise refuse("not an active user")
    notifications = notifications_visible_to(user)
    filters = InboxFilterForm(request.GET)
    list_errors = filter_errors(filters)
    unread_only = request.GET.get("unread") == "1"
    kind = request.GET.get("kind", "")
    if list_errors:
        notifications = notifications.none()  # never the whole inbox as if filtered
    else:
        if unread_only:
            notifications = notifications.filter(read_at__isnull=True)
        if kind:
            notifications = notifications.filter(kind=kind)
    page, page_error = page_or_error(Paginator(notifications, PAGE_SIZE), request.GET.get("page"))
    list_errors += [page_error] if page_error else []
    for n in page:
        # Stored as written for the recipient; read in the page's language (texts.reworded).
        setattr(n, "shown_subject", reworded(n.subject))  # noqa: B010
        setattr(n, "shown_body", reworded(n.body))  # noqa: B010
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread": selectors.unread_count(user),
            "EmailState": EmailState,
            "filters": filters,
            "kind": kind,
            "params": params.urlencode(),
            "list_errors": list_errors,
        },
        status=400 if list_errors else 200,
    )


def _ids(request: HttpRequest) -> list[int]:
    ids = []
    for value in request.POST.getlist("id"):
        try:
            ids.append(int(value))
        except ValueError:
            continue
    return ids


@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    user = as_user(request.user)
    if user is None:
        raise refuse("not an active user")
    if request.POST.get("all") == "1":
        count = services.notifications_mark_all_read(user=user)
    else:
        count = services.notification_mark_read(user=user, notification_ids=_ids(request))
    messages.success(request, _("%(count)s marked read.") % {"count": count})
    return HttpResponseRedirect(_back(request))


@require_POST
def open_notification(request: HttpRequest) -> HttpResponse:
    """Mark one of the user's notifications read and go to its record; the record's own page
    then applies its own access check (a record no longer visible answers 404 there)."""
    user = as_user(request.user)
    if user is None:
        raise refuse("not an active user")
    ids = _ids(request)
    notification = notifications_visible_to(user).filter(pk__in=ids[:1]).first()
    if notification is None:
        raise not_found("no such notification of this user")
    services.notification_mark_read(user=user, notification_ids=[notification.pk])
    link = notification.link
    safe = link.startswith("/") and url_has_allowed_host_and_scheme(
        link, allowed_hosts={request.get_host()}
    )
    return HttpResponseRedirect(link if safe else reverse("notifications:inbox"))


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/inbox/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return reverse("notifications:inbox")


def preferences(request: HttpRequest) -> HttpResponse:
    user = as_user(request.user)
    if user is None:
        raise refuse("not an active user")
    preference = preference_of(user)
    initial = {
        "email_kinds": preference.email_kinds if preference else list(Kind.values),
        "daily_digest": preference.daily_digest if preference else False,
        "language": preference.language if preference else "",
    }
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.preference_save(
            actor=user,
            user=user,
            email_kinds=form.cleaned_data["email_kinds"],
            daily_digest=form.cleaned_data["daily_digest"],
            language=form.cleaned_data["language"],
        )
        messages.success(request, _("Your notification settings are saved."))
        return HttpResponseRedirect(reverse("notifications:preferences"))
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "has_email": bool(user.email)},
    )
