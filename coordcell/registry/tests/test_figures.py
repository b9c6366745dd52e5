"""Numbers, quantities and dates read as a reader of each language expects them."""

import datetime as dt

from django.template import Context, Template
from django.utils import translation


def render(source: str, language: str, **context: object) -> str:
    with translation.override(language):
        return Template(source).render(Context(context))


def test_quantity_carries_its_unit_and_thousands_separator() -> None:
    assert render("{{ n|qty:'litre' }}", "en", n=204954) == "204,954\xa0litre"
    assert render("{{ n|qty:'litre' }}", "uk", n=204954) == "204\xa0954\xa0л"


def test_undisclosed_quantity_is_never_a_number() -> None:
    assert render("{{ n|qty:'each' }}", "en", n=None) == "undisclosed"


def test_one_date_format_per_language_and_no_microseconds() -> None:
    when = dt.datetime(2026, 12, 6, 9, 5, 7, 123456, tzinfo=dt.UTC)
    assert render("{{ d|day }}", "en", d=when.date()) == "6 Dec 2026"
    assert render("{{ d|day }}", "uk", d=when.date()) == "06.12.2026"
    assert render("{{ t|moment }}", "en", t=when) == "6 Dec 2026 09:05"
    assert "123456" not in render("{{ t|moment }}", "uk", t=when)


def test_iso_dates_inside_a_text_follow_the_language() -> None:
    text = "week 2027-03-01 – 2027-03-07: S-000001 late"
    assert render("{{ t|dates }}", "en", t=text) == "week 1 Mar 2027 – 7 Mar 2027: S-000001 late"
    assert render("{{ t|dates }}", "uk", t=text) == "week 01.03.2027 – 07.03.2027: S-000001 late"
