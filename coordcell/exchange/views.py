"""The import pages (upload -> map columns -> dry run -> commit) and the list exports.

A dry run and a commit are background jobs (``runs``): the page queues one and shows its progress,
polled by htmx, until its report is ready. Nothing heavy runs in a request: the upload is saved
and its header row read (``open_table`` refuses a file past the limits first).
"""

from __future__ import annotations

import datetime as dt
import tempfile
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
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from coordcell.htmx import HtmxHttpRequest
from coordcell.jobs.priority import at_worker_priority
from coordcell.registry.access import (
    as_user,
    can_write_registers,
    get_visible_or_404,
    not_found,
    refuse,
)
from coordcell.registry.registers import BadFilter

from .export import FORMATS, csv_chunks, filtered_queryset, registers, write_xlsx
from .forms import MappingForm, SheetForm, UploadForm
from .mapping import MappingError, mapping_from_dict
from .models import ImportRun, ImportUpload
from .readers import UnreadableFile
from .runs import (
    FILES,
    KEEP_SECONDS,
    import_run_create,
    import_upload_choose_sheet,
    import_upload_create,
    import_upload_map,
    imports_forget_old,
    run_file,
    saved_mapping_save,
    upload_sheets,
)
from .selectors import uploads_visible_to
from .specs import SPECS


def _kinds_for(user: Any) -> list[str]:
    return [kind for kind, spec in SPECS.items() if spec.can_import(user)]


def _get_upload(request: HttpRequest, upload_id: str) -> ImportUpload:
    """The one place an upload is fetched: only the user who sent it sees it."""
    return get_visible_or_404(uploads_visible_to(as_user(request.user)), public_id=upload_id)


@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    user = as_user(request.user)
    kinds = _kinds_for(user)
    if user is None or not kinds:
        raise refuse("the role imports nothing")
    form = UploadForm(request.POST or None, request.FILES or None, kinds=kinds, user=user)
    if request.method == "POST" and form.is_valid():
        imports_forget_old()
        mapping_file = form.cleaned_data["mapping_file"]
        try:
            upload = import_upload_create(
                actor=user,
                kind=form.cleaned_data["kind"],
                file=form.cleaned_data["file"],
                saved_mapping=form.cleaned_data["saved_mapping"],
                mapping_text=(
                    mapping_file.read().decode("utf-8", "replace") if mapping_file else ""
                ),
            )
        except (MappingError, UnreadableFile) as exc:
            form.add_error(None, str(exc))
        else:
            return HttpResponseRedirect(reverse("import-review", args=[upload.public_id]))
    since = timezone.now() - dt.timedelta(seconds=KEEP_SECONDS)
    recent = ImportUpload.objects.filter(owner=user, created_at__gte=since).prefetch_related("runs")
    return render(
        request,
        "exchange/import_start.html",
        {
            "form": form,
            "specs": SPECS,
            "recent": recent[:20],
            "limits": {
                "mib": settings.COORDCELL_IMPORT_MAX_BYTES // 2**20,
                "rows": f"{settings.COORDCELL_IMPORT_MAX_ROWS:,}",
                "unpacked_mib": settings.COORDCELL_IMPORT_MAX_UNPACKED_BYTES // 2**20,
            },
        },
    )


def _mode(action: str, upload: ImportUpload, skip_invalid: bool) -> str:
    if action != "commit" or not upload.checked:
        return ImportRun.Mode.DRY_RUN  # a commit is offered once a dry run has been seen
    return ImportRun.Mode.COMMIT_VALID if skip_invalid else ImportRun.Mode.COMMIT


