"""Text leaves the app through a format only by that format's one escaping function (issue 23).

A tripwire over the source, like ``test_bandit.py``: it does not prove a text escaped, it fails
on every way of writing a format that goes around ``coordcell/escaping.py`` (and the one XLSX
writer, ``coordcell/workbook.py``), so that a new writer is either routed through them or
argued for here. What it checks, in ``coordcell`` outside the tests and migrations:

- ReportLab's markup parsers (``Paragraph``, ``XPreformatted``, ``ParaParser``) are named only
  in ``escaping.py``, whose ``paragraph()`` escapes plain text; ``ReportLabMarkup``, the type
  of text it passes through unescaped, is made (called) only there too.
- ``csv.writer``/``csv.DictWriter`` are named only in ``escaping.py`` (``csv_writer()``).
- XlsxWriter is imported only by ``workbook.py``; openpyxl only to read (``load_workbook``,
  ``openpyxl.utils``), never to write a workbook.
- HTML: ``mark_safe``, ``SafeString(...)``/``SafeText(...)`` only in ``escaping.py`` (the SVG
  function); ``format_html``'s format is a literal, never a variable; no template uses
  ``|safe``, ``|safeseq`` or ``{% autoescape off %}``.
- SVG in templates: every ``{{ ... }}`` between ``<svg`` and ``</svg>`` ends in ``|svg`` or in
  an unlocalised ``|floatformat:"Nu"`` (a number).

It reads names, not meaning: an alias (``from csv import writer as w``) is caught by the import
rule, an attribute (``csv.writer``) by the attribute rule. ``test_the_rules_find_each_way_around``
checks that every rule does catch what it is meant to, so the check cannot silently pass.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "coordcell"
ESCAPING = "coordcell/escaping.py"
WORKBOOK = "coordcell/workbook.py"

REPORTLAB_PARSERS = {"Paragraph", "XPreformatted", "ParaParser"}
MADE_ONLY_IN_ESCAPING = {"ReportLabMarkup", "mark_safe", "SafeString", "SafeText"}
CSV_WRITERS = {"writer", "DictWriter"}
OPENPYXL_READING = {"load_workbook"}
TEMPLATE_BYPASSES = re.compile(r"\|\s*safe(seq)?\b|{%\s*autoescape\s+off\s*%}")
SVG_BLOCK = re.compile(r"<svg\b.*?</svg>", re.S)
TEMPLATE_VALUE = re.compile(r"{{(.*?)}}", re.S)
SVG_SAFE_END = re.compile(r"\|\s*(svg|floatformat:\"\d+u\")\s*$")


def _python_files() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if "tests" not in p.parts and "migrations" not in p.parts and "static" not in p.parts
    )


def _templates() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.html") if "static" not in p.parts)


def python_violations(name: str, source: str) -> list[str]:
    """The rules above, for one module (``name`` as ``coordcell/x/y.py``)."""
    found: list[str] = []

    def flag(node: ast.AST, what: str) -> None:
        found.append(f"{name}:{getattr(node, 'lineno', 0)}: {what}")

    csv_names: set[str] = set()  # what the module calls the csv module
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "csv":
                    csv_names.add(alias.asname or "csv")
                if alias.name.split(".")[0] == "xlsxwriter" and name != WORKBOOK:
                    flag(node, "XlsxWriter outside coordcell/workbook.py")
                if alias.name.split(".")[0] == "openpyxl" and alias.name != "openpyxl.utils":
                    flag(node, f"import {alias.name}: openpyxl only reads (load_workbook)")
                if alias.name.startswith("reportlab.platypus.para") and name != ESCAPING:
                    flag(node, f"import {alias.name}: paragraphs through escaping.paragraph")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            imported = {alias.name for alias in node.names}
            if module.split(".")[0] == "xlsxwriter" and name != WORKBOOK:
                flag(node, "XlsxWriter outside coordcell/workbook.py")
            if module == "openpyxl" and imported - OPENPYXL_READING:
                flag(node, f"from openpyxl import {imported - OPENPYXL_READING}: only reading")
            if module.startswith("openpyxl.") and not module.startswith("openpyxl.utils"):
                flag(node, f"from {module}: openpyxl only reads")
            if module == "csv" and imported & CSV_WRITERS and name != ESCAPING:
                flag(node, "a CSV writer outside escaping.csv_writer")
            if module.startswith("reportlab") and name != ESCAPING:
                for parser in imported & REPORTLAB_PARSERS:
                    flag(node, f"{parser}: paragraphs through escaping.paragraph")
            if "mark_safe" in imported and name != ESCAPING:
                flag(node, "mark_safe outside coordcell/escaping.py")
        elif isinstance(node, ast.Attribute):
            if node.attr in REPORTLAB_PARSERS and name != ESCAPING:
                flag(node, f".{node.attr}: paragraphs through escaping.paragraph")
            if (
                node.attr in CSV_WRITERS
                and isinstance(node.value, ast.Name)
                and node.value.id in csv_names
                and name != ESCAPING
            ):
                flag(node, f"csv.{node.attr}: through escaping.csv_writer")
            if node.attr == "mark_safe" and name != ESCAPING:
                flag(node, ".mark_safe outside coordcell/escaping.py")
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if called in MADE_ONLY_IN_ESCAPING | REPORTLAB_PARSERS and name != ESCAPING:
                flag(node, f"{called}(...) outside coordcell/escaping.py")
            if called in {"format_html", "format_html_join"}:
                index = 0 if called == "format_html" else 1
                args = node.args
                if len(args) <= index or not (
                    isinstance(args[index], ast.Constant) and isinstance(args[index].value, str)
                ):
                    flag(node, f"{called}: the format must be a literal")
    return sorted(set(found))


def template_violations(name: str, text: str) -> list[str]:
    found = [f"{name}: {m.group(0)!r} bypasses escaping" for m in TEMPLATE_BYPASSES.finditer(text)]
    for block in SVG_BLOCK.findall(text):
        for value in TEMPLATE_VALUE.findall(block):
            if not SVG_SAFE_END.search(value.strip()):
                found.append(f"{name}: {{{{{value}}}}} in an <svg> without |svg")
    return found


def test_every_format_is_written_through_its_escaping_function() -> None:
    found = []
    for path in _python_files():
        name = path.relative_to(ROOT).as_posix()
        found += python_violations(name, path.read_text(encoding="utf-8"))
    for path in _templates():
        name = path.relative_to(ROOT).as_posix()
        found += template_violations(name, path.read_text(encoding="utf-8"))
    assert not found, (
        "write these through coordcell/escaping.py or coordcell/workbook.py "
        "(docs/security.md, 'Escaping'):\n" + "\n".join(found)
    )


def test_the_rules_find_each_way_around() -> None:
    """Each rule catches what it is meant to: the check above cannot pass by reading nothing."""
    ways_around = {
        "from reportlab.platypus import Paragraph": 1,
        "import reportlab.platypus.paragraph": 1,
        "from reportlab import platypus\nplatypus.Paragraph(text, style)": 2,
        "from reportlab.platypus import XPreformatted": 1,
        "import csv\ncsv.writer(stream)": 1,
        "import csv as c\nc.DictWriter(stream, fields)": 1,
        "from csv import writer": 1,
        "import xlsxwriter": 1,
        "from xlsxwriter import Workbook": 1,
        "from openpyxl import Workbook": 1,
        "from openpyxl.styles import Font": 1,
        "import openpyxl.chart": 1,
        "from django.utils.safestring import mark_safe\nmark_safe(x)": 2,
        "from django.utils import safestring\nlist(map(safestring.mark_safe, xs))": 1,
        "from django.utils.safestring import SafeString\nSafeString(x)": 1,
        "from coordcell.escaping import ReportLabMarkup\nReportLabMarkup(x)": 1,
        "from coordcell import escaping\nescaping.ReportLabMarkup(x)": 1,
        "format_html(user_text)": 1,
        "format_html_join('', fmt, rows)": 1,
    }
    for source, count in ways_around.items():
        assert len(python_violations("coordcell/x.py", source)) == count, source
    fine = [
        "from openpyxl import load_workbook",
        "from openpyxl.utils import get_column_letter",
        "from coordcell.escaping import paragraph, csv_writer",
        "from django.utils.safestring import SafeString\ndef f() -> SafeString: ...",
        "from coordcell.escaping import ReportLabMarkup\ndef f() -> ReportLabMarkup: ...",
        "format_html('<td>{}</td>', value)",
        "format_html_join('', '<td>{}</td>', rows)",
        "import csv\ncsv.reader(stream)",
    ]
    for source in fine:
        assert python_violations("coordcell/x.py", source) == [], source
    assert python_violations(ESCAPING, "import csv\ncsv.writer(s)\nSafeString(x)") == []
    assert python_violations(WORKBOOK, "import xlsxwriter") == []

    assert len(template_violations("t.html", "{{ x|safe }} {% autoescape off %}")) == 2
    svg = '<svg><text x="{{ a|floatformat:1 }}">{{ name }}</text><title>{{ t|svg }}</title></svg>'
    assert len(template_violations("t.html", svg)) == 2
    fine_svg = '<svg><text x="{{ a|floatformat:"1u" }}">{{ name|truncatechars:9|svg }}</text></svg>'
    assert template_violations("t.html", fine_svg + "{{ outside_svg }}") == []
