"""Which column fills which field, and how a sheet's rows become an import's rows.

A mapping file (YAML or JSON), every part but ``columns`` optional (docs/import.md)::

    type: pledges
    sheet: Data                   # the workbook's sheet (default: the one whose headers fit best)
    columns:                      # field: the column, by its header, "column K" or "Quantity#2"
      donor: "Country"
      category: "Item"
    key: {columns: ["ID", "Item name"]}     # or {column: ID, occurrence: true}, {generated: true}
    constants: {origin: depot-pl}           # every row gets it; no column is read
    defaults: {status: offered}             # when the cell is empty
    filter:                                 # rows left out (counted, never reported invalid)
      - {column: "Type of aid", equals: Military}
    values:                       # what a value in the sheet stands for
      category:
        "155mm shells": ammo-155
    dates: {available_from: m/d/yyyy}       # a column's date format
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _

from . import normalise as n
from .specs import ImportSpec

# Below this similarity a header is left for the user to map rather than guessed.
MATCH_THRESHOLD = 0.72
KEYS = (
    "type",
    "sheet",
    "columns",
    "key",
    "constants",
    "defaults",
    "filter",
    "values",
    "dates",
    "create",
)
FILTER_TESTS = ("equals", "one_of", "is_not", "not_one_of")


@dataclass
class KeyRule:
    """How a row's natural key is made when no one column holds it: the ``columns`` joined with
    ``separator``; with ``occurrence`` the row's place among the rows of the sheet sharing those
    values ("1234/1", "1234/2"); ``generated``: a digest of the row's cells (or of ``columns``)."""

    columns: list[str] = field(default_factory=list)
    occurrence: bool = False
    generated: bool = False
    separator: str = ""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if len(self.columns) == 1 and not self.generated:
            data["column"] = self.columns[0]
        elif self.columns:
            data["columns"] = list(self.columns)
        for name in ("occurrence", "generated"):
            if getattr(self, name):
                data[name] = True
        if self.separator:
            data["separator"] = self.separator
        return data


@dataclass
class RowFilter:
    """A row is imported when its ``column`` ``test`` (equals, one_of, is_not, not_one_of) the
    ``values`` (compared as names are: case and spacing do not count)."""

    column: str
    test: str
    values: list[str]

    def as_dict(self) -> dict[str, Any]:
        single = self.test in ("equals", "is_not")
        return {"column": self.column, self.test: self.values[0] if single else list(self.values)}

    def keeps(self, value: Any) -> bool:
        wanted = self.__dict__.get("_wanted")
        if wanted is None:  # the values as compared, once per import rather than per row
            wanted = self.__dict__["_wanted"] = frozenset(n.key(v) for v in self.values)
        inside = ("" if value is None else n.key(n.text(value))) in wanted
        return inside if self.test in ("equals", "one_of") else not inside


@dataclass
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)  # field -> column (header, letter)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> raw -> meant
    kind: str = ""
    # Reference records to create: field -> the value in the sheet -> its attributes.
    create: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    sheet: str = ""
    key: KeyRule | None = None
    constants: dict[str, str] = field(default_factory=dict)  # field -> value for every row
    defaults: dict[str, str] = field(default_factory=dict)  # field -> value for an empty cell
    filters: list[RowFilter] = field(default_factory=list)
    dates: dict[str, str] = field(default_factory=dict)  # field -> format, as the user wrote it

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.kind}
        if self.sheet:
            data["sheet"] = self.sheet
        data["columns"] = dict(self.columns)
        if self.key is not None:
            data["key"] = self.key.as_dict()
        if self.constants:
            data["constants"] = dict(self.constants)
        if self.defaults:
            data["defaults"] = dict(self.defaults)
        if self.filters:
            data["filter"] = [f.as_dict() for f in self.filters]
        if self.values:
            data["values"] = {k: dict(v) for k, v in self.values.items() if v}
        if self.dates:
            data["dates"] = dict(self.dates)
        if self.create:
            data["create"] = {
                k: {r: dict(a) for r, a in v.items()} for k, v in self.create.items() if v
            }
        return data

    def dumps(self) -> str:
        return yaml.safe_dump(self.as_dict(), allow_unicode=True, sort_keys=False)

    def translate(self, field_name: str, value: Any) -> Any:
        """The user's own meaning for a raw value, if the mapping gives one: for any field, a
        value (``"."``, ``"undisclosed"``, ``"Czech Republic"``) may stand for another one, or
        for nothing (``""``: the cell is then empty)."""
        table = self.values.get(field_name)
        if not table:
            return value
        exact = _plain(value)
        for raw, meant in table.items():
            if _plain(raw) == exact:
                return meant
        wanted = n.key("" if value is None else value)
        if wanted:
            for raw, meant in table.items():
                if n.key(raw) == wanted:
                    return meant
        return value

    def column_refs(self) -> list[str]:
        """Every column the mapping reads, by the name it gives it."""
        refs = list(self.columns.values())
        if self.key is not None:
            refs += self.key.columns
        return refs + [f.column for f in self.filters]


