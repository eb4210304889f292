"""Sync marks (umcr/sync/window.py), paged pulls' positions (umcr/sync/pull.py) and the exits' retention job, as a django-q2 Schedule
(daily, 03:40 TIME_ZONE)."""

from django.db import migrations, models

NAME = "sync exit retention"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=NAME,
        defaults={
            "func": "umcr.sync.exits.purge_expired_exits",
            "schedule_type": "C",
            "cron": "40 3 * * *",
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("umcr", "0010_sync_batch_answer_bytes"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.CreateModel(
            name="SyncMark",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField(db_index=True)),
                ("window_start", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
            ],
        ),
        migrations.CreateModel(
            name="SyncPage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("responder_id", models.BigIntegerField()),
                (
                    "position",
                    models.BigIntegerField(help_text="The sequence number the pages reached."),
                ),
                (
                    "open_snapshot",
                    models.BigIntegerField(
                        blank=True,
                        help_text="A first sync's open calls were sent as of this.",
                        null=True,
                    ),
                ),
                ("window_from", models.DateTimeField(blank=True, null=True)),
                ("window_to", models.DateTimeField(blank=True, null=True)),
                ("cuts", models.JSONField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
            ],
        ),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