@require_http_methods(["GET", "POST"])
def import_review(request: HtmxHttpRequest, upload_id: str) -> HttpResponse:
    """Map the columns, queue a dry run, and a commit once a dry run has been seen; show the
    latest run's progress (polled by htmx while it runs) or its report."""
    upload = _get_upload(request, upload_id)
    user = as_user(request.user)
    if user is None:  # found in its scope above: an active user
        raise refuse("not an active user")
    spec = SPECS[upload.kind]
    runs = list(upload.runs.all()[:10])
    latest = runs[0] if runs else None
    if request.htmx and request.GET.get("part") == "progress":
        if latest is not None and latest.active:
            return render(request, "exchange/import_review.html#progress", {"run": latest})
        response = HttpResponse()
        response["HX-Refresh"] = "true"  # finished: show the whole report
        return response
    mapping = mapping_from_dict(upload.mapping, spec)
    sheets = upload_sheets(upload)
    if request.method == "POST" and request.POST.get("action") == "sheet":
        sheet_form = SheetForm(request.POST, sheets=sheets, current=mapping.sheet)
        if sheet_form.is_valid():
            try:
                import_upload_choose_sheet(
                    actor=user, upload=upload, sheet=sheet_form.cleaned_data["sheet"]
                )
            except UnreadableFile as exc:
                messages.error(request, str(exc))
            else:
                messages.info(
                    request,
                    _("Reading the sheet %(sheet)r: check the columns, then check again.")
                    % {"sheet": sheet_form.cleaned_data["sheet"]},
                )
        return HttpResponseRedirect(request.path)
    form = MappingForm(
        request.POST or None,
        spec=spec,
        headers=upload.headers,
        mapping=mapping,
        unknown=upload.unknown,
        user=user,
    )
    if request.method == "POST" and form.is_valid():
        if latest is not None and latest.active:
            messages.warning(request, _("The import is still running: wait for its report."))
            return HttpResponseRedirect(request.path)
        mapping = form.mapping(mapping)
        mode = _mode(request.POST.get("action", ""), upload, form.cleaned_data["skip_invalid"])
        accepted = request.POST.get("accept_warnings", "")
        seen = _latest_report(runs)
        if (
            mode != ImportRun.Mode.DRY_RUN
            and seen.get("warning_fingerprint")
            and accepted != seen.get("warning_fingerprint")
        ):
            messages.error(
                request,
                _(
                    "Check the %(count)s warnings of the dry run and tick the box that says you "
                    "did, or fix the file and check it again: nothing was committed."
                )
                % {"count": f"{seen['warning_count']:,}"},
            )
            return HttpResponseRedirect(request.path)
        import_upload_map(
            actor=user,
            upload=upload,
            mapping=mapping,
            checked=upload.checked and mode == ImportRun.Mode.DRY_RUN,
        )
        if form.cleaned_data["save_as"]:
            saved_mapping_save(
                actor=user,
                kind=spec.kind,
                name=form.cleaned_data["save_as"],
                mapping=mapping,
            )
            messages.success(
                request,
                _("Saved the mapping as %(name)r.") % {"name": form.cleaned_data["save_as"]},
            )
        import_run_create(
            actor=user,
            upload=upload,
            mode=mode,
            mapping=upload.mapping,
            accepted_warnings=accepted if mode != ImportRun.Mode.DRY_RUN else "",
        )
        return HttpResponseRedirect(request.path)
    return render(
        request,
        "exchange/import_review.html",
        {
            "upload": upload,
            "spec": spec,
            "form": form,
            "sheet_form": (
                SheetForm(sheets=sheets, current=mapping.sheet) if len(sheets) > 1 else None
            ),
            "run": latest,
            "report": latest.report if latest and latest.status == ImportRun.Status.DONE else None,
            "earlier": runs[1:],
            "list_url": f"/{spec.kind}/",
            "can_create": can_write_registers(user),
        },
    )


def _latest_report(runs: list[ImportRun]) -> dict[str, Any]:
    """The report of the latest finished run: the one the user saw."""
    done = next((r for r in runs if r.status == ImportRun.Status.DONE), None)
    return done.report if done is not None else {}


@require_GET
def import_file(
    request: HttpRequest, upload_id: str, name: str, run_id: int | None = None
) -> HttpResponseBase:
    """An upload's mapping (``mapping.yaml``), or the errors or rejected rows of one of its runs
    (by default the latest finished one)."""
    upload = _get_upload(request, upload_id)
    stem = Path(upload.name).stem
    if name == "mapping.yaml":
        body = mapping_from_dict(upload.mapping, SPECS[upload.kind]).dumps()
        response: HttpResponseBase = HttpResponse(body, content_type="application/yaml")
    elif name in FILES:
        runs = upload.runs.filter(status=ImportRun.Status.DONE)
        run = runs.filter(pk=run_id).first() if run_id is not None else runs.first()
        path = run_file(run, name) if run is not None else None
        if path is None or not path.exists():
            raise not_found("that file was not written")
        response = FileResponse(
            path.open("rb"),
            content_type=FORMATS["xlsx"] if name.endswith(".xlsx") else "text/csv",
        )
    else:
        raise not_found(f"no file {name!r}")
    # The uploader named the file: the header is built by Django, quotes and line breaks escaped.
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}-{name}")
    return response


@require_GET
def export_list(request: HttpRequest, slug: str) -> HttpResponseBase:
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
    try:
        qs = filtered_queryset(register, user, params)
    except BadFilter as exc:
        return HttpResponse(
            _("Nothing exported: %(what)s") % {"what": exc},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    filename = f"{register.slug}.{fmt}"
    # The file is written to disk, not memory, before sending (XLSX with constant_memory), at
    # the worker's priority: a download of thousands of rows may take a moment longer on a busy
    # machine rather than hold up everyone's pages (coordcell/jobs/priority.py).
    handle = tempfile.TemporaryFile()  # noqa: SIM115  # FileResponse closes it
    if fmt == "csv":
        at_worker_priority(lambda: handle.writelines(csv_chunks(register, qs, user)))
    else:
        at_worker_priority(lambda: write_xlsx(register, qs, handle, user))
    handle.seek(0)
    response = FileResponse(handle, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
