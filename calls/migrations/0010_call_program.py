"""A call's program, with the sources and call types programs other than UMCR take."""

import django.db.models.deletion
from django.db import migrations, models


def calls_are_umcr(apps, schema_editor):
    Program = apps.get_model("responders", "Program")
    Call = apps.get_model("calls", "Call")
    umcr = Program.objects.filter(slug="umcr").first()
    if umcr is not None:  # made by responders/0005 when there were calls
        Call.objects.filter(program__isnull=True).update(program=umcr)


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0009_event_call_kind_arrival_idx"),
        ("responders", "0005_existing_data_is_umcr"),
    ]

    operations = [
        migrations.AddField(
            model_name="call",
            name="program",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="calls", to="responders.program", help_text="The program that took the call (intake names or matches it)."),
        ),
        migrations.RunPython(calls_are_umcr, migrations.RunPython.noop),
    ]
