"""Transports and their refusals sync with the phones (issue 15): the schema.

Transport becomes a SyncedModel (its sequence columns added). DestinationRefusal gets the
phone's UUID as its id, its call and the next destination, which no ALTER can do to an
integer primary key on every database: the new table is created here under a passing name,
the rows copied in 0003, and in 0004 the old table dropped and the new one renamed.
"""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("transports", "0001_initial"),
        ("calls", "0012_program_moves"),
        ("referrals", "0006_destination_categories"),
        ("responders", "0006_program_required"),
        ("umcr", "0002_sync_engine"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="transport",
            name="changed_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="transport",
            name="changed_device",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="responders.device",
            ),
        ),
        migrations.AddField(
            model_name="transport",
            name="created_seq",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="transport",
            name="sync_seq",
            field=models.BigIntegerField(db_index=True, default=0, editable=False),
        ),
        # The old table's reverse accessor makes way for the new one's.
        migrations.AlterField(
            model_name="destinationrefusal",
            name="transport",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="transports.transport",
            ),
        ),
        migrations.CreateModel(
            name="NewDestinationRefusal",
            fields=[
                ("sync_seq", models.BigIntegerField(db_index=True, default=0, editable=False)),
                ("created_seq", models.BigIntegerField(default=0, editable=False)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("reason", models.TextField()),
                ("refused_at", models.DateTimeField()),
                (
                    "call",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="destination_refusals",
                        to="calls.call",
                    ),
                ),
                (
                    "changed_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "changed_device",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="responders.device",
                    ),
                ),
                (
                    "next_destination",
                    models.ForeignKey(
                        blank=True,
                        help_text="Where the team drove on to (empty for refusals recorded "
                        "before it was kept).",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="referrals.service",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "service",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="referrals.service",
                    ),
                ),
                (
                    "transport",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="refusals",
                        to="transports.transport",
                    ),
                ),
            ],
            options={"ordering": ["refused_at"]},
        ),
    ]
