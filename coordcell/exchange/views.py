"""The import pages (upload -> map columns -> dry run -> commit) and the list exports."""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from coordcell.jobs.priority import at_worker_priority
from coordcell.registry.access import as_user, not_found, refuse

from .engine import ImportReport, run_import
from .export import FORMATS, csv_chunks, filtered_queryset, registers, write_xlsx
from .forms import MappingForm, UploadForm
from .mapping import Mapping, MappingError, parse_mapping, propose
from .models import SavedMapping
from .readers import UnreadableFile, open_table
from .specs import SPECS

_SESSION_KEY = "imports"
_FILES = {
    "errors.csv": ("text/csv", "errors"),
    "rejects.csv": ("text/csv", "rejects"),
    "mapping.yaml": ("application/yaml", "mapping"),
}


def _kinds_for(user: Any) -> list[str]:
    return [kind for kind, spec in SPECS.items() if spec.can_import(user)]


_KEEP_UPLOADS = 2 * 24 * 3600  # seconds: uploads and their reports are working files


def _directory() -> Path:
    path = Path(settings.COORDCELL_IMPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - _KEEP_UPLOADS
    for old in path.iterdir():
        if old.is_file() and old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    return path


def _get_upload(request: HttpRequest, upload_id: str) -> dict[str, Any]:
    """The one place an upload is fetched: only the session that sent it can see it."""
    entry = request.session.get(_SESSION_KEY, {}).get(upload_id)
    user = as_user(request.user)
    if entry is None or user is None:
        raise not_found("no such upload in this session")
    if entry["kind"] not in _kinds_for(user):
        raise refuse(f"the role does not import {entry['kind']}")
    return entry  # type: ignore[no-any-return]


def _save_entry(request: HttpRequest, upload_id: str, entry: dict[str, Any]) -> None:
    uploads = request.session.get(_SESSION_KEY, {})
    uploads[upload_id] = entry
    request.session[_SESSION_KEY] = uploads


@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    user = as_user(request.user)
    kinds = _kinds_for(user)
    if not kinds:
        raise refuse("the role imports nothing")
    form = UploadForm(request.POST or None, request.FILES or None, kinds=kinds, user=user)
    if request.method == "POST" and form.is_valid():
        spec = SPECS[form.cleaned_data["kind"]]
        upload = form.cleaned_data["file"]
        upload_id = uuid.uuid4().hex
        path = _directory() / f"{upload_id}{Path(upload.name).suffix.lower()}"
        with path.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        mapping_data: dict[str, Any] | None = None
        try:
            if form.cleaned_data["saved_mapping"] is not None:
                mapping_data = form.cleaned_data["saved_mapping"].data
                parse_mapping(_yaml(mapping_data), spec)
            elif form.cleaned_data["mapping_file"] is not None:
                text = form.cleaned_data["mapping_file"].read().decode("utf-8", "replace")
                mapping_data = parse_mapping(text, spec).as_dict()
            headers = open_table(path).headers
        except (MappingError, UnreadableFile) as exc:
            path.unlink(missing_ok=True)
            form.add_error(None, str(exc))
        else:
            if mapping_data is None:
                mapping_data = propose(headers, spec).as_dict()
            _save_entry(
                request,
                upload_id,
                {
                    "kind": spec.kind,
                    "path": str(path),
                    "name": upload.name,
                    "mapping": mapping_data,
                },
            )
            return HttpResponseRedirect(reverse("import-review", args=[upload_id]))
    return render(request, "exchange/import_start.html", {"form": form, "specs": SPECS})


def _yaml(data: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(data)


@require_http_methods(["GET", "POST"])
def import_review(request: HttpRequest, upload_id: str) -> HttpResponse:
    """Map the columns, run the dry run, and commit once the dry run has been seen."""
    entry = _get_upload(request, upload_id)
    user = as_user(request.user)
    spec = SPECS[entry["kind"]]
    path = Path(entry["path"])
    mapping = parse_mapping(_yaml(entry["mapping"]), spec)
    headers = open_table(path).headers
    unknown: dict[str, list[str]] = entry.get("unknown", {})
    form = MappingForm(
        request.POST or None,
        spec=spec,
        headers=headers,
        mapping=mapping,
        unknown=unknown,
        user=user,
    )
    report: ImportReport | None = None
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping(mapping)
        entry["mapping"] = mapping.as_dict()
        commit = request.POST.get("action") == "commit" and entry.get("checked")
        skip = bool(form.cleaned_data["skip_invalid"])
        rejects_path = path.with_suffix(".rejects.csv")
        with rejects_path.open("w", newline="", encoding="utf-8-sig") as rejects:
            report = run_import(
                spec=spec,
                path=path,
                user=user,
                mapping=mapping,
                commit=bool(commit),
                skip_invalid=skip,
                rejects=rejects,
                display_name=entry["name"],
            )
        path.with_suffix(".errors.csv").write_bytes(report.errors_csv())
        entry["unknown"] = {k: sorted(v) for k, v in report.unknown.items()}
        entry["checked"] = not commit
        entry["rejects"] = bool(report.rejected)
        if form.cleaned_data["save_as"]:
            SavedMapping.objects.update_or_create(
                owner=user,
                kind=spec.kind,
                name=form.cleaned_data["save_as"],
                defaults={"data": mapping.as_dict()},
            )
            messages.success(request, f"Saved the mapping as {form.cleaned_data['save_as']!r}.")
        _save_entry(request, upload_id, entry)
        if report.committed:
            messages.success(request, report.summary())
        # Unknown values found by this run get their selects on the page now shown.
        form = MappingForm(
            spec=spec,
            headers=headers,
            mapping=mapping,
            unknown=entry["unknown"],
            user=user,
            initial={"skip_invalid": skip},
        )
    return render(
        request,
        "exchange/import_review.html",
        {
            "entry": entry,
            "upload_id": upload_id,
            "spec": spec,
            "form": form,
            "report": report,
            "errors": report.errors[:200] if report else [],
            "list_url": f"/{spec.kind}/",
        },
    )


@require_GET
def import_file(request: HttpRequest, upload_id: str, name: str) -> HttpResponse:
    entry = _get_upload(request, upload_id)
    if name not in _FILES:
        raise not_found(f"no file {name!r}")
    content_type, _ = _FILES[name]
    stem = Path(entry["name"]).stem
    if name == "mapping.yaml":
        body = Mapping(**_mapping_kwargs(entry["mapping"])).dumps()
        response = HttpResponse(body, content_type=content_type)
    else:
        path = Path(entry["path"]).with_suffix("." + name)
        if not path.exists():
            raise not_found("that file was not written")
        response = HttpResponse(path.read_bytes(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{stem}-{name}"'
    return response


def _mapping_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "columns": data.get("columns", {}),
        "values": data.get("values", {}),
        "kind": data.get("type", ""),
    }


@require_GET
def export_list(request: HttpRequest, slug: str) -> HttpResponse:
    """/export/<register>/?format=csv|xlsx&<the list page's filters>"""
    register = registers().get(slug)
    user = as_user(request.user)
    if register is None:
        raise not_found(f"no register {slug!r}")
    if user is None:
        raise refuse("not an active user")
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        raise not_found(f"no format {fmt!r}")
    params = request.GET.copy()
    for name in ("format", "page"):
        params.pop(name, None)
    register = register.for_user(user)  # the columns this user may read
    qs = filtered_queryset(register, user, params)
    filename = f"{register.slug}.{fmt}"
    # The file is written to disk, not memory, before sending (XLSX with constant_memory), at
    # the worker's priority: a download of thousands of rows may take a moment longer on a busy
    # machine rather than hold up everyone's pages (coordcell/jobs/priority.py).
    handle = tempfile.TemporaryFile()  # noqa: SIM115  # FileResponse closes it
    if fmt == "csv":
        at_worker_priority(lambda: handle.writelines(csv_chunks(register, qs)))
    else:
        at_worker_priority(lambda: write_xlsx(register, qs, handle))
    handle.seek(0)
    response = FileResponse(handle, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
