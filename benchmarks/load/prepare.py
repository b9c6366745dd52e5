"""Data for the load benchmark, run by ``run.py`` against one database (DATABASE_URL and
COORDCELL_DATA_DIR come from the environment):

    python benchmarks/load/prepare.py base            # the cached starting point (slow, once)
    python benchmarks/load/prepare.py run PLAN.json   # per run, on a copy of the base: tokens, work

``base`` is idempotent step by step, so an interrupted build resumes: migrate; the large demo
scenario (seed 1); a committed first-fit allocation of the priority-1 requirements and its
shipments, every second one moved some way along its lifecycle (as ``bench_dashboards.py`` does:
page timings do not depend on how the plan was made, and the optimiser takes minutes on the large
scenario); then the load-test accounts, one per simulated person, of every role. ``run`` creates
an API token per account with ``coordcell token create`` and writes what each simulated person
works on (its own shipments to move along, the pledges its nation edits, ids to open) as JSON for
the locustfile.
"""

from __future__ import annotations

import io
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent), str(HERE.parent)]

# Accounts, one per simulated person: enough of each role for 100 concurrent users.
DONOR_NATIONS = ["US", "GB", "DE", "FR", "PL", "NL"]
HOST_NATIONS = ["DE", "GB", "PL"]
ACCOUNTS: dict[str, list[tuple[str, str | None]]] = {
    "coordinator": [(f"load-coord-{i:02d}", None) for i in range(1, 25)],
    "donor_liaison": [
        (f"load-donor-{n.lower()}-{i:02d}", n) for n in DONOR_NATIONS for i in range(1, 10)
    ],
    "recipient_liaison": [(f"load-recip-{i:02d}", "UA") for i in range(1, 21)],
    "training_site_officer": [
        (f"load-trainer-{n.lower()}-{i:02d}", n) for n in HOST_NATIONS for i in range(1, 5)
    ],
    "auditor": [(f"load-audit-{i:02d}", None) for i in range(1, 17)],
}
LAST_ACCOUNT = "load-audit-16"  # created last: its presence means the base is complete


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordcell.settings")
    import django

    django.setup()


def _step(label: str, began: float) -> None:
    print(f"  {label}: {time.perf_counter() - began:.1f} s", flush=True)


STAGES = ["ready_at_origin", "departed", "at_hub", "departed_hub", "handed_over", "received"]
SIGNED = {"handed_over_by": "Sgt. Weber", "taken_over_by": "Capt. Shevchenko"}


def serials(reference: str, line_id: int, quantity: int) -> list[str]:
    """The serial numbers of one serial-numbered shipment line (the locustfile makes the same)."""
    return [f"{reference}-{line_id}-{k:04d}" for k in range(1, quantity + 1)]


def build_base() -> None:
    from django.core.management import call_command

    from coordcell.logistics.models import Shipment
    from coordcell.registry.models import Nation, Role, User

    began = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    _step("migrate", began)
    if User.objects.filter(username=LAST_ACCOUNT).exists():
        print("  base already prepared")
        return
    if not Nation.objects.exists():
        began = time.perf_counter()
        call_command("demo_data", size="large", seed=1)
        _step("demo-data --size large --seed 1", began)
    coordinator = User.objects.filter(role=Role.COORDINATOR).order_by("pk").first()
    recipient = User.objects.filter(role=Role.RECIPIENT_LIAISON).order_by("pk").first()
    if not Shipment.objects.exists():
        began = time.perf_counter()
        from first_fit import commit_first_fit

        from coordcell.requirements.models import Requirement

        # Priority 1 only (10% of the requirements): two thousand shipments are enough for the
        # pages, and committing all of them takes many minutes on the large scenario.
        commit_first_fit(
            coordinator,
            Requirement.objects.filter(status=Requirement.Status.OPEN, priority=1).order_by(
                "need_by", "pk"
            ),
        )
        _step(f"first-fit allocation committed, {Shipment.objects.count():,} shipments", began)
    began = time.perf_counter()
    moved = _move_shipments(coordinator, recipient)
    _step(f"{moved:,} events moving every second shipment along", began)
    began = time.perf_counter()
    _create_accounts()
    _step("load-test accounts", began)