def _plain(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split()).casefold()


class MappingError(ValueError):
    pass


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value)


def _dictionary(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name) or {}
    if not isinstance(value, dict):
        raise MappingError(_("'%(part)s' is a dictionary (field: value).") % {"part": name})
    return value


def _fields(names: Any, spec: ImportSpec, part: str) -> None:
    known = {f.name for f in spec.fields}
    unknown = sorted(set(names) - known)
    if unknown:
        raise MappingError(
            _(
                "The mapping's '%(part)s' names fields %(unknown)s that a %(kind)s import does "
                "not have; the fields are: %(known)s."
            )
            % {
                "part": part,
                "unknown": ", ".join(unknown),
                "kind": spec.kind,
                "known": ", ".join(sorted(known)),
            }
        )


def key_field(spec: ImportSpec) -> str:
    """The field a mapping's ``key`` fills: the natural key's own reference (pledges: the donor's
    reference; requirements: the reference; locations: the code)."""
    return spec.key_fields[-1]


def _key_rule(raw: Any) -> KeyRule | None:
    if raw in (None, "", {}):
        return None
    if isinstance(raw, str):
        return KeyRule(columns=[raw])
    if not isinstance(raw, dict):
        raise MappingError(
            _(
                "'key' is a column, or a dictionary: {columns: [ID, Item]}, "
                "{column: ID, occurrence: true} or {generated: true}."
            )
        )
    unknown = sorted(set(raw) - {"column", "columns", "occurrence", "generated", "separator"})
    if unknown:
        raise MappingError(
            _(
                "'key' does not take %(unknown)s; it takes column or columns, occurrence, "
                "generated and separator."
            )
            % {"unknown": ", ".join(unknown)}
        )
    columns = raw.get("columns") or ([raw["column"]] if raw.get("column") else [])
    if isinstance(columns, str):
        columns = [columns]
    if not isinstance(columns, list):
        raise MappingError(_("'key: columns' is a list of columns."))
    rule = KeyRule(
        columns=[_scalar(c) for c in columns if _scalar(c)],
        occurrence=bool(raw.get("occurrence")),
        generated=bool(raw.get("generated")),
        separator=_scalar(raw.get("separator", "")),
    )
    if not rule.columns and not rule.generated:
        raise MappingError(_("'key' names its column(s), or says 'generated: true'."))
    return rule


def _filters(raw: Any) -> list[RowFilter]:
    if raw in (None, ""):
        return []
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise MappingError(_("'filter' is a list of conditions: - {column: X, equals: Y}."))
    out = []
    for item in raw:
        tests = [t for t in FILTER_TESTS if isinstance(item, dict) and t in item]
        if not isinstance(item, dict) or not item.get("column") or len(tests) != 1:
            raise MappingError(
                _(
                    "A filter condition names a column and one test of %(tests)s, e.g. "
                    "{column: Type of aid, equals: Military}; not %(item)r."
                )
                % {"tests": ", ".join(FILTER_TESTS), "item": item}
            )
        values = item[tests[0]]
        values = values if isinstance(values, list) else [values]
        out.append(RowFilter(_scalar(item["column"]), tests[0], [_scalar(v) for v in values]))
    return out


