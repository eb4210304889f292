"""Rows written before 0004 named one record each: record_ids = [record_id], in batches of
ids so no statement holds the whole table."""

from django.db import migrations

BATCH = 10_000


def copy_record_ids(apps, schema_editor):
    AccessLog = apps.get_model("umcr", "AccessLog")
    connection = schema_editor.connection
    as_list = (
        "jsonb_build_array(record_id)"
        if connection.vendor == "postgresql"
        else ("json_array(record_id)")
    )
    bounds = AccessLog.objects.order_by("pk").values_list("pk", flat=True)
    first, last = bounds.first(), bounds.last()
    if first is None:
        return
    table = AccessLog._meta.db_table
    with connection.cursor() as cursor:
        for start in range(first, last + 1, BATCH):
            cursor.execute(
                f"UPDATE {table} SET record_ids = {as_list} WHERE id >= %s AND id < %s",
                [start, start + BATCH],
            )


class Migration(migrations.Migration):
    dependencies = [("umcr", "0004_access_log_per_request")]

    operations = [migrations.RunPython(copy_record_ids, reverse_code=migrations.RunPython.noop)]
