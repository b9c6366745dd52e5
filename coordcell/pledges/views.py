"""The pledge's own page beyond the register's: record part of its delivered history."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from coordcell.registry.access import as_user, get_visible_or_404, refuse

from . import selectors
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
