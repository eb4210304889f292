"""Every call has a program."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("calls", "0010_call_program")]

    operations = [
        migrations.AlterField(
            model_name="call",
            name="program",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="calls", to="responders.program", help_text="The program that took the call (intake names or matches it)."),
        ),
        migrations.AlterField(
            model_name="call",
            name="call_type",
            field=models.CharField(choices=[("welfare_check", "Welfare check"), ("mental_health_crisis", "Mental-health crisis"), ("public_intoxication", "Public intoxication"), ("indecent_exposure", "Indecent exposure"), ("conflict_mediation", "Conflict to mediate"), ("homelessness", "Person experiencing homelessness"), ("trespass", "Trespass / refusing to leave"), ("disturbance", "Non-violent disturbance"), ("transport", "Transport to care")], max_length=32),
        ),
        migrations.AlterField(
            model_name="call",
            name="source",
            field=models.CharField(choices=[("cad_911", "911 via CAD"), ("umcr_desk", "UMCR desk"), ("field", "Field-initiated"), ("fire_tiered", "Fire tiered dispatch"), ("line_988", "988 line"), ("self_referral", "Self-referral")], max_length=16),
        ),
    ]
