"""The access log's retention job, as a django-q2 Schedule (daily, 03:30 TIME_ZONE)."""

from django.db import migrations

NAME = "access log retention"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=NAME,
        defaults={
            "func": "umcr.tasks.purge_access_log",
            "schedule_type": "C",
            "cron": "30 3 * * *",
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("umcr", "0006_access_log_append_only"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
