# PendingTrack now belongs to usage (usage 0008 took its state over the same table).
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('carbon', '0002_wider_carbon_figures'),
        ('usage', '0008_pendingtrack_from_carbon'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='PendingTrack')],
            database_operations=[],
        ),
    ]
