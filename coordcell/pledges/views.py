"""The pledge's own page beyond the register's: record part of its delivered history."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coordcell.registry.access import as_user, get_visible_or_404, refuse
from coordcell.registry.registers import page_or_error

from . import selectors, services
from .deliveries import pledge_delivery_save
from .forms import PledgeDeliveryForm
from .models import PledgeDelivery


def pledge_delivered(request: HttpRequest, pk: int) -> HttpResponse:
    """Record units of this pledge delivered before coordcell kept its shipments."""
    pledge = get_visible_or_404(selectors.pledges_editable_by(request.user), pk=pk)
    user = as_user(request.user)
    if user is None:  # found in its scope above: an active user
        raise refuse("not an active user")
    form = PledgeDeliveryForm(
        request.POST or None, instance=PledgeDelivery(pledge=pledge), user=user
    )
    if request.method == "POST" and form.is_valid():
        try:
            delivery = pledge_delivery_save(actor=user, delivery=form.instance)
        except PermissionDenied as exc:
            raise refuse(str(exc)) from exc
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                _("%(object)s recorded on %(pledge)s.")
                % {"object": delivery, "pledge": pledge.reference},
            )
            return HttpResponseRedirect(reverse("pledges:detail", args=[pk]))
    return render(
        request,
        "pledges/delivered.html",
        {"object": pledge, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def pledges_confirm(request: HttpRequest) -> HttpResponse:
    """Confirm several offered pledges at once: tick them, confirm. Each goes through the pledge
    action; each refusal is listed with its reason, and the confirmed ones stay confirmed."""
    user = as_user(request.user)
    if user is None or not selectors.can_confirm_pledges(user):
        raise refuse("only the coordination cell confirms pledges")
    offered = selectors.pledges_to_confirm(user)
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("pledge") if v.isdigit() and len(v) < 19]
        chosen = list(offered.filter(pk__in=ids))
        # Ticked but no longer offered (confirmed or withdrawn meanwhile): said, not skipped.
        gone = list(
            selectors.pledges_editable_by(user)
            .filter(pk__in=set(ids) - {p.pk for p in chosen})
            .order_by("reference")
        )
        if not ids:
            messages.error(request, _("Tick the pledges to confirm first."))
        confirmed, refused = services.pledges_confirm(actor=user, pledges=[*chosen, *gone])
        if confirmed:
            messages.success(
                request,
                ngettext(
                    "%(n)d pledge confirmed: %(list)s.",
                    "%(n)d pledges confirmed: %(list)s.",
                    len(confirmed),
                )
                % {"n": len(confirmed), "list": ", ".join(p.reference for p in confirmed)},
            )
        for pledge, reason in refused:
            messages.error(
                request,
                _("%(pledge)s not confirmed: %(reason)s")
                % {"pledge": pledge.reference, "reason": reason},
            )
        return HttpResponseRedirect(reverse("pledges-confirm"))
    page, page_error = page_or_error(
        Paginator(offered.select_related("donor", "category").order_by("reference"), 100),
        request.GET.get("page"),
    )
    return render(
        request,
        "pledges/confirm.html",
        {"pledges": page, "page": page, "list_errors": [page_error] if page_error else []},
        status=400 if page_error else 200,
    )