def _move_shipments(coordinator: Any, recipient: Any) -> int:
    """Move every second shipment some way along its lifecycle, with serial manifests and checks
    for serial-numbered items; idempotent (the events carry their own ids)."""
    import datetime as dt

    from django.utils import timezone

    from coordcell.logistics.models import Shipment, ShipmentLine
    from coordcell.logistics.services import events_ingest

    shipments = list(Shipment.objects.order_by("pk").values_list("pk", "reference"))[::2]
    lines: dict[int, list[tuple[int, int, bool]]] = {}
    for sid, lid, qty, sensitive in ShipmentLine.objects.values_list(
        "shipment_id", "pk", "quantity", "category__sensitive"
    ):
        lines.setdefault(sid, []).append((lid, qty, sensitive))
    start = timezone.now() - dt.timedelta(days=3)
    staff, receipts = [], []
    for k, (sid, ref) in enumerate(shipments):
        mine = lines.get(sid, [])
        manifest = {str(lid): serials(ref, lid, qty) for lid, qty, sens in mine if sens}
        total = sum(qty for _l, qty, _s in mine)
        for n, status in enumerate(STAGES[: 1 + k % 6]):
            event: dict[str, Any] = {
                "id": f"base-{ref}-{status}",
                "shipment": ref,
                "status": status,
                "occurred_at": (start + dt.timedelta(hours=8 * n)).isoformat(),
            }
            if status in ("handed_over", "received"):
                event.update(SIGNED, quantity=total)
            if manifest and status == "ready_at_origin":
                event["serials"] = manifest
            elif manifest and status in ("at_hub", "handed_over"):
                event["serials"] = [s for found in manifest.values() for s in found]
            (receipts if status == "received" else staff).append(event)
    accepted = 0
    for actor, batch in [(coordinator, staff), (recipient, receipts)]:
        for at in range(0, len(batch), 1000):
            result = events_ingest(actor=actor, events=batch[at : at + 1000]).as_dict()
            accepted += result["accepted"]
            if result["rejected"]:
                print(f"  rejected: {len(result['rejected'])}, e.g. {result['rejected'][0]}")
    return accepted


def _create_accounts() -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from coordcell.audit.services import record_bulk
    from coordcell.demo.scenario import DEMO_PASSWORD
    from coordcell.registry.models import Nation, User

    nations = dict(Nation.objects.values_list("code", "id"))
    password = make_password(DEMO_PASSWORD)  # hashed once: the same for every load account
    existing = set(
        User.objects.filter(username__startswith="load-").values_list("username", flat=True)
    )
    rows = [
        User(
            username=username,
            role=role,
            nation_id=nations[nation] if nation else None,
            email=f"{username}@coordcell.invalid",
            password=password,
            is_staff=role == "coordinator",
        )
        for role, accounts in ACCOUNTS.items()
        for username, nation in accounts
        if username not in existing
    ]
    with transaction.atomic():
        made = User.objects.bulk_create(rows)
        record_bulk(actor=None, verb="load-test-users", targets=made)


