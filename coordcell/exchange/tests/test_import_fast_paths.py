"""The shortcuts that make a large import fast change nothing a user sees: every bad row is still
reported, every written row has its own audit event in an intact chain, and a value changed after
the check is checked again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from coordcell.audit.models import AuditEvent
from coordcell.audit.services import same_field_rules, verify
from coordcell.db import instance_factory
from coordcell.exchange.engine import run_import
from coordcell.exchange.specs import PLEDGES
from coordcell.pledges.models import Pledge
from coordcell.pledges.services import pledge_check, pledges_save_many
from coordcell.registry.models import ItemCategory, Location, Nation, Role

pytestmark = pytest.mark.django_db

HEADER = "Donor,Our ref,Item,Qty,Available,Depot,Status\n"


def _csv(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "pledges.csv"
    path.write_text(HEADER + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def category(world: object) -> ItemCategory:
    return ItemCategory.objects.get(code="ammo-155")


def test_a_bad_value_repeated_on_many_rows_is_reported_on_each(world, category, tmp_path):
    soon = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    path = _csv(
        tmp_path,
        [
            f"DE,R-1,ammo-155,5,{soon},depot-de,offered",
            "DE,R-2,ammo-155,5,2027-02-30,depot-de,offered",  # a date that does not exist
            f"DE,R-3,shells,5,{soon},depot-de,offered",  # an unknown category
            "DE,R-4,ammo-155,5,2027-02-30,depot-de,offered",
            f"DE,R-5,shells,5,{soon},depot-de,offered",
            f"DE,R-6,ammo-155,0,{soon},depot-de,offered",  # below the field's range
            f"DE,R-7,ammo-155,0,{soon},depot-de,offered",
        ],
    )
    report = run_import(spec=PLEDGES, path=path, user=world.users[Role.COORDINATOR], chunk_size=3)
    by_row = {(e.row, e.column) for e in report.errors}
    assert {(3, "Available"), (5, "Available")} <= by_row
    assert {(4, "Item"), (6, "Item")} <= by_row
    assert {(7, "Qty"), (8, "Qty")} <= by_row
    assert report.rejected == 6
    assert report.unknown["category"]["shells"] == 2


def test_every_written_row_has_its_event_and_the_chain_holds(world, category, tmp_path):
    soon = dt.date.today() + dt.timedelta(days=30)
    rows = [
        f"{'DE' if i % 2 else 'Poland'},R-{i},ammo-155,{1 + i % 3},"
        f"{(soon + dt.timedelta(days=i % 4)).isoformat()},{'depot-de' if i % 2 else 'depot-pl'},"
        "offered"
        for i in range(23)
    ]
    user = world.users[Role.COORDINATOR]
    report = run_import(
        spec=PLEDGES, path=_csv(tmp_path, rows), user=user, commit=True, chunk_size=5
    )
    assert report.committed and report.created == 23
    events = AuditEvent.objects.filter(verb="create", target_type="pledges.pledge")
    assert events.count() == 23
    pledge = Pledge.objects.get(donor_reference="R-7")
    event = events.get(target_id=str(pledge.pk))
    after = event.data["after"]
    assert after["donor_reference"] == "R-7" and after["quantity"] == pledge.quantity
    assert after["available_from"] == pledge.available_from.isoformat()
    assert after["reference"] == pledge.reference and after["allowed_hubs"] == []
    assert verify().ok


def test_a_value_changed_after_the_check_is_checked_again(world, category):
    user = world.users[Role.COORDINATOR]
    germany = Nation.objects.get(code="DE")
    pledge = Pledge(
        donor=germany,
        donor_reference="R-1",
        category=category,
        quantity=5,
        available_from=dt.date.today() + dt.timedelta(days=30),
        origin=Location.objects.get(code="depot-de"),
    )
    with same_field_rules():
        assert pledge_check(user, pledge, before=None) is None
        pledge.quantity = 0
        with pytest.raises(ValidationError, match="R-1"), transaction.atomic():
            pledges_save_many(actor=user, creates=[pledge], updates=[])
    assert not Pledge.objects.exists()


def test_new_objects_are_built_as_their_constructor_builds_them(world, category):
    values = {
        "donor": Nation.objects.get(code="DE"),
        "donor_reference": "R-1",
        "category": category,
        "quantity": 5,
        "available_from": dt.date(2027, 3, 1),
        "origin": Location.objects.get(code="depot-de"),
    }
    built, constructed = instance_factory(Pledge)(values), Pledge(**values)
    assert {k: v for k, v in built.__dict__.items() if k != "_state"} == {
        k: v for k, v in constructed.__dict__.items() if k != "_state"
    }
    assert built.donor == constructed.donor and built.origin_id == constructed.origin_id
    assert built._state.adding and built._state.db == constructed._state.db
    with pytest.raises(ValueError, match="Nation"):  # what the constructor says
        instance_factory(Pledge)({**values, "donor": category})


def test_a_packed_new_row_comes_back_as_it_was_checked(world, category):
    """New rows wait for the write packed as tuples; each comes back with the same values and
    related records, and the rules it passed are not run again (nor skipped once changed)."""
    from coordcell.audit.services import checked
    from coordcell.exchange.staging import PackedRows

    de = Nation.objects.get(code="DE")
    depot = Location.objects.get(code="depot-de")
    pledge = instance_factory(Pledge)(
        {
            "donor": de,
            "donor_reference": "R-9",
            "category": category,
            "quantity": 12,
            "available_from": dt.date.today() + dt.timedelta(days=30),
            "origin": depot,
            "status": Pledge.Status.OFFERED,
        }
    )
    assert checked(pledge, new_reference=True) is None  # stamps it
    packed = PackedRows()
    packed.append((7, pledge))
    [(number, back)] = list(packed)
    assert number == 7 and back is not pledge
    assert back.__dict__.keys() == pledge.__dict__.keys()
    assert {k: v for k, v in back.__dict__.items() if k != "_state"} == {
        k: v for k, v in pledge.__dict__.items() if k != "_state"
    }
    assert back.donor is de and back.category is category and back._state.adding
    assert back._passed_model_rules == pledge._passed_model_rules
    back.quantity = 0
    assert checked(back, new_reference=True) is not None  # changed: checked again
    assert [len(chunk) for chunk in packed.take(1)] == [1] and not packed


def test_a_packed_rows_keys_are_read_without_building_it_and_match_the_built_ones(
    world, category
):
    """The write's check for keys created meanwhile reads them from the packed values; a key
    with an empty part (a related record this import creates, whose id comes later) is read
    from the object built again."""
    from coordcell.exchange.staging import PackedRows

    de = Nation.objects.get(code="DE")
    depot = Location.objects.get(code="depot-de")
    later = Nation(code="ZZ", name="Not yet saved")
    packed = PackedRows()
    for n, donor in enumerate([de, de, later]):
        packed.append(
            (
                n + 2,
                instance_factory(Pledge)(
                    {
                        "donor": donor,
                        "donor_reference": f"R-{n}",
                        "category": category,
                        "quantity": 5,
                        "origin": depot,
                        "status": Pledge.Status.OFFERED,
                    }
                ),
            )
        )
    attnames = ["donor_id", "donor_reference"]
    [chunk] = list(packed.keys(attnames, 10))
    built = list(packed)
    assert [(number, key) for number, key, _ in chunk] == [
        (number, (obj.donor_id, obj.donor_reference)) for number, obj in built
    ]
    assert chunk[0][1] == (de.pk, "R-0") and chunk[2][1] == (None, "R-2")
    assert packed.built(chunk[1][2]).donor_reference == "R-1"
    assert [len(c) for c in packed.keys(attnames, 2)] == [2, 1]
