"""Values read as a person would read them (no database needed)."""

import datetime as dt
from decimal import Decimal

import pytest

from coordcell.exchange import normalise as n


@pytest.mark.parametrize(
    "raw",
    [
        "2027-12-31",
        "31/12/2027",
        "31.12.2027",
        "31-12-2027",
        "12/31/2027",
        "31 Dec 2027",
        "Dec 31, 2027",
        dt.datetime(2027, 12, 31, 0, 0),
        dt.date(2027, 12, 31),
        46752,
    ],
)
def test_common_date_forms_are_read(raw):
    assert n.parse_date(raw) == dt.date(2027, 12, 31)


def test_day_comes_before_month():
    assert n.parse_date("01/02/2027") == dt.date(2027, 2, 1)


@pytest.mark.parametrize("raw", ["2027-02-30", "30.02.2027", "31/04/2027", "soon", "2027"])
def test_impossible_or_unreadable_dates_are_refused_with_a_reason(raw):
    with pytest.raises(n.Invalid) as error:
        n.parse_date(raw)
    assert error.value.rule == "date"
    assert str(raw) in str(error.value)


@pytest.mark.parametrize("raw", [None, "", " ", ".", "-", "n/a", "N/A", "—"])
def test_missing_markers(raw):
    assert n.is_missing(raw)


@pytest.mark.parametrize(
    ("raw", "value"), [(12, 12), (12.0, 12), ("1,200", 1200), ("1.200", 1200), ("1 200", 1200)]
)
def test_whole_numbers(raw, value):
    assert n.parse_int(raw) == value


@pytest.mark.parametrize("raw", ["1.5", 2.5, "ten", True, float("inf"), "9" * 5000])
def test_not_whole_numbers_are_refused(raw):
    with pytest.raises(n.Invalid):
        n.parse_int(raw)


@pytest.mark.parametrize(
    ("raw", "value"), [("1,234.50", "1234.50"), ("1.234,50", "1234.50"), ("12,5", "12.5")]
)
def test_decimals_in_both_conventions(raw, value):
    assert n.parse_decimal(raw) == Decimal(value)


def test_keys_ignore_case_spaces_and_separators():
    assert n.key(" Ammo_155 ") == n.key("AMMO-155") == n.key("ammo  155")


def test_choices_by_value_or_label():
    choices = [("offered", "Offered"), ("depreciated_book_value", "Depreciated book value")]
    assert n.parse_choice("OFFERED", choices) == "offered"
    assert n.parse_choice("depreciated book value", choices) == "depreciated_book_value"
    with pytest.raises(n.Invalid, match="offered"):
        n.parse_choice("maybe", choices)
