from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, so calls keep being written while it builds;
    a plain index elsewhere (the development server's SQLite)."""

    def _plain(self, schema_editor):
        return schema_editor.connection.vendor != "postgresql"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        run = migrations.AddIndex if self._plain(schema_editor) else AddIndexConcurrently
        run.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        run = migrations.AddIndex if self._plain(schema_editor) else AddIndexConcurrently
        run.database_backwards(self, app_label, schema_editor, from_state, to_state)


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
