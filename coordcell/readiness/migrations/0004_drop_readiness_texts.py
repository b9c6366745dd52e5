"""The readiness texts, now kept as facts (0003), and the flags that hid them per viewer."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("readiness", "0003_readiness_texts_to_facts")]

    operations = [
        migrations.RemoveField("capabilitypackage", "bottleneck_text"),
        migrations.RemoveField("capabilitypackage", "bottleneck_kind"),
        migrations.RemoveField("capabilitypackage", "bottleneck_donor"),
        migrations.RemoveField("readinesschange", "before_text"),
        migrations.RemoveField("readinesschange", "after_text"),
    ]
