# PendingTrack in usage gets usage's own table name (the rows move with the rename).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('carbon', '0003_pendingtrack_to_usage'),
        ('usage', '0008_pendingtrack_from_carbon'),
    ]

    operations = [
        migrations.AlterModelTable(
            name='pendingtrack',
            table=None,
        ),
    ]
