"""Pages: shipments, one shipment (with its changes), the bulk event feed, delays, a donor's
late shipments, hubs, the end-use inventory and discrepancy photos. Thin: access through
``selectors``, writes through services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from coordcell.bounds import json_loads
from coordcell.registry.access import (
    as_user,
    get_visible_or_404,
    not_found,
    note_refusal,
    refuse,
)
from coordcell.registry.models import Location, Nation
from coordcell.registry.registers import filter_errors, page_or_error

from . import services
from .discrepancies import can_record_discrepancy, discrepancy_record, inventory_check_record
from .discrepancy_views import discrepancy_rows
from .filters import DelayFilterForm, InventoryFilterForm, ShipmentFilter
from .forms import (
    SERIALS_CHECKED,
    BulkAdvanceForm,
    DiscrepancyForm,
    EventForm,
    InventoryCheckForm,
    MergeForm,
    ReasonForm,
    RerouteForm,
    SplitForm,
    line_label,
)
from .lifecycle import ALLOWED, CHANGEABLE, S
from .models import DiscrepancyPhoto, Shipment
from .selectors import (
    Detail,
    ItemState,
    bulk_event_statuses,
    can_change_shipment,
    can_record_event,
    can_record_events,
    can_see_delays,
    days_late,
    discrepancies_visible_to,
    eta_window,
    events_visible_to,
    hub_outlook,
    inventory_interval_days,
    item_state,
    items_in_state,
    late_shipments,
    legs_visible_to,
    load_shipments_visible_to,
    overdue_serial_items,
    quantities_by_requirement,
    sees_routes_of_all,
    serial_items_visible_to,
    serial_manifest,
    shipment_detail_level,
    shipment_for_change,
    shipments_visible_to,
    with_item_state,
)
from .serials import LineCheck, check_against_manifest

# The shipments a bulk advance could not record: ticked again on the list that follows.
BULK_SELECTED = "logistics.bulk_selected"


def _user(request: HttpRequest) -> Any:
    user = as_user(request.user)
    if user is None:
        raise refuse("not an active user")
    return user


def _get_shipment_for_user(request: HttpRequest, pk: int) -> Shipment:
    """The one place a shipment is fetched: outside the user's need-to-know it is a 404."""
    return get_visible_or_404(shipments_visible_to(request.user), pk=pk)


