"""Writes that name records, for their error messages (side channels count).

Each probe runs in a savepoint that is rolled back, so the estate never changes. A probe naming
another nation's record (an event id, a serial, a shipment, a depot, a site) is sent twice: with
that record's value and with a value nobody has. Besides the usual checks of each answer (no
canary the viewer may not read, no 500), the two answers — the sent value blanked out — must be
the same: an answer that differs says the other nation's record exists ("already used").
Oversize numbers (2^63, 2^63 − 1, the largest 16-digit value) must be refused, or stored so that
the lists read right after the write (in the same savepoint) still answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import rules
from .crawler import Crawl
from .estate import Estate

HUGE = 2**63
# One digit more than Pledge.value accepts (coordcell/bounds.py: MONEY_MAX): refused, as the
# probe's value was not.
LARGEST_VALUE = "99999999999999.99"
OVERSIZE_READS = ("/", "/pledges/", "/api/v1/pledges", "/requirements/", "/logistics/")
UPLOAD_RE = re.compile(r"[0-9a-f]{32}")  # an upload's id, new with every upload
# A form's token changes with every answer: not part of what is compared.
CSRF_RE = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]*"')
# A success the asker's own earlier step queued (the crawl does not follow redirects, so a
# message waits in the session for the next page drawn): it says nothing of the value sent.
QUEUED_SUCCESS_RE = re.compile(r'<p class="message success" role="status">.*?</p>', re.S)


class Probes:
    def __init__(self, crawl: Crawl, estate: Estate):
        self.crawl, self.estate, self.viewer = crawl, estate, crawl.viewer
        own = self.viewer.nation if self.viewer.nation in ("DE", "PL") else "DE"
        self.own = own
        self.other = "PL" if own == "DE" else "DE"
        self.mine = estate.shipments[own]
        self.theirs = estate.shipments[self.other]

    def run(self) -> None:
        if not self.viewer.role:
            return
        for probe in (
            self.event_id_reused,
            self.serial_already_recorded,
            self.event_for_another_shipment,
            self.event_form_serial,
            self.merge_another_shipment,
            self.inventory_check,
            self.pledge_naming_another_depot,
            self.session_at_another_site,
            self.import_naming_another_depot,
            self.oversize_numbers,
        ):
            probe()

    # ---- helpers ----

    def _send(
        self,
        url: str,
        payload: Any,
        *,
        json_body: bool,
        echo: tuple[str, ...] = (),
        keep: bool = False,
    ) -> tuple[Any, str]:
        """POST (as JSON or a form); rolled back unless ``keep`` (crawler.Crawl.fetch)."""
        if json_body:
            return self.crawl.fetch(
                url,
                "write-error",
                method="post",
                data=json.dumps(payload),
                content_type="application/json",
                echo=echo,
                keep=keep,
            )
        return self.crawl.fetch(
            url, "write-error", method="post", data=payload, echo=echo, keep=keep
        )

    def _differential(
        self,
        name: str,
        canary: rules.Canary | None,
        send: Callable[[str], tuple[Any, str]],
        other: str,
        fresh: str,
        *,
        oracle: bool = True,
    ) -> None:
        """Send with another nation's value and with an unknown one; the answers must match
        (unless ``oracle`` is off: a refusal the docs promise, whose wording alone is checked)."""
        a_response, a_text = send(other)
        if not oracle:
            return
        b_response, b_text = send(fresh)
        a_status, b_status = a_response.status_code, b_response.status_code
        if canary is not None and rules.may_see(self.viewer, canary):
            return  # the viewer may read that record: telling it exists is no leak
        a = QUEUED_SUCCESS_RE.sub("", CSRF_RE.sub("", _blank(a_text, other)))
        b = QUEUED_SUCCESS_RE.sub("", CSRF_RE.sub("", _blank(b_text, fresh)))
        if (a_status, a) != (b_status, b):
            what = (
                f"{canary.what}{f' [{canary.klass}]' if canary.klass else ''}" if canary else other
            )
            self.crawl.inspector.add(
                self.viewer,
                "write-error",
                name,
                "oracle",
                f"tells {what} exists (answers differ from an unknown value's)",
                canary.nation if canary else "",
                f"{a_status} {_gist(a, b)!r} vs {b_status} {_gist(b, a)!r}",
            )

    def _canary_of(self, value: str) -> rules.Canary | None:
        match = rules.CANARY_RE.search(value)
        return self.estate.canaries.get(match.group(0)) if match else None

    def _bulk(self, events: list[dict[str, Any]], echo: tuple[str, ...]) -> tuple[Any, str]:
        return self._send("/logistics/events/bulk", {"events": events}, json_body=True, echo=echo)

    # ---- probes ----

    def event_id_reused(self) -> None:
        """An id another nation's feed used, on one's own shipment (docs/logistics.md: an id
        reused for a different event is rejected — but not by telling it exists elsewhere)."""
        from coordcell.logistics.models import ShipmentEvent

        theirs = ShipmentEvent.objects.filter(shipment=self.theirs["departed"]).first()
        if theirs is None:
            return
        when = (timezone.now() - timezone.timedelta(hours=1)).isoformat()

        def send(client_id: str) -> tuple[Any, str]:
            event = {"id": client_id, "shipment": self.mine["ready_at_origin"].reference}
            event.update(status="departed", occurred_at=when)
            return self._bulk([event], echo=(client_id,))

        canary = self._canary_of(theirs.client_id)
        self._differential(
            "POST /logistics/events/bulk (an event id another nation used)",
            canary,
            send,
            theirs.client_id,
            "CRAWL-UNUSED-EVENT-ID-1",
        )

    def serial_already_recorded(self) -> None:
        """A manifest listing a serial of another nation's manifest (same category)."""
        shipment, other_serial = self._serial_pair()
        if shipment is None:
            return
        lines = [ln for ln in shipment.lines.select_related("category") if ln.category.sensitive]

        def send(serial: str) -> tuple[Any, str]:
            serials = {
                str(ln.pk): [f"CRAWL-{ln.pk}-{n}" for n in range(ln.quantity)] for ln in lines
            }
            first = str(lines[0].pk)
            serials[first][0] = serial
            event = {
                "id": "CRAWL-PROBE-SERIAL",
                "shipment": shipment.reference,
                "status": "ready_at_origin",
                "occurred_at": (timezone.now() - timezone.timedelta(hours=2)).isoformat(),
                "serials": serials,
            }
            return self._bulk([event], echo=(serial,))

        self._differential(
            "POST /logistics/events/bulk (a serial of another nation's manifest)",
            self._canary_of(other_serial),
            send,
            other_serial,
            "CRAWL-UNKNOWN-SERIAL-1",
            oracle=False,  # docs/logistics.md: a serial on another shipment is refused
        )

    def _serial_pair(self) -> tuple[Any, str]:
        """One's own planned serial-numbered shipment, and a serial of the same category on the
        other nation's manifests."""
        from coordcell.logistics.models import SerialItem

        shipment = self.mine["planned"]
        categories = list(
            shipment.lines.filter(category__sensitive=True).values_list("category_id", flat=True)
        )
        if not categories:
            return None, ""
        item = (
            SerialItem.objects.filter(
                shipment_line__shipment__donor__code=self.other,
                category_id=categories[0],
                serial__startswith="CNRY-",
            )
            .order_by("pk")
            .first()
        )
        if item is None:
            # Any serial of the other nation: its category differs, so only an oracle can show.
            item = SerialItem.objects.filter(
                shipment_line__shipment__donor__code=self.other, serial__startswith="CNRY-"
            ).first()
        return (shipment, item.serial) if item else (None, "")

    def event_for_another_shipment(self) -> None:
        theirs = self.theirs["ready_at_origin"]

        def send(reference: str) -> tuple[Any, str]:
            event = {
                "id": "CRAWL-PROBE-SHIPMENT",
                "shipment": reference,
                "status": "departed",
                "occurred_at": (timezone.now() - timezone.timedelta(hours=1)).isoformat(),
            }
            return self._bulk([event], echo=(reference,))

        self._differential(
            "POST /logistics/events/bulk (another nation's shipment)",
            self._canary_of(theirs.reference),
            send,
            theirs.reference,
            "CNRY-NONE-0000",
        )

    def event_form_serial(self) -> None:
        """The shipment page's form: the same serial, through the page."""
        shipment, other_serial = self._serial_pair()
        if shipment is None:
            return

        def send(serial: str) -> tuple[Any, str]:
            form = {
                "status": "ready_at_origin",
                "serials": "\n".join([serial, *[f"CRAWL-{n}" for n in range(3)]]),
            }
            return self._send(
                f"/logistics/shipments/{shipment.pk}/event/", form, json_body=False, echo=(serial,)
            )

        self._differential(
            f"POST /logistics/shipments/{shipment.pk}/event/ (a serial of another manifest)",
            self._canary_of(other_serial),
            send,
            other_serial,
            "CRAWL-UNKNOWN-SERIAL-1",
            oracle=False,
        )

    def merge_another_shipment(self) -> None:
        theirs = self.theirs["planned"]
        pk = self.mine["planned"].pk

        def send(reference: str) -> tuple[Any, str]:
            form = {"merge-other": reference, "merge-reason": "crawl"}
            return self._send(
                f"/logistics/shipments/{pk}/merge/", form, json_body=False, echo=(reference,)
            )

        self._differential(
            f"POST /logistics/shipments/{pk}/merge/ (another nation's shipment)",
            self._canary_of(theirs.reference),
            send,
            theirs.reference,
            "CNRY-NONE-0001",
        )

    def inventory_check(self) -> None:
        """End-use check naming another nation's item that was not received."""
        from coordcell.logistics.models import SerialItem

        item = (
            SerialItem.objects.filter(
                shipment_line__shipment__donor__code=self.other,
                received_at__isnull=True,
                serial__startswith="CNRY-",
            )
            .order_by("pk")
            .first()
        )
        point = self.mine["received"].delivery_point_id
        if item is None:
            return

        def send(serial: str) -> tuple[Any, str]:
            form = {"serials": serial, "location": point, "note": "crawl"}
            return self._send("/logistics/inventory/", form, json_body=False, echo=(serial,))

        self._differential(
            "POST /logistics/inventory/ (another nation's item in transit)",
            self._canary_of(item.serial),
            send,
            item.serial,
            "CRAWL-UNKNOWN-SERIAL-2",
        )
        code = self.mine["received"].delivery_point.code

        def send_api(serial: str) -> tuple[Any, str]:
            body = {"serials": [serial], "location": code, "note": "crawl"}
            return self._send("/api/v1/inventory-checks", body, json_body=True, echo=(serial,))

        self._differential(
            "POST /api/v1/inventory-checks (another nation's item in transit)",
            self._canary_of(item.serial),
            send_api,
            item.serial,
            "CRAWL-UNKNOWN-SERIAL-3",
        )

    def pledge_naming_another_depot(self) -> None:
        from coordcell.registry.models import ItemCategory, Location

        depot = Location.objects.get(kind="depot", nation__code=self.other)
        category = ItemCategory.objects.get(code="ammo-155-m795")
        base = {
            "category": category.code,
            "quantity": 10,
            "available_from": timezone.now().date().isoformat(),
            "status": "offered",
        }

        def send_api(code: str) -> tuple[Any, str]:
            return self._send(
                "/api/v1/pledges", {**base, "origin": code}, json_body=True, echo=(code,)
            )

        canary = rules.Canary("", self.other, "registry.location.code")
        self._differential(
            "POST /api/v1/pledges (another nation's depot as origin)",
            canary,
            send_api,
            depot.code,
            "CRAWL-NO-SUCH-DEPOT",
        )

        def send_form(pk: str) -> tuple[Any, str]:
            form = {**base, "category": category.pk, "origin": pk, "donor": self.own}
            return self._send("/pledges/new/", form, json_body=False, echo=())

        self._differential(
            "POST /pledges/new/ (another nation's depot as origin)",
            canary,
            send_form,
            str(depot.pk),
            "999999999",
        )

    def session_at_another_site(self) -> None:
        from coordcell.training.models import Course, TrainingSite

        site = TrainingSite.objects.filter(location__nation__code="DE").first()
        course = Course.objects.filter(sites=site).first()
        if site is None or course is None:
            return
        monday = timezone.now().date() + timezone.timedelta(days=7 - timezone.now().weekday())

        def send(pk: str) -> tuple[Any, str]:
            form = {"course": course.pk, "site": pk, "start_date": monday.isoformat(), "seats": 10}
            return self._send("/training/sessions/new/", form, json_body=False, echo=())

        self._differential(
            "POST /training/sessions/new/ (another nation's site)",
            rules.Canary("", "DE", "training.session.reference"),
            send,
            str(site.pk),
            "999999999",
        )

    def import_naming_another_depot(self) -> None:
        """The import pages: a pledge file naming another nation's depot, a category that is a
        formula and an oversize quantity; its dry run, the review page and the error and reject
        files it offers (a cell of those must not run as a formula either)."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        from coordcell.registry.models import Location

        depot = Location.objects.get(kind="depot", nation__code=self.other)
        day = timezone.now().date().isoformat()

        def send(code: str) -> tuple[Any, str]:
            rows = [
                "Donor,Our ref,Item,Qty,Available,Depot,Status",
                f"{self.own},crawl-1,ammo-155-m795,10,{day},{code},offered",
                f"{self.own},crawl-2,=1+1,{HUGE},{day},{code},offered",
            ]
            upload = SimpleUploadedFile("crawl.csv", "\n".join(rows).encode(), "text/csv")
            started, _text = self.crawl.fetch(
                "/import/",
                "write-error",
                method="post",
                data={"kind": "pledges", "file": upload},
                keep=True,  # the upload lives in the session, which the next requests read
            )
            if started.status_code != 302:
                return started, _text
            review = started["Location"]
            columns = {
                "col:donor": "Donor",
                "col:donor_reference": "Our ref",
                "col:category": "Item",
                "col:quantity": "Qty",
                "col:available_from": "Available",
                "col:origin": "Depot",
                "col:status": "Status",
                "action": "check",
            }
            answer = self.crawl.fetch(
                review, "write-error", method="post", data=columns, echo=(code,), keep=True
            )
            for name in ("errors.csv", "rejects.csv", "mapping.yaml"):
                self.crawl.fetch(review + name, "export", echo=(code,))
            return answer[0], UPLOAD_RE.sub("«upload»", answer[1])

        self._differential(
            "POST /import/<upload>/ (a pledge file naming another nation's depot)",
            rules.Canary("", self.other, "registry.location.code"),
            send,
            depot.code,
            "CRAWL-NO-SUCH-DEPOT",
        )

    def oversize_numbers(self) -> None:
        """2^63, 2^63 − 1 and the largest 16-digit value through the API, the forms and the event
        feed: refused, or stored so that every list read right after the write (in the same
        savepoint) still answers."""
        for url, payload, json_body in self._oversize_writes():
            with transaction.atomic():
                response, _text = self._send(url, payload, json_body=json_body, keep=True)
                if response.status_code < 400 and b'"accepted": 0' not in response.content:
                    for read in OVERSIZE_READS:
                        self.crawl.fetch(read, "api" if read.startswith("/api/") else "page")
                transaction.set_rollback(True)

    def _oversize_writes(self) -> list[tuple[str, Any, bool]]:
        from coordcell.registry.models import Capability, ItemCategory, Location

        category = ItemCategory.objects.get(code="ammo-155-m795")
        depot = Location.objects.get(kind="depot", nation__code=self.own)
        point = Location.objects.filter(kind="delivery_point").order_by("pk").first()
        capability = Capability.objects.order_by("pk").last()
        day = timezone.now().date().isoformat()
        pledge = {
            "category": category.code,
            "value": LARGEST_VALUE,
            "currency": "EUR",
            "valuation_basis": "replacement_cost",
            "available_from": day,
            "origin": depot.code,
            "donor": self.own,
            "status": "offered",
        }
        form = {**pledge, "category": category.pk, "origin": depot.pk}
        requirement = {
            "capability": capability.code,
            "category": category.code,
            "need_by": day,
            "delivery_point": point.code,
            "priority": 1,
        }
        if self.viewer.role == rules.RECIPIENT:
            shipment, status = self.mine["handed_over"], "received"
        else:
            shipment, status = self.mine["ready_at_origin"], "departed"
        writes: list[tuple[str, Any, bool]] = []
        for quantity in (HUGE, HUGE - 1):
            event = {
                "id": f"CRAWL-PROBE-HUGE-{quantity}",
                "shipment": shipment.reference,
                "status": status,
                "occurred_at": (timezone.now() - timezone.timedelta(hours=1)).isoformat(),
                "quantity": quantity,
                "handed_over_by": "crawl",
                "taken_over_by": "crawl",
            }
            writes += [
                ("/api/v1/pledges", {**pledge, "quantity": quantity}, True),
                ("/pledges/new/", {**form, "quantity": quantity}, False),
                ("/api/v1/requirements", {**requirement, "quantity": quantity}, True),
                ("/logistics/events/bulk", {"events": [event]}, True),
            ]
        return writes


def _blank(text: str, sent: str) -> str:
    """The answer without what was sent (a code or a reference; an id is too short to tell):
    where it stands as a whole token, as sent or as JSON escapes it (a number inside a longer
    one, e.g. a form's max="9999999999999.99", is not what was sent)."""
    if len(sent) < 6:
        return text
    # The JSON-escaped form first: the raw one may sit inside it, after a backslash.
    for form in dict.fromkeys([json.dumps(sent)[1:-1], sent]):
        text = re.sub(rf"(?<![\w.-]){re.escape(form)}(?![\w-])(?!\.\d)", "«X»", text)
    return text


def _gist(a: str, b: str) -> str:
    """Where two answers part: a short stretch of ``a`` from the first difference."""
    at = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    return a[max(0, at - 30) : at + 90]