def parse_mapping(text: str, spec: ImportSpec) -> Mapping:
    try:
        data = yaml.safe_load(text) or {}  # JSON is YAML too
    except yaml.YAMLError as exc:
        raise MappingError(f"The mapping is not valid YAML or JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise MappingError("A mapping is a dictionary with 'columns' (and maybe 'values').")
    if {"accept_warnings", "accepted_warnings", "accept-warnings"} & set(map(str, data)):
        raise MappingError(
            _(
                "A mapping file cannot acknowledge warnings: whoever imports acknowledges them, "
                "for each import (the page's box, or --accept-warnings)."
            )
        )
    unknown_keys = sorted(set(map(str, data)) - set(KEYS))
    if unknown_keys:
        raise MappingError(
            _("A mapping has no part %(unknown)s; its parts are: %(parts)s.")
            % {"unknown": ", ".join(unknown_keys), "parts": ", ".join(KEYS)}
        )
    columns = _dictionary(data, "columns")
    values = _dictionary(data, "values")
    if not all(isinstance(v, dict) for v in values.values() if v):
        raise MappingError(_("'values' gives, per field, a dictionary: value in the sheet: meant."))
    constants = {str(k): _scalar(v) for k, v in _dictionary(data, "constants").items()}
    defaults = {str(k): _scalar(v) for k, v in _dictionary(data, "defaults").items()}
    dates = {str(k): _scalar(v) for k, v in _dictionary(data, "dates").items() if v}
    for part, names in (
        ("columns", columns),
        ("values", values),
        ("constants", constants),
        ("defaults", defaults),
        ("dates", dates),
    ):
        _fields(names, spec, part)
    create = data.get("create", {}) or {}
    if isinstance(create, dict):
        _fields(create, spec, "create")
    if not isinstance(create, dict) or not all(
        isinstance(v, dict) and all(isinstance(a, dict) for a in v.values())
        for v in create.values()
    ):
        raise MappingError(
            "'create' is a dictionary: field -> value in the sheet -> its attributes "
            '(e.g. category: {"Leopard 1A5": {code: leopard-1a5, domain: armour, unit: system}}).'
        )
    mapping = Mapping(
        create={
            str(k): {str(r): {str(a): b for a, b in attrs.items()} for r, attrs in v.items()}
            for k, v in create.items()
        },
        columns={str(k): _scalar(v) for k, v in columns.items() if v},
        values={
            str(k): {_scalar(a): _scalar(b) for a, b in (v or {}).items()}
            for k, v in values.items()
        },
        kind=str(data.get("type", spec.kind)),
        sheet=_scalar(data.get("sheet", "")),
        key=_key_rule(data.get("key")),
        constants=constants,
        defaults=defaults,
        filters=_filters(data.get("filter")),
        dates=dates,
    )
    both = sorted(set(mapping.columns) & set(mapping.constants))
    if both:
        raise MappingError(
            _(
                "%(fields)s: read from a column and set as a constant; choose one (a default "
                "fills only the empty cells of a column)."
            )
            % {"fields": ", ".join(both)}
        )
    if mapping.key is not None and key_field(spec) in {*mapping.columns, *mapping.constants}:
        raise MappingError(
            _("The mapping's 'key' makes %(field)s: do not also map it to a column.")
            % {"field": key_field(spec)}
        )
    for name, fmt in mapping.dates.items():
        if spec.field(name).kind != "date":
            raise MappingError(
                _("'dates' gives a format for %(field)s, which is not a date.") % {"field": name}
            )
        if date_order(fmt) is None:
            try:
                n.date_format(fmt)
            except n.Invalid as exc:
                raise MappingError(f"dates: {name}: {exc}") from exc
    return mapping


def date_order(fmt: str) -> str | None:
    """A 'dates:' entry that gives only the order ("month first", "day first"), or None."""
    words = n.key(fmt).replace(" ", "")
    return {"monthfirst": n.MONTH_FIRST, "mdy": n.MONTH_FIRST, "dayfirst": n.DAY_FIRST}.get(
        words, n.DAY_FIRST if words == "dmy" else None
    )


def load_mapping(path: str | Path, spec: ImportSpec) -> Mapping:
    return parse_mapping(Path(path).read_text(encoding="utf-8"), spec)


def _score(header: str, names: list[str]) -> float:
    h = n.key(header)
    return max(difflib.SequenceMatcher(None, h, n.key(name)).ratio() for name in names)


def propose(headers: list[str], spec: ImportSpec) -> Mapping:
    """Match headers to fields by name, label or a common synonym, allowing for typos."""
    scored = []
    for f in spec.fields:
        names = [f.name, f.label, *f.synonyms]
        for header in headers:
            scored.append((_score(header, names), f.name, header))
    mapping = Mapping(kind=spec.kind)
    # A header that heads two columns is never guessed: the user chooses one (docs/import.md).
    counts: dict[str, int] = {}
    for header in headers:
        counts[n.key(header)] = counts.get(n.key(header), 0) + 1
    taken: set[str] = {h for h in headers if counts[n.key(h)] > 1}
    for score, name, header in sorted(scored, key=lambda s: -s[0]):
        if score < MATCH_THRESHOLD or name in mapping.columns or header in taken:
            continue
        mapping.columns[name] = header
        taken.add(header)
    return mapping


def dumps_json(mapping: Mapping) -> str:
    return json.dumps(mapping.as_dict(), ensure_ascii=False, indent=2)


def mapping_from_dict(data: dict[str, Any], spec: ImportSpec) -> Mapping:
    """A mapping kept as ``Mapping.as_dict()`` (an upload's, a saved one), checked again."""
    return parse_mapping(yaml.safe_dump(data), spec)
