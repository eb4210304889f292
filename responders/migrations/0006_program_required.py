"""Every coverage and team has a program; one provider per division and program at a time."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("responders", "0005_existing_data_is_umcr")]

    operations = [
        migrations.AlterField(
            model_name="coverage",
            name="program",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="coverages", to="responders.program"),
        ),
        migrations.AlterField(
            model_name="team",
            name="program",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="teams", to="responders.program"),
        ),
        migrations.RemoveConstraint(model_name="coverage", name="coverage_one_start_per_division"),
        migrations.AddConstraint(
            model_name="coverage",
            constraint=models.UniqueConstraint(fields=("program", "division", "starts_on"), name="coverage_one_start_per_program_division"),
        ),
    ]
