"""Which column fills which field, and what an unknown value stands for.

A mapping file (YAML or JSON)::

    type: pledges
    columns:                      # field: the column's header as it appears in the sheet
      donor_reference: "Our ref"
      category: "Item"
    values:                       # a value the registers do not know: what it means
      category:
        "155mm shells": ammo-155
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import normalise as n
from .specs import ImportSpec

# Below this similarity a header is left for the user to map rather than guessed.
MATCH_THRESHOLD = 0.72


@dataclass
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)  # field -> header
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> raw -> code
    kind: str = ""
    # Reference records to create: field -> the value in the sheet -> its attributes.
    create: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.kind, "columns": dict(self.columns)}
        if self.values:
            data["values"] = {k: dict(v) for k, v in self.values.items() if v}
        if self.create:
            data["create"] = {
                k: {r: dict(a) for r, a in v.items()} for k, v in self.create.items() if v
            }
        return data

    def dumps(self) -> str:
        return yaml.safe_dump(self.as_dict(), allow_unicode=True, sort_keys=False)

    def translate(self, field_name: str, value: Any) -> Any:
        """The user's own meaning for a raw value, if the mapping gives one."""
        table = self.values.get(field_name)
        if not table:
            return value
        wanted = n.key(value)
        for raw, meant in table.items():
            if n.key(raw) == wanted:
                return meant
        return value


class MappingError(ValueError):
    pass


def parse_mapping(text: str, spec: ImportSpec) -> Mapping:
    try:
        data = yaml.safe_load(text) or {}  # JSON is YAML too
    except yaml.YAMLError as exc:
        raise MappingError(f"The mapping is not valid YAML or JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise MappingError("A mapping is a dictionary with 'columns' (and maybe 'values').")
    columns = data.get("columns", {})
    values = data.get("values", {}) or {}
    if not isinstance(columns, dict) or not isinstance(values, dict):
        raise MappingError("'columns' and 'values' are dictionaries.")
    known = {f.name for f in spec.fields}
    unknown = sorted(set(columns) - known)
    if unknown:
        raise MappingError(
            f"The mapping names fields {', '.join(unknown)} that a {spec.kind} import does not "
            f"have; the fields are: {', '.join(sorted(known))}."
        )
    create = data.get("create", {}) or {}
    if not isinstance(create, dict) or not all(
        isinstance(v, dict) and all(isinstance(a, dict) for a in v.values())
        for v in create.values()
    ):
        raise MappingError(
            "'create' is a dictionary: field -> value in the sheet -> its attributes "
            '(e.g. category: {"Leopard 1A5": {code: leopard-1a5, domain: armour, unit: system}}).'
        )
    return Mapping(
        create={
            str(k): {str(r): {str(a): b for a, b in attrs.items()} for r, attrs in v.items()}
            for k, v in create.items()
        },
        columns={str(k): str(v) for k, v in columns.items() if v},
        values={str(k): {str(a): str(b) for a, b in (v or {}).items()} for k, v in values.items()},
        kind=str(data.get("type", spec.kind)),
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
    taken: set[str] = set()
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
