"""Session summaries (usage.sessions), filled from the events already stored."""

import django.db.models.deletion
from django.db import migrations, models


def summaries_fill(apps, schema_editor):
    # The rebuild's own statement, once per organization: the same sums ingest keeps.
    from usage.sessions.summaries import rebuild_sql

    organizations = apps.get_model("tokentracker", "Organization").objects.values_list(
        "pk", flat=True
    )
    with schema_editor.connection.cursor() as cursor:
        for organization_id in organizations:
            cursor.execute(rebuild_sql(horizon=False), [organization_id])


class Migration(migrations.Migration):
    dependencies = [
        ("tokentracker", "0011_organization_tag_keys"),
        ("usage", "0015_live_and_test"),
    ]

    operations = [
        migrations.CreateModel(
            name="SessionDelta",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "livemode",
                    models.BooleanField(default=True, help_text="False: test-key events."),
                ),
                ("session_id", models.CharField(max_length=200)),
                ("developer_id", models.CharField(blank=True, max_length=200)),
                ("developer_seen_at", models.DateTimeField(blank=True, null=True)),
                ("first_at", models.DateTimeField()),
                ("last_at", models.DateTimeField()),
                ("events", models.PositiveBigIntegerField(default=0)),
                ("input_tokens", models.PositiveBigIntegerField(default=0)),
                ("output_tokens", models.PositiveBigIntegerField(default=0)),
                ("cache_read_tokens", models.PositiveBigIntegerField(default=0)),
                ("cache_write_tokens", models.PositiveBigIntegerField(default=0)),
                ("reasoning_tokens", models.PositiveBigIntegerField(default=0)),
                ("uncached_input_tokens", models.PositiveBigIntegerField(default=0)),
                ("total_tokens", models.PositiveBigIntegerField(default=0)),
                ("cost", models.DecimalField(decimal_places=12, default=0, max_digits=28)),
                ("unpriced_events", models.PositiveBigIntegerField(default=0)),
                ("co2e_grams", models.DecimalField(decimal_places=9, default=0, max_digits=28)),
                ("errors", models.PositiveBigIntegerField(default=0)),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="SessionSummary",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "livemode",
                    models.BooleanField(default=True, help_text="False: test-key events."),
                ),
                ("session_id", models.CharField(max_length=200)),
                ("developer_id", models.CharField(blank=True, max_length=200)),
                ("developer_seen_at", models.DateTimeField(blank=True, null=True)),
                ("first_at", models.DateTimeField()),
                ("last_at", models.DateTimeField()),
                ("events", models.PositiveBigIntegerField(default=0)),
                ("input_tokens", models.PositiveBigIntegerField(default=0)),
                ("output_tokens", models.PositiveBigIntegerField(default=0)),
                ("cache_read_tokens", models.PositiveBigIntegerField(default=0)),
                ("cache_write_tokens", models.PositiveBigIntegerField(default=0)),
                ("reasoning_tokens", models.PositiveBigIntegerField(default=0)),
                ("uncached_input_tokens", models.PositiveBigIntegerField(default=0)),
                ("total_tokens", models.PositiveBigIntegerField(default=0)),
                ("cost", models.DecimalField(decimal_places=12, default=0, max_digits=28)),
                ("unpriced_events", models.PositiveBigIntegerField(default=0)),
                ("co2e_grams", models.DecimalField(decimal_places=9, default=0, max_digits=28)),
                ("errors", models.PositiveBigIntegerField(default=0)),
            ],
            options={
                "verbose_name_plural": "session summaries",
            },
        ),
        migrations.AddField(
            model_name="sessiondelta",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tokentracker.organization",
            ),
        ),
        migrations.AddField(
            model_name="sessionsummary",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tokentracker.organization",
            ),
        ),
        migrations.AddIndex(
            model_name="sessionsummary",
            index=models.Index(
                fields=["organization", "livemode", "last_at"], name="session_org_last"
            ),
        ),
        migrations.AddIndex(
            model_name="sessionsummary",
            index=models.Index(
                condition=models.Q(("developer_id", ""), _negated=True),
                fields=["organization", "livemode", "developer_id", "last_at"],
                name="session_org_developer_last",
            ),
        ),
        migrations.AddConstraint(
            model_name="sessionsummary",
            constraint=models.UniqueConstraint(
                fields=("organization", "livemode", "session_id"), name="session_summary_unique"
            ),
        ),
        migrations.RunPython(summaries_fill, migrations.RunPython.noop),
    ]
