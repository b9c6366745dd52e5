"""Data for 0003: each stored event's id space from the user who recorded it, and wrong-serial
discrepancies that named the serial's own shipment in their text (shown to everyone who sees the
discrepancy) keep that shipment in ``other_shipment`` instead."""

import re

from django.db import migrations

NATION_ROLES = ("donor_liaison", "recipient_liaison", "training_site_officer")
NAMED = re.compile(r"^This serial is on the manifest of (?P<reference>\S+?)\.$")
NEUTRAL = "This serial is on the manifest of another shipment."


def forwards(apps, schema_editor):
    ShipmentEvent = apps.get_model("logistics", "ShipmentEvent")
    User = apps.get_model("registry", "User")
    Shipment = apps.get_model("logistics", "Shipment")
    Discrepancy = apps.get_model("logistics", "Discrepancy")
    senders = {
        pk: f"nation:{nation_id}"
        for pk, role, nation_id in User.objects.values_list("pk", "role", "nation_id")
        if nation_id and role in NATION_ROLES
    }
    recorders = ShipmentEvent.objects.exclude(recorded_by=None).values_list(
        "recorded_by_id", flat=True
    )
    for user_id in set(recorders) & set(senders):
        ShipmentEvent.objects.filter(recorded_by_id=user_id).update(sender=senders[user_id])
    for discrepancy in Discrepancy.objects.filter(kind="wrong_serial", other_shipment=None):
        match = NAMED.match(discrepancy.description)
        if match is None:
            continue
        other = Shipment.objects.filter(reference=match["reference"]).first()
        discrepancy.other_shipment = other
        discrepancy.description = NEUTRAL
        discrepancy.save(update_fields=["other_shipment", "description"])


def backwards(apps, schema_editor):
    Discrepancy = apps.get_model("logistics", "Discrepancy")
    for discrepancy in Discrepancy.objects.filter(kind="wrong_serial").exclude(
        other_shipment=None
    ):
        discrepancy.description = (
            f"This serial is on the manifest of {discrepancy.other_shipment.reference}."
        )
        discrepancy.save(update_fields=["description"])


class Migration(migrations.Migration):
    dependencies = [
        ("logistics", "0003_event_ids_per_sender_and_wrong_serials_own_shipment"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
