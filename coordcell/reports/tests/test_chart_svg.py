"""The charts' SVG: names are text in it, whatever they hold, and it is well-formed XML.

Every value inside an ``<svg>`` element goes through ``|svg`` (coordcell.escaping.svg) or is a
number written without the language's decimal comma.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from coordcell.escaping import printable
from coordcell.registry.models import Location, Nation, Role

from .test_briefing_payloads import GROUPS

SVG_ELEMENTS = {"svg", "title", "line", "text", "a", "rect"}


def _svgs(page: str) -> list[ET.Element]:
    found = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
    return [ET.fromstring(m) for m in found]  # noqa: S314  # our own page, in a test


@pytest.mark.parametrize("payloads", GROUPS, ids=[repr(g) for g in GROUPS])
def test_payload_names_are_text_in_the_charts_svg(
    picture_world: Any, client_for: Any, payloads: list[str]
) -> None:
    names = [*payloads, "Germany", "Poland", "Hub"][:3]
    Nation.objects.filter(code="DE").update(name=names[0])
    Nation.objects.filter(code="PL").update(name=names[1])
    Location.objects.filter(pk=picture_world.hub.pk).update(name=names[2])
    response = client_for(picture_world.users[Role.COORDINATOR]).get("/reports/")
    assert response.status_code == 200
    svgs = _svgs(response.content.decode())  # each parses as XML
    assert svgs
    elements = [e for svg in svgs for e in svg.iter()]
    assert {e.tag for e in elements} <= SVG_ELEMENTS  # no element of a payload's
    assert not [a for e in elements for a in e.attrib if a.startswith("on")]
    assert not [v for e in elements for v in e.attrib.values() if "javascript:" in v]
    texts = [e.text or "" for e in elements]
    # An XML parser reads a carriage return as a line feed (XML's end-of-line rule).
    missing = [n for n in names if not any(printable(n).replace("\r", "\n") in t for t in texts)]
    assert missing == []


def test_svg_coordinates_are_numbers_in_every_language(picture_world: Any, client_for: Any) -> None:
    client = client_for(picture_world.users[Role.COORDINATOR])
    client.cookies["django_language"] = "uk"
    page = client.get("/reports/").content.decode()
    for svg in _svgs(page):
        for e in svg.iter():
            for name in ("x", "y", "width", "height", "x1", "x2", "y1", "y2"):
                if name in e.attrib:
                    float(e.attrib[name])  # "12,5" (the Ukrainian decimal comma) is no number