def write_plan(path: Path) -> None:
    from django.core.management import call_command

    from coordcell.audit.models import AuditHead
    from coordcell.logistics.models import Shipment, ShipmentLine
    from coordcell.pledges.models import Pledge
    from coordcell.registry.models import Capability, ItemCategory, Location, Nation, User
    from coordcell.requirements.models import Requirement

    rng = random.Random(1)
    began = time.perf_counter()
    accounts: dict[str, list[dict[str, Any]]] = {}
    for role, pool in ACCOUNTS.items():
        accounts[role] = []
        for username, nation in pool:
            out = io.StringIO()
            call_command(
                "token", "create", username, name="load test", stdout=out, stderr=io.StringIO()
            )
            accounts[role].append(
                {"username": username, "nation": nation, "token": out.getvalue().strip()}
            )
    _step(f"{sum(len(a) for a in accounts.values())} API tokens (coordcell token create)", began)

    # Shipments the simulated people move along, each owned by one person so that every event
    # is a valid next step. Serial-numbered lines carry the serials of their manifest.
    lines: dict[int, list[tuple[int, int, bool]]] = {}
    for sid, lid, qty, sensitive in ShipmentLine.objects.values_list(
        "shipment_id", "pk", "quantity", "category__sensitive"
    ):
        lines.setdefault(sid, []).append((lid, qty, sensitive))
    shipments = Shipment.objects.order_by("pk").values("pk", "reference", "status", "donor__code")
    work: dict[str, list[dict[str, Any]]] = {}
    stages = {
        "donor_liaison": {"planned", "ready_at_origin"},
        "coordinator": {"departed", "at_hub"},
        "recipient_liaison": {"departed_hub", "handed_over"},
    }
    turn: dict[str, int] = {}
    for role, wanted in stages.items():
        for shipment in shipments:
            if shipment["status"] not in wanted:
                continue
            people = [
                a
                for a in accounts[role]
                if role != "donor_liaison" or a["nation"] == shipment["donor__code"]
            ]
            if not people:
                continue
            group = f"{role}:{shipment['donor__code'] if role == 'donor_liaison' else ''}"
            turn[group] = turn.get(group, -1) + 1  # round robin among the role's people
            mine = lines.get(shipment["pk"], [])
            work.setdefault(people[turn[group] % len(people)]["username"], []).append(
                {
                    "id": shipment["pk"],
                    "reference": shipment["reference"],
                    "status": shipment["status"],
                    "quantity": sum(qty for _l, qty, _s in mine),
                    "serial_lines": [[lid, qty] for lid, qty, sens in mine if sens],
                }
            )
    for owner, todo in work.items():
        rng.shuffle(todo)
        work[owner] = todo[:60]

    nation_ids = dict(Nation.objects.values_list("code", "id"))
    pledges: dict[str, dict[str, list[int]]] = {}
    for code in [*DONOR_NATIONS, "all"]:
        qs = Pledge.objects.exclude(status="withdrawn")
        if code != "all":
            qs = qs.filter(donor__code=code)
        ids = list(qs.values_list("pk", flat=True))
        rng.shuffle(ids)
        # A nation's liaisons (page and API) edit a shared working set: stale versions happen.
        pledges[code] = {"edit": ids[:40], "read": ids[:2000]}
    confirmed = list(Pledge.objects.filter(status="confirmed").values_list("pk", flat=True))
    rng.shuffle(confirmed)
    requirements = list(Requirement.objects.values_list("pk", flat=True))
    rng.shuffle(requirements)
    visible_shipments = {
        code: list(Shipment.objects.filter(donor__code=code).values_list("pk", flat=True)[:2000])
        for code in DONOR_NATIONS
    }
    plan = {
        "accounts": accounts,
        "work": work,
        "pledges": pledges,
        "confirmed_pledges": confirmed[:2000],
        "requirements": requirements[:3000],
        "shipments": list(Shipment.objects.values_list("pk", flat=True)[:5000]),
        "donor_shipments": visible_shipments,
        "nation_ids": {c: nation_ids[c] for c in DONOR_NATIONS},
        "domains": sorted(set(ItemCategory.objects.values_list("domain", flat=True))),
        "categories": list(ItemCategory.objects.values_list("pk", flat=True)),
        "capabilities": list(Capability.objects.values_list("pk", flat=True)),
        "delivery_points": list(
            Location.objects.filter(kind=Location.Kind.DELIVERY_POINT).values_list("pk", flat=True)
        ),
        "hubs": list(Location.objects.filter(kind=Location.Kind.HUB).values_list("pk", flat=True)),
        "audit_seq": AuditHead.objects.values_list("seq", flat=True).first() or 0,
        "summary": (
            f"{Pledge.objects.count():,} pledges, {Requirement.objects.count():,} requirements, "
            f"{Shipment.objects.count():,} shipments, "
            f"{AuditHead.objects.values_list('seq', flat=True).first() or 0:,} audit events, "
            f"{User.objects.count()} users"
        ),
    }
    path.write_text(json.dumps(plan))
    moved = sum(len(v) for v in work.values())
    print(f"  plan: {moved:,} shipments to move, {len(work)} people with work", flush=True)


def main(argv: list[str]) -> int:
    _django()
    if argv[:1] == ["base"]:
        build_base()
    elif argv[:1] == ["run"] and len(argv) == 2:
        write_plan(Path(argv[1]))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
