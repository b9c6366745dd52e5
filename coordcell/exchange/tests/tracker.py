"""A public donation tracker as it comes: a ReadMe sheet first, then one row per item with an id
shared by the items of one announcement, aid of every kind, an unnamed item column, two columns
headed "Quantity" (committed, delivered), month-first text dates, some "until ..." dates, no
origin depot and no status for most rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

HEADERS = [
    "ID",  # A
    "Country",  # B
    "Announced",  # C
    "Type of aid",  # D
    "Item type",  # E
    None,  # F: the item's name, unheaded
    "Quantity",  # G: committed
    "Available",  # H
    "Quantity",  # I: delivered
    "Status",  # J
]
ROWS: list[list[Any]] = [
    [
        1234,
        "Poland",
        "3/14/2022",
        "Military",
        "Artillery",
        "155 mm HE round",
        100,
        "until 7/27/2022",
        90,
        "",
    ],
    [
        1234,
        "Poland",
        "3/14/2022",
        "Military",
        "Artillery",
        "155 mm HE round",
        50,
        "7/1/2022",
        50,
        "Offered",
    ],
    [1234, "Poland", "3/14/2022", "Humanitarian", "Food", "rations", 1000, "7/2/2022", 0, ""],
    [
        1235,
        "Republic of Poland",
        "4/2/2022",
        "Military",
        "Artillery",
        "155 mm HE round",
        20,
        "12/25/2022",
        None,
        "",
    ],
    [1236, "Poland", "4/3/2022", "Financial", "Budget", "grant", 5, "4/3/2022", 5, ""],
    [
        1237,
        "Poland",
        "5/5/2022",
        "military",
        "Artillery",
        "155 mm HE round",
        "",  # no quantity at all: rejected as required ("." would be undisclosed)
        "8/3/2022",
        None,
        "",
    ],
]

MAPPING = """\
type: pledges
columns:
  donor: Country
  category: column F
  quantity: column G
  available_from: Available
  status: Status
key: {column: ID, occurrence: true}
constants: {origin: depot-pl}
defaults: {status: confirmed}
filter:
  - {column: Type of aid, equals: Military}
values:
  donor: {"Republic of Poland": PL}
"""


def write_tracker(path: Path, rows: list[list[Any]] = ROWS, readme: bool = True) -> Path:
    workbook = Workbook()
    first = workbook.active
    if readme:
        first.title = "ReadMe"
        first.append(["About this tracker"])
        first.append(["Quantities are units; 'until' dates are the latest announced."])
        data = workbook.create_sheet("Data")
    else:
        first.title = "Data"
        data = first
    data.append(HEADERS)
    for row in rows:
        data.append(row)
    workbook.save(path)
    return path
