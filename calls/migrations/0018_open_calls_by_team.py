from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, so calls keep being written while it builds;
    a plain index elsewhere (the development server's SQLite)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("calls", "0017_merge_checkins_desk_notes"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="call",
            index=models.Index(
                condition=models.Q(("status__in", ["cleared", "cancelled"]), _negated=True),
                fields=["team"],
                name="call_open_by_team_idx",
            ),
        ),
    ]
