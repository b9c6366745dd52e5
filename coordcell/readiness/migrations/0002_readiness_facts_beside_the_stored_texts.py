"""Readiness keeps facts instead of sentences (readiness/facts.py): the texts move aside
(``*_text``), the facts get the names; 0003 turns the texts into facts, 0004 drops the texts."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("readiness", "0001_initial")]

    operations = [
        migrations.RenameField("capabilitypackage", "bottleneck", "bottleneck_text"),
        migrations.RenameField("readinesschange", "before_bottleneck", "before_text"),
        migrations.RenameField("readinesschange", "after_bottleneck", "after_text"),
        migrations.AddField(
            model_name="capabilitypackage",
            name="bottleneck",
            field=models.JSONField(blank=True, default=dict, verbose_name="bottleneck"),
        ),
        migrations.AddField(
            model_name="readinesschange",
            name="before_bottleneck",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="readinesschange",
            name="after_bottleneck",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="readinesschange",
            name="causes",
            field=models.JSONField(blank=True, default=list, verbose_name="causes"),
        ),
    ]
