"""The access log after its data moved: the single record_id goes; on PostgreSQL a GIN index
answers "who read record X" (record_ids @> '["X"]') and a trigger makes the table
append-only for everyone (no UPDATE; DELETE only of rows past the six-year retention, which
the retention task does). SQLite, the embedded demo, gets neither: the ORM's guards
(AccessLog.save/delete, its queryset) and a table scan do there."""

from django.db import migrations, models

GIN_INDEX = "umcr_accesslog_record_ids_gin"

APPEND_ONLY = f"""
-- A first pull adds some 170,000 keys at once: a large pending list takes them at append
-- cost, and (auto)vacuum merges it in the background instead of the pull's INSERT.
CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON umcr_accesslog USING gin (record_ids jsonb_path_ops)
    WITH (gin_pending_list_limit = 65536);

CREATE OR REPLACE FUNCTION umcr_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'umcr_accesslog is append-only: rows are never changed'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.accessed_at > now() - interval '6 years' THEN
        RAISE EXCEPTION 'umcr_accesslog rows are kept six years (row % written %)',
            OLD.id, OLD.accessed_at
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS umcr_accesslog_append_only ON umcr_accesslog;
CREATE TRIGGER umcr_accesslog_append_only
    BEFORE UPDATE OR DELETE ON umcr_accesslog
    FOR EACH ROW EXECUTE FUNCTION umcr_accesslog_append_only();
"""

DROP_APPEND_ONLY = f"""
DROP TRIGGER IF EXISTS umcr_accesslog_append_only ON umcr_accesslog;
DROP FUNCTION IF EXISTS umcr_accesslog_append_only();
DROP INDEX IF EXISTS {GIN_INDEX};
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("umcr", "0005_access_log_record_ids_data")]

    operations = [
        migrations.RemoveIndex(model_name="accesslog", name="umcr_access_record__0a2394_idx"),
        # A default first, so that unapplying (which adds the column back) works on rows.
        migrations.AlterField(
            model_name="accesslog",
            name="record_id",
            field=models.CharField(default="", max_length=64),
        ),
        migrations.RemoveField(model_name="accesslog", name="record_id"),
        migrations.RunPython(on_postgresql(APPEND_ONLY), on_postgresql(DROP_APPEND_ONLY)),
    ]
