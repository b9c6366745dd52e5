"""The requirement's own page beyond the register's: cancel it, with a reason."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coordcell.registry.access import as_user, get_visible_or_404, refuse

from . import selectors, services


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


def requirement_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    requirement = get_visible_or_404(selectors.requirements_editable_by(request.user), pk=pk)
    user = as_user(request.user)
    if user is None:  # found in its scope above: an active user
        raise refuse("not an active user")
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.requirement_cancel(
                actor=user,
                requirement=requirement,
                reason=form.cleaned_data["reason"],
            )
        except PermissionDenied as exc:
            raise refuse(str(exc)) from exc
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("%(object)s cancelled.") % {"object": requirement})
            return HttpResponseRedirect(reverse("requirements:detail", args=[pk]))
    return render(
        request,
        "requirements/cancel.html",
        {"object": requirement, "form": form},
        status=400 if request.method == "POST" else 200,
    )
