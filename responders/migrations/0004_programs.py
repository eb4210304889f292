"""Programs as data: the Program table, and a program on each coverage and team (nullable
until 0005 fills it)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("responders", "0003_alter_responder_team")]

    operations = [
        migrations.CreateModel(
            name="Program",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("name", models.CharField(max_length=120, unique=True)),
                ("slug", models.SlugField(help_text="Short handle, e.g. 'umcr'.", max_length=40, unique=True)),
                ("description", models.TextField(blank=True)),
                ("is_active", models.BooleanField(default=True)),
                ("intake_order", models.PositiveSmallIntegerField(default=100, help_text="When a call names no program, programs are tried in this order (lowest first); the first that takes the call gets it.")),
                ("call_types", models.JSONField(blank=True, default=list, help_text="The call types the program takes (CallType).")),
                ("sources", models.JSONField(blank=True, default=list, help_text="Where it takes calls from (CallSource).")),
                ("refuses_weapon", models.BooleanField(default=True, help_text="Refuse a call where a weapon was reported.")),
                ("refuses_violence", models.BooleanField(default=True, help_text="Refuse a call with violence in progress.")),
                ("refused_safety_flags", models.JSONField(blank=True, default=list, help_text="Safety flags (SafetyFlag) that rule a call out.")),
                ("team_makeup", models.CharField(choices=[("clinician_pair", "Two clinicians"), ("medic_crisis_worker", "A medic and a crisis worker"), ("van_crew", "A van crew that can transport")], default="clinician_pair", max_length=24)),
                ("transports", models.BooleanField(default=False, help_text="Its teams can drive a client to care (a transport step).")),
            ],
            options={"ordering": ["intake_order", "name"]},
        ),
        migrations.AddField(
            model_name="coverage",
            name="program",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="coverages", to="responders.program"),
        ),
        migrations.AddField(
            model_name="team",
            name="program",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="teams", to="responders.program"),
        ),
    ]