def shipment_list(request: HttpRequest) -> HttpResponse:
    """Shipments the user sees, filtered and sorted as far as the role reads what it filters by
    (``filters.ShipmentFilter``); a filter value or page it cannot read shows nothing, and why."""
    user = _user(request)
    filterset = ShipmentFilter(
        request.GET,
        queryset=shipments_visible_to(user).select_related("hub", "donor", "delivery_point"),
        user=user,
    )
    qs = filterset.ordered(filterset.qs) if filterset.is_valid() else Shipment.objects.none()
    page, page_error = page_or_error(Paginator(qs, 50), request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    list_errors = filter_errors(filterset) + ([page_error] if page_error else [])
    rows = [(s, shipment_detail_level(user, s), eta_window(s)) for s in page]
    # Each column's header sorts by it (again: the other way round), keeping the filters.
    sort_params = params.copy()
    current = str(sort_params.pop("sort", [""])[-1])
    sorts = {
        key: "?"
        + "&".join(
            p for p in (sort_params.urlencode(), f"sort={'-' if current == key else ''}{key}") if p
        )
        for key in filterset.sorts
    }
    return render(
        request,
        "logistics/list.html",
        {
            "sorts": sorts,
            "current_sort": current,
            "page": page,
            "rows": rows,
            "filterset": filterset,
            "params": params.urlencode(),
            "list_errors": list_errors,
            "routes": sees_routes_of_all(user),
            "bulk": _bulk_context(request, user),
            "FULL": Detail.FULL,
            "LAST_LEG": Detail.LAST_LEG,
        },
        status=400 if list_errors else 200,
    )


def _bulk_context(request: HttpRequest, user: Any) -> dict[str, Any] | None:
    """The list's bulk advance: its form and the shipments still ticked from the last one."""
    statuses = bulk_event_statuses(user)
    if not statuses:
        return None
    selected = request.session.pop(BULK_SELECTED, None) or []
    return {
        "form": BulkAdvanceForm(statuses=statuses, prefix="bulk"),
        "selected": set(selected),
        "next": request.get_full_path(),
    }


def _event_statuses(user: Any, shipment: Shipment) -> list[str]:
    return [
        s
        for s in ALLOWED[shipment.status]
        if s != S.CANCELLED and can_record_event(user, shipment, s)
    ]


def shipment_detail(
    request: HttpRequest, pk: int, forms: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    user = _user(request)
    shipment = _get_shipment_for_user(request, pk)
    level = shipment_detail_level(user, shipment)
    lines = list(shipment.lines.select_related("requirement__capability", "category", "pledge"))
    statuses = _event_statuses(user, shipment)
    planner = can_change_shipment(user, shipment) and shipment.status in CHANGEABLE
    forms = forms or {}
    context = {
        "shipment": shipment,
        "level": level.value,
        "legs": legs_visible_to(user, shipment),
        "events": events_visible_to(user, shipment),
        "lines": lines if level is not Detail.STATUS else [],
        "quantities": quantities_by_requirement({ln.requirement_id for ln in lines}),
        "eta_window": eta_window(shipment),
        "discrepancies": _discrepancies(user, shipment),
        "event_form": forms.get("event")
        or (
            EventForm(statuses=statuses, lines=lines, current=shipment.status) if statuses else None
        ),
        "serial_check": forms.get("serial_check"),
        "planner": planner,
        "cancel_form": forms.get("cancel") or ReasonForm(prefix="cancel"),
        "reroute_form": forms.get("reroute") or RerouteForm(prefix="reroute"),
        "split_form": forms.get("split") or SplitForm(prefix="split"),
        "merge_form": forms.get("merge") or MergeForm(prefix="merge"),
        "discrepancy_form": forms.get("discrepancy")
        or (DiscrepancyForm() if can_record_discrepancy(user, shipment) else None),
        "late_days": days_late(shipment, timezone.now().date()),
    }
    return render(request, "logistics/detail.html", context, status=status)


def load_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The load shipment ``pk`` travels in: the shipments a donor's depot sends to one hub in
    one week, one per delivery point, with their lines and totals per unit, and the next step
    recorded for all of them at once. Only for those who see the whole route (404 otherwise,
    as for a shipment made by hand, which travels in no load)."""
    user = _user(request)
    shipment = _get_shipment_for_user(request, pk)
    if not shipment.load:
        raise not_found("a shipment made by hand travels in no load")
    shipments = list(
        load_shipments_visible_to(user, shipment.load)
        .select_related("origin", "hub", "delivery_point", "donor")
        .prefetch_related("lines__category", "lines__requirement", "legs")
        .order_by("delivery_point__name", "reference")
    )
    if not shipments:
        raise refuse("a load's route is not the user's to see")
    first = shipments[0]
    totals: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    for member in shipments:
        lines = list(member.lines.all())
        by_unit: dict[str, int] = {}
        for line in lines:
            by_unit[line.category.unit] = by_unit.get(line.category.unit, 0) + line.quantity
            if member.status != S.CANCELLED:
                totals[line.category.unit] = totals.get(line.category.unit, 0) + line.quantity
        rows.append({"shipment": member, "lines": lines, "by_unit": sorted(by_unit.items())})
    legs = sorted(first.legs.all(), key=lambda leg: leg.sequence)
    moving = [s for s in shipments if s.status != S.CANCELLED]
    recordable = bulk_event_statuses(user) if moving else []
    # only the steps every shipment of the load may take next
    statuses = [
        status
        for status in recordable
        if all(status in ALLOWED[member.status] for member in moving)
    ]
    bulk = None
    if statuses:
        bulk = {
            "form": BulkAdvanceForm(statuses=statuses, prefix="bulk"),
            "selected": {s.pk for s in moving},
            "next": request.get_full_path(),
        }
    return render(
        request,
        "logistics/load.html",
        {
            "reference": first.load,
            "first": first,
            "first_leg": legs[0] if legs else None,
            "rows": rows,
            "totals": sorted(totals.items()),
            "lines": sum(len(row["lines"]) for row in rows),
            "bulk": bulk,
            "moving": moving,
            # those who record steps, when the shipments are at different ones
            "apart": bool(recordable) and not statuses,
        },
    )


def _discrepancies(user: Any, shipment: Shipment) -> list[dict[str, Any]]:
    """The shipment's discrepancies the user may see, each with its owner, state and the
    actions the user may take (discrepancy_views.discrepancy_rows), and the reference of the
    shipment a wrong serial belongs to when the user may see that one too (else "")."""
    found = list(
        discrepancies_visible_to(user)
        .filter(shipment=shipment)
        .select_related("other_shipment", "shipment__donor", "owner_nation")
        .prefetch_related("photos")
    )
    others = {d.other_shipment_id for d in found if d.other_shipment_id}
    visible = set(
        shipments_visible_to(user).filter(pk__in=others).values_list("pk", flat=True)
        if others
        else ()
    )
    rows = discrepancy_rows(user, found)
    for row in rows:
        d = row["d"]
        row["other"] = (
            d.other_shipment.reference
            if d.other_shipment and d.other_shipment_id in visible
            else ""
        )
    return rows


def _errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _serial_check(user: Any, shipment: Shipment, form: EventForm) -> list[LineCheck]:
    """What the pasted serials find against the shipment's manifest, per line (nothing when
    there is no manifest yet or nothing was pasted)."""
    manifest = serial_manifest(user, shipment)
    scanned = form.serials_by_line()
    if not scanned or not any(manifest.values()):
        return []
    labels = {line.pk: line_label(line) for line in form.serial_lines}
    return check_against_manifest(manifest, labels, scanned)


def _in_words(message: str) -> str:
    """An action's refusal with the statuses' and fields' internal names put in words."""
    for value, status_label in S.choices:
        message = message.replace(f"'{value}'", f"'{status_label}'")
    for name, label in (
        ("handed_over_by", _("handed over by")),
        ("taken_over_by", _("taken over by")),
        ("quantity", _("quantity counted")),
        ("lines", _("quantity per line")),
        ("serials", _("serial numbers")),
    ):
        message = message.replace(f"'{name}'", f"'{label}'")
    return message


def shipment_event(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the next status (or, with ``check``, only compare the pasted serials with the
    manifest: nothing is stored). A GET (a reload of this address) goes to the shipment."""
    user = _user(request)
    shipment = _get_shipment_for_user(request, pk)
    detail = reverse("logistics:detail", args=[shipment.pk])
    if request.method != "POST":
        return HttpResponseRedirect(detail)
    lines = list(shipment.lines.select_related("category").order_by("pk"))
    form = EventForm(
        request.POST,
        statuses=_event_statuses(user, shipment),
        lines=lines,
        current=shipment.status,
    )
    if "check" in request.POST:
        form.is_valid()
        found = _serial_check(user, shipment, form)
        if not found:
            form.add_error(
                None,
                _("Nothing to check yet: paste the serial numbers, and record the manifest first.")
                if not any(serial_manifest(user, shipment).values())
                else _("Paste or scan the serial numbers to check them against the manifest."),
            )
        return shipment_detail(request, pk, {"event": form, "serial_check": found})
    if form.is_valid():
        data = form.cleaned_data
        found = _serial_check(user, shipment, form) if data["status"] in SERIALS_CHECKED else []
        try:
            services.shipment_record_event(
                actor=user,
                shipment=shipment,
                status=data["status"],
                occurred_at=data["occurred_at"],
                quantity=data["quantity"],
                lines=data["lines"],
                serials=form.serial_list(),
                handed_over_by=data["handed_over_by"],
                taken_over_by=data["taken_over_by"],
                note=data["note"],
            )
        except ValidationError as exc:
            form.add_error(None, [_in_words(m) for m in exc.messages])
        else:
            messages.success(
                request,
                _("%(shipment)s: “%(status)s” recorded.")
                % {"shipment": shipment.reference, "status": S(data["status"]).label},
            )
            for check in found:
                if not check.clean:
                    messages.warning(
                        request,
                        _("%(summary)s Recorded as discrepancies.") % {"summary": check.summary()},
                    )
            return HttpResponseRedirect(detail)
    return shipment_detail(request, pk, {"event": form}, status=400)


def _back_to_list(request: HttpRequest) -> str:
    """The list the user came from, with its filters (only a page of this site's list)."""
    back = request.POST.get("next", "")
    list_url = reverse("logistics:list")
    if back.startswith(list_url) and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        return back  # the list, or a load's page (under the list's address too)
    return list_url


def shipments_advance(request: HttpRequest) -> HttpResponse:
    """Record the same next status for the shipments ticked on the list, each through the event
    action (its checks, audit and consequences). Those it refuses are listed with the reason in
    words and stay ticked; the others are recorded."""
    user = _user(request)
    back = _back_to_list(request)
    if request.method != "POST":
        return HttpResponseRedirect(back)
    statuses = bulk_event_statuses(user)
    if not statuses:
        raise refuse("the role records no shipment events")
    form = BulkAdvanceForm(request.POST, statuses=statuses, prefix="bulk")
    ids = [int(v) for v in request.POST.getlist("shipment") if v.isdigit() and len(v) < 19]
    if not ids:
        form.add_error(None, _("Tick the shipments to advance first."))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        request.session[BULK_SELECTED] = ids
        return HttpResponseRedirect(back)
    status, occurred_at = form.cleaned_data["status"], form.cleaned_data["occurred_at"]
    chosen = list(shipments_visible_to(user).filter(pk__in=ids).order_by("planned_departure", "pk"))
    done: list[str] = []
    failed: list[int] = []
    for shipment in chosen:
        try:
            services.shipment_record_event(
                actor=user, shipment=shipment, status=status, occurred_at=occurred_at
            )
        except (ValidationError, PermissionDenied) as exc:
            failed.append(shipment.pk)
            reasons = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            messages.error(
                request,
                _("%(shipment)s not advanced: %(reason)s")
                % {
                    "shipment": shipment.reference,
                    "reason": " ".join(_in_words(r) for r in reasons),
                },
            )
        else:
            done.append(shipment.reference)
    missing = len(set(ids) - {s.pk for s in chosen})
    if missing:
        messages.error(
            request,
            ngettext(
                "%(n)d ticked shipment was not found.",
                "%(n)d ticked shipments were not found.",
                missing,
            )
            % {"n": missing},
        )
    if done:
        messages.success(
            request,
            ngettext(
                "“%(status)s” recorded for %(n)d shipment: %(list)s.",
                "“%(status)s” recorded for %(n)d shipments: %(list)s.",
                len(done),
            )
            % {"status": S(status).label, "n": len(done), "list": ", ".join(done)},
        )
    request.session[BULK_SELECTED] = failed
    return HttpResponseRedirect(back)


CHANGES = {
    "cancel": (
        ReasonForm,
        lambda u, s, d: services.shipment_cancel(actor=u, shipment=s, reason=d["reason"]),
    ),
    "reroute": (
        RerouteForm,
        lambda u, s, d: services.shipment_reroute(
            actor=u,
            shipment=s,
            hub=d["hub"],
            reason=d["reason"],
            capacity_override=d["override_reason"],
        ),
    ),
    "split": (
        SplitForm,
        lambda u, s, d: services.shipment_split(
            actor=u, shipment=s, quantities=d["moves"], reason=d["reason"]
        ),
    ),
    "merge": (
        MergeForm,
        lambda u, s, d: services.shipment_merge(
            actor=u,
            shipment=s,
            other=_other_shipment(u, d["other"]),
            reason=d["reason"],
            capacity_override=d["override_reason"],
        ),
    ),
}


def _other_shipment(user: Any, reference: str) -> Shipment:
    other = shipment_for_change(user, reference)
    if other is None:
        raise ValidationError({"other": f"No shipment {reference} that you may change."})
    return other


@require_POST
def shipment_change(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _user(request)
    shipment = _get_shipment_for_user(request, pk)
    if action not in CHANGES:
        raise not_found(f"no change {action!r}")
    if not can_change_shipment(user, shipment):
        raise refuse("only coordinators change shipments by hand")
    form_class, change = CHANGES[action]
    form = form_class(request.POST, prefix=action)
    if form.is_valid():
        try:
            result = change(user, shipment, form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, f"{shipment}: {action} done ({result}).")
            return HttpResponseRedirect(f"/logistics/shipments/{pk}/")
    return shipment_detail(request, pk, {action: form}, status=400)


@require_POST
def discrepancy_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    shipment = _get_shipment_for_user(request, pk)
    form = DiscrepancyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            discrepancy_record(
                actor=user,
                shipment=shipment,
                kind=data["kind"],
                line_id=data["line"],
                quantity=data["quantity"],
                serial=data["serial"],
                description=data["description"],
                photos=data["photos"],
            )
        except PermissionDenied as exc:
            raise refuse(str(exc)) from exc
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, "Discrepancy recorded.")
            return HttpResponseRedirect(f"/logistics/shipments/{pk}/")
    return shipment_detail(request, pk, {"discrepancy": form}, status=400)


def discrepancy_photo(request: HttpRequest, pk: int) -> FileResponse:
    photo = get_visible_or_404(
        DiscrepancyPhoto.objects.filter(discrepancy__in=discrepancies_visible_to(request.user)),
        pk=pk,
    )
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@require_POST
def events_bulk(request: HttpRequest) -> JsonResponse:
    """POST {"events": [...]} with the session and CSRF token; answers the IngestResult."""
    user = as_user(request.user)
    if user is None:
        return JsonResponse({"error": "Log in first."}, status=403)
    if not can_record_events(user):
        note_refusal(request, "the role records no shipment events")
        return JsonResponse(
            {"error": "Only coordinators and donor or recipient liaisons record events."},
            status=403,
        )
    try:
        body = json_loads(request.body)
        events = body["events"] if isinstance(body, dict) else body
        if not isinstance(events, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {"error": 'Send JSON: {"events": [{"id": ..., "shipment": ..., ...}]}.'},
            status=400,
        )
    try:
        result = services.events_ingest(actor=user, events=events)
    except PermissionDenied as exc:
        note_refusal(request, str(exc))
        return JsonResponse({"error": str(exc)}, status=403)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse(result.as_dict(), status=200)


def _late_rows(qs: Any, request: HttpRequest, *, with_donor: bool = True) -> dict[str, Any]:
    today = timezone.now().date()
    late = late_shipments(qs, today).select_related("hub", "delivery_point", "donor")
    filters = DelayFilterForm(request.GET, with_donor=with_donor)
    list_errors = filter_errors(filters)
    page, page_error = page_or_error(Paginator(filters.apply(late), 50), request.GET.get("page"))
    list_errors += [page_error] if page_error else []
    params = request.GET.copy()
    params.pop("page", None)
    shipments = list(page)
    at_risk: dict[int, list[Any]] = {}
    for shipment in Shipment.objects.filter(pk__in=[s.pk for s in shipments]).prefetch_related(
        "lines__requirement__capability"
    ):
        at_risk[shipment.pk] = [line.requirement for line in shipment.lines.all()]
    rows = [(s, days_late(s, today), at_risk.get(s.pk, [])) for s in shipments]
    return {
        "page": page,
        "rows": rows,
        "today": today,
        "filters": filters,
        "params": params.urlencode(),
        "list_errors": list_errors,
    }


def delays(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not can_see_delays(user):
        raise refuse("delays and hubs are for the cell and auditors")
    context = _late_rows(shipments_visible_to(user), request)
    return render(
        request,
        "logistics/delays.html",
        {**context, "title": _("Late shipments")},
        status=400 if context["list_errors"] else 200,
    )


def donor_delays(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    nation = get_visible_or_404(Nation.objects.filter(is_donor=True), code=code.upper())
    if not (user.sees_everything or (user.is_donor_liaison and user.nation_id == nation.pk)):
        raise refuse("another donor's late shipments")
    qs = shipments_visible_to(user).filter(donor=nation)
    context = _late_rows(qs, request, with_donor=False)
    return render(
        request,
        "logistics/delays.html",
        {**context, "title": _("Late shipments of %(donor)s") % {"donor": nation.name}},
        status=400 if context["list_errors"] else 200,
    )


def hubs(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not can_see_delays(user):
        raise refuse("delays and hubs are for the cell and auditors")
    return render(
        request,
        "logistics/hubs.html",
        {
            "hubs": Location.objects.filter(kind=Location.Kind.HUB)
            .select_related("nation")
            .order_by("name"),
        },
    )


def hub_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    if not can_see_delays(user):
        raise refuse("delays and hubs are for the cell and auditors")
    hub = get_visible_or_404(Location.objects.filter(kind=Location.Kind.HUB), pk=pk)
    outlook = hub_outlook(hub, today=timezone.now().date())
    table = [
        (
            domain,
            outlook.on_hand.get(domain, 0),
            outlook.capacity.get(domain, 0),
            [outlook.cells.get((domain, week)) for week in outlook.weeks],
        )
        for domain in outlook.domains
    ]
    return render(request, "logistics/hub.html", {"outlook": outlook, "table": table})


def inventory(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    qs = serial_items_visible_to(user)
    if not (user.sees_everything or user.is_donor_liaison or user.is_recipient_liaison):
        raise refuse("the end-use inventory is not for this role")
    overdue_only = request.GET.get("overdue") == "1"
    overdue = overdue_serial_items(qs)
    overdue_count = overdue.count()
    if overdue_only:
        qs = overdue
    form = None
    if user.is_coordinator or user.is_recipient_liaison:
        form = InventoryCheckForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                items = inventory_check_record(
                    actor=user,
                    serials=form.cleaned_data["serials"].splitlines(),
                    location=form.cleaned_data["location"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                _errors(form, exc)
            else:
                messages.success(request, f"{len(items)} items checked.")
                return HttpResponseRedirect(request.path)
    elif request.method == "POST":
        raise refuse("only the cell and the recipient record inventory checks")
    state = request.GET.get("state", "")
    filters = InventoryFilterForm(request.GET)
    list_errors = filter_errors(filters)
    qs = items_in_state(with_item_state(qs), state)
    if list_errors:
        qs = qs.none()  # never every item shown as if filtered
    elif filters.cleaned_data.get("category") is not None:
        qs = qs.filter(category=filters.cleaned_data["category"])
    page, page_error = page_or_error(
        Paginator(qs.order_by("category__name", "serial"), 100), request.GET.get("page")
    )
    list_errors += [page_error] if page_error else []
    params = request.GET.copy()
    params.pop("page", None)
    overdue_ids = set(overdue.filter(pk__in=[i.pk for i in page]).values_list("pk", flat=True))
    return render(
        request,
        "logistics/inventory.html",
        {
            "page": page,
            "overdue_ids": overdue_ids,
            "overdue_only": overdue_only,
            "interval": inventory_interval_days(),
            "form": form,
            "overdue_count": overdue_count,
            "states": ItemState.choices,
            "state": state,
            # Per item: its state's label, and whether it is at the recipient (received or
            # damaged); a missing one is never shown as received.
            "items": [
                (
                    i,
                    item_state(i).label,
                    item_state(i) in (ItemState.RECEIVED, ItemState.DAMAGED),
                    item_state(i) in (ItemState.MISSING, ItemState.DAMAGED),
                )
                for i in page
            ],
            # Where an item not received was last seen is on its route: the recipient's need
            # is what it received.
            "route_hidden": not sees_routes_of_all(user),
            "filters": filters,
            "params": params.urlencode(),
            "list_errors": list_errors,
        },
        status=400 if (form is not None and form.errors) or list_errors else 200,
    )
