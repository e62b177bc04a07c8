# PendingTrack moves from carbon to usage (issue 12: carbon imports no other domain app).
# The table is kept: usage takes the model's state over "carbon_pendingtrack", carbon drops
# its state (carbon 0003), then the table is renamed to usage's name (0009).
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('carbon', '0002_wider_carbon_figures'),
        ('tokentracker', '0006_community_opted_in_at'),
        ('usage', '0007_set_aside_deltas'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='PendingTrack',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('event_id', models.CharField(max_length=40, unique=True)),
                        ('event', models.JSONField(help_text='The event as the ingest service takes it.')),
                        ('energy_wh', models.DecimalField(decimal_places=9, max_digits=28)),
                        ('co2e_grams', models.DecimalField(decimal_places=9, max_digits=28)),
                        ('methodology_version', models.CharField(max_length=20)),
                        ('received_at', models.DateTimeField()),
                        ('api_key', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tokentracker.apikey')),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tokentracker.organization')),
                    ],
                    options={'db_table': 'carbon_pendingtrack'},
                ),
            ],
            database_operations=[],
        ),
    ]
