"""One write path per record: a check over every test of the suite.

Every INSERT, UPDATE or DELETE on a table of a coordcell app is traced back, through the Python
stack, to the code that asked for it. The innermost coordcell module on the stack (leaving out the
generic helpers below, which write whatever model their caller hands them) must be one of the
*action modules* of the app that owns the table: the modules its AppConfig lists in
``action_modules`` (``("services",)`` unless it says otherwise). A view, a serializer, an import,
a job or a command that writes a record itself fails the test that made it do so, with the table
and the module named. Test code (tests/, factories) may write anything: fixtures set the scene.

So a cross-app change must call the other app's actions (the allocation commit asks the pledges'
actions to allocate, not ``Pledge.objects.update``), and raw SQL is caught like any other write.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import connections, models

ROOT = Path(__file__).resolve().parent.parent / "coordcell"
# Generic writers: they write the model their caller (an action) gives them.
GENERIC = {
    "db.py",  # insert_many, update_many
    "audit/services.py",  # save_audited, delete_audited, record_bulk (audit's own tables excepted)
}
# COPY ... FROM STDIN: insert_many's way on PostgreSQL.
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+"?([A-Za-z0-9_]+)"?', re.I)

_tables: dict[str, str] = {}
_actions: dict[str, set[str]] = {}
# Table -> apps whose records, when their actions delete one, take rows of it along or clear
# their reference (on_delete=CASCADE or SET_NULL): the owner's delete, not a write of its own.
_cascades: dict[str, set[str]] = {}


def _owners() -> dict[str, str]:
    """Table name -> label of the coordcell app that owns it."""
    if not _tables:
        for config in apps.get_app_configs():
            if not config.name.startswith("coordcell."):
                continue
            modules = getattr(config, "action_modules", ("services",))
            folder = config.name.removeprefix("coordcell.").replace(".", "/")
            _actions[config.label] = {f"{folder}/{m.replace('.', '/')}.py" for m in modules}
            for model in config.get_models(include_auto_created=True):
                _tables[model._meta.db_table] = config.label
        for model in apps.get_models(include_auto_created=True):
            for field in model._meta.concrete_fields:
                remote = getattr(field, "remote_field", None)
                if remote is not None and remote.on_delete in (models.CASCADE, models.SET_NULL):
                    target = remote.model._meta.app_label
                    _cascades.setdefault(model._meta.db_table, set()).add(target)
    return _tables


def _coordcell_frames() -> Iterator[str]:
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename == __file__ or "Middleware." in frame.f_code.co_qualname:
            pass  # this guard itself; a middleware around every view: the writer is further in
        elif filename.startswith(str(ROOT)):
            yield filename[len(str(ROOT)) + 1 :]
        elif "/tests/" in filename or filename.endswith("conftest.py"):
            yield "tests:" + filename
        frame = frame.f_back  # type: ignore[assignment]


def writer_of(table: str, *, cascade: bool = False) -> tuple[str, bool]:
    """(the module that asked for a write to ``table``, whether it may)."""
    owner = _owners().get(table)
    if owner is None:
        return "", True  # Django's or a library's own table
    for module in _coordcell_frames():
        if module.startswith("tests:") or "/tests/" in module:
            return module, True
        if module in GENERIC and not (module == "audit/services.py" and owner == "audit"):
            continue
        if "/migrations/" in module:
            return module, True
        if module in _actions[owner]:
            return module, True
        app = module.split("/", 1)[0]
        return module, cascade and module in _actions.get(app, ()) and (
            app in _cascades.get(table, ())
        )
    return "", True  # no coordcell code on the stack: Django itself (sessions, last login)


class WritePathError(AssertionError):
    pass


def _guard(violations: list[str]) -> Callable[..., Any]:
    def wrapper(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        match = WRITE.match(sql) if isinstance(sql, str) else None
        if match:
            table = match.group(1)
            # An UPDATE may be a SET_NULL of a delete: both count as the deleting app's cascade.
            cascade = sql.lstrip()[:6].upper() in ("DELETE", "UPDATE")
            module, allowed = writer_of(table, cascade=cascade)
            if not allowed:
                violations.append(
                    f"{module} writes {table} (owned by app '{_owners()[table]}', whose actions "
                    f"are {sorted(_actions[_owners()[table]])})"
                )
        return execute(sql, params, many, context)

    return wrapper


@pytest.fixture(autouse=True)
def _one_write_path_per_record(request: pytest.FixtureRequest) -> Iterator[None]:
    if "allow_any_writer" in request.keywords:
        yield
        return
    violations: list[str] = []
    wrapper = _guard(violations)
    stacks = [connections[alias].execute_wrappers for alias in connections]
    for wrappers in stacks:
        wrappers.append(wrapper)
    try:
        yield
    finally:
        for wrappers in stacks:
            if wrapper in wrappers:
                wrappers.remove(wrapper)
    if violations:
        unique = sorted(set(violations))
        raise WritePathError(
            "a record was written outside its actions:\n  " + "\n  ".join(unique[:20])
        )
