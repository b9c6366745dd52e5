"""A date column's order is found from its text cells, read from the sheet's XML by a pattern:
the same values as reading the rows, shared or inline strings, and the rows read otherwise."""

import datetime as dt

import pytest
from openpyxl import Workbook

from coordcell.exchange import xlsx
from coordcell.exchange.readers import open_table


@pytest.mark.parametrize("write_only", [False, True])  # shared strings; inline strings
def test_a_columns_text_cells_are_those_its_rows_hold(tmp_path, write_only):
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet("Data") if write_only else workbook.active
    sheet.append(["Ref", "Date", "Note"])
    for i in range(1, 40):
        sheet.append([f"R{i}", f"{i % 12 + 1}/{i % 28 + 1}/2022", "a & b"])
    sheet.append(["R40", dt.datetime(2022, 1, 2), 5])
    path = tmp_path / "w.xlsx"
    workbook.save(path)
    table = open_table(path)
    from_rows = {values[1] for _n, values in table.rows() if isinstance(values[1], str)}
    assert set(table.column_values(1)) == from_rows | {"Date"}
    assert set(table.column_values(2)) == {"Note", "a & b"}


def test_cells_without_references_are_read_from_the_rows(tmp_path, monkeypatch):
    workbook = Workbook()
    workbook.active.append(["Ref", "Date"])
    workbook.active.append(["R1", "7/27/2022"])
    path = tmp_path / "w.xlsx"
    workbook.save(path)

    def refuse(*args):
        raise xlsx.NoCellReferences
        yield  # pragma: no cover

    monkeypatch.setattr(xlsx, "column_texts", refuse)
    assert list(open_table(path).column_values(1)) == ["7/27/2022"]
