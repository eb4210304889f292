"""Position pings' retention, as a django-q2 Schedule (daily, 03:45 TIME_ZONE)."""

from django.db import migrations

NAME = "position ping retention"


def create_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME,
        defaults={
            "func": "responders.tasks.purge_position_pings",
            "schedule_type": "C",
            "cron": "45 3 * * *",
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("responders", "0007_team_availability_and_positions"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
