"""``{{ value|svg }}``: a value inside an SVG element, through ``coordcell.escaping.svg``."""

from django import template
from django.utils.safestring import SafeString

from coordcell import escaping

register = template.Library()


@register.filter(is_safe=True)
def svg(value: object) -> SafeString:
    return escaping.svg(value)
