"""Second factor (TOTP, RFC 6238) with django-otp: optional for everyone, required for
coordinators where ``COORDCELL_2FA_REQUIRED`` is on (the default in production mode)."""

from __future__ import annotations

import base64
from collections.abc import Callable

import segno
from django import forms
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordcell.audit.services import record

from .client_address import client_address
from .models import Role, User

EXEMPT_PREFIXES = ("/login/", "/logout/", "/account/two-factor/", "/static/", "/i18n/")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _has_device(user: object) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def _required(user: object) -> bool:
    return bool(settings.COORDCELL_2FA_REQUIRED and getattr(user, "role", "") == Role.COORDINATOR)


class SecondFactorMiddleware:
    """After the password, a user with a device proves the second factor before anything else;
    a coordinator who must have one sets it up first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(EXEMPT_PREFIXES)
            and not request.path.startswith("/api/")
        ):
            if _has_device(user):
                return HttpResponseRedirect(f"{reverse('two-factor-verify')}?next={request.path}")
            if _required(user):
                return HttpResponseRedirect(reverse("two-factor-setup"))
        return self.get_response(request)


def verify(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)  # LoginRequiredMiddleware: a login comes first
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].replace(" ", "")
        devices = list(devices_for_user(request.user, confirmed=True))
        if devices and not all(d.verify_is_allowed()[0] for d in devices):
            form.add_error(
                "code",
                _("Too many wrong codes: wait a few seconds, then enter the code your app shows."),
            )
            return render(
                request, "registration/two_factor_verify.html", {"form": form}, status=429
            )
        for device in devices:
            if device.verify_token(code):
                otp_login(request, device)
                with transaction.atomic():
                    record(
                        actor=request.user, verb="login-second-factor", target=request.user, data={}
                    )
                target = request.GET.get("next", "/")
                if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                    target = "/"
                return HttpResponseRedirect(target)
        with transaction.atomic():
            record(
                actor=request.user,
                verb="second-factor-failed",
                target=request.user,
                data={"address": client_address(request)},
            )
        form.add_error(
            "code",
            _("That code is not valid (or was already used). Try the next one your app shows."),
        )
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def setup(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)  # LoginRequiredMiddleware: a login comes first
    # django-otp's middleware gives the user is_verified(); the library has no type hints.
    if _has_device(request.user) and not request.user.is_verified():  # type: ignore[attr-defined]
        return HttpResponseRedirect(reverse("two-factor-verify"))
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="authenticator", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].replace(" ", "")):
            with transaction.atomic():
                TOTPDevice.objects.filter(user=request.user, confirmed=True).delete()
                device.confirmed = True
                device.save()
                record(
                    actor=request.user, verb="second-factor-enabled", target=request.user, data={}
                )
            otp_login(request, device)
            return HttpResponseRedirect("/")
        form.add_error(
            "code",
            _(
                "That code does not match: check the clock of your device "
                "and enter the code currently shown."
            ),
        )
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=4)
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr": qr,
            "secret": secret,
            "required": _required(request.user),
            "enabled": _has_device(request.user),
        },
        status=400 if request.method == "POST" else 200,
    )
