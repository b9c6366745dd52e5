from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

HEADERS = ["Donor", "Our ref", "Item", "Qty", "Available", "Depot", None, "Status"]


def messy_rows() -> list[list[Any]]:
    """What a real sheet looks like: mixed case, '.' for missing, an impossible date, an
    unheaded column, a duplicate row, a date cell, European and ISO dates."""
    return [
        ["germany", "DE-1", "155 MM he ROUND", 10, dt.datetime(2027, 3, 1), "depot-de", "x", "."],
        ["DE", "DE-2", " Ammo-155 ", "1.200", "31.12.2027", "DEPOT-DE", None, "Confirmed"],
        ["de", "DE-3", "shells", 5, "2027-02-30", "depot-de", None, "-"],  # unknown, bad date
        ["germany", "DE-1", "155 MM he ROUND", 10, dt.datetime(2027, 3, 1), "depot-de", "x", "."],
        ["DE", ".", "ammo-155", 7, "01/03/2027", "depot-de", None, None],  # no reference
        ["DE", "DE-4", "ammo-155", 0, "1/3/2027", "depot-de", None, None],  # quantity 0
    ]


def write_xlsx(path: Path, rows: list[list[Any]], headers: list[Any] = HEADERS) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


@pytest.fixture
def messy_xlsx(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "pledges.xlsx", messy_rows())


@pytest.fixture
def clean_xlsx(tmp_path: Path) -> Path:
    """Two good rows for a donor liaison: offered, as a donor registers pledges."""
    second = [*messy_rows()[1][:-1], "Offered"]
    return write_xlsx(tmp_path / "clean.xlsx", [messy_rows()[0], second])
