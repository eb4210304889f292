"""The scheduled work of follow-ups, as django-q2 Schedules (created here, not by hand)."""

from django.db import migrations

SCHEDULES = [
    # name, func, schedule_type, minutes, cron
    ("followup reminders", "followups.tasks.send_followup_reminders", "I", 15, None),
    ("overdue follow-up escalations", "followups.tasks.escalate_overdue_followups", "I", 15, None),
    ("case managers' daily digest", "followups.tasks.send_daily_digests", "C", None, "0 7 * * *"),
]


def create_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, schedule_type, minutes, cron in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": schedule_type,
                "minutes": minutes,
                "cron": cron,
                "repeats": -1,
            },
        )


def remove_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0002_synced"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
