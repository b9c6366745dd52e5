"""Discrepancies: the due date is required, a resolution is set exactly when resolved, and the
register's index (status, due date). Apart from 0007 (its data step): PostgreSQL does not alter
a table with the data step's deferred foreign-key checks still pending in the same transaction."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('logistics', '0007_discrepancy_lifecycle'),
    ]

    operations = [
        migrations.AlterField(
            model_name='discrepancy',
            name='due_on',
            field=models.DateField(verbose_name='due on'),
        ),
        migrations.AddIndex(
            model_name='discrepancy',
            index=models.Index(fields=['status', 'due_on'], name='discrepancy_status_due_idx'),
        ),
        migrations.AddConstraint(
            model_name='discrepancy',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'resolved'), models.Q(('resolution', ''), _negated=True)), models.Q(models.Q(('status', 'resolved'), _negated=True), ('resolution', '')), _connector='OR'), name='discrepancy_resolution_iff_resolved'),
        ),
    ]
