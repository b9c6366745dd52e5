"""``{{ text|refs }}``: a text (a readiness bottleneck, a critical path step, a cause) with each
record reference in it as a link to the list that finds it (``P-000123`` → the pledges
searched for it). The link only finds what the reader may see: the list applies its access
function, so a reference the text names but the reader may not open lists nothing."""

from __future__ import annotations

import re

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

REFERENCE_RE = re.compile(r"\b(TS|CO|P|R|S)-\d{5,6}\b")
LISTS = {
    "P": "pledges:list",
    "R": "requirements:list",
    "S": "logistics:list",
    "TS": "training-sessions:list",
    "CO": "cohorts:list",
}


def _list_url(prefix: str) -> str:
    try:
        return reverse(LISTS[prefix])
    except NoReverseMatch:  # an app not installed
        return ""


@register.filter
def refs(text: object) -> SafeString:
    value = "" if text is None else str(text)
    parts: list[SafeString] = []
    at = 0
    for match in REFERENCE_RE.finditer(value):
        url = _list_url(match.group(1))
        if not url:
            continue
        parts.append(format_html("{}", value[at : match.start()]))
        parts.append(format_html('<a href="{}?q={}">{}</a>', url, match.group(0), match.group(0)))
        at = match.end()
    parts.append(format_html("{}", value[at:]))
    return format_html_join("", "{}", ((p,) for p in parts))
