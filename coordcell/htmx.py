"""The request our pages get: Django's, with the ``htmx`` details django-htmx's middleware adds
(settings.MIDDLEWARE). A view that reads ``request.htmx`` takes this type, as django-htmx
advises, so that the type checker knows the attribute."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
