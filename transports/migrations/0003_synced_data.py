"""Transports and their refusals sync with the phones (issue 15): the data. The refusals
are copied to their new table, each with a fresh UUID, its call and the next destination as
far as known; existing rows of both tables get sync sequence numbers claimed from the
counter, so phones pulling from any cursor receive them."""

import uuid

from django.db import migrations
from django.db.models import F

COUNTER_TABLE = "umcr_synccounter"


def claim(schema_editor, count):
    """`count` sequence numbers from the sync counter (umcr/sync/sequence.py); the first."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {COUNTER_TABLE} SET value = value + %s WHERE id = 1", [count]
        )
        if cursor.rowcount == 0:
            cursor.execute(f"INSERT INTO {COUNTER_TABLE} (id, value) VALUES (1, %s)", [count])
        cursor.execute(f"SELECT value FROM {COUNTER_TABLE} WHERE id = 1")
        last = cursor.fetchone()[0]
    return last - count + 1


def copy_refusals_and_stamp(apps, schema_editor):
    Transport = apps.get_model("transports", "Transport")
    Old = apps.get_model("transports", "DestinationRefusal")
    New = apps.get_model("transports", "NewDestinationRefusal")
    transports = list(Transport.objects.order_by("departed_at", "pk"))
    olds = list(Old.objects.select_related("transport").order_by("transport_id", "refused_at", "pk"))
    if not transports and not olds:
        return
    seq = claim(schema_editor, len(transports) + len(olds))
    for transport in transports:
        Transport.objects.filter(pk=transport.pk).update(sync_seq=seq, created_seq=seq)
        seq += 1
    # The next destination of a refusal: the following refusal's, or where the ride is now.
    rows = []
    for index, old in enumerate(olds):
        following = olds[index + 1] if index + 1 < len(olds) else None
        if following is not None and following.transport_id == old.transport_id:
            next_id = following.service_id
        else:
            next_id = old.transport.destination_id
        rows.append(
            New(
                id=uuid.uuid4(),
                transport_id=old.transport_id,
                call_id=old.transport.call_id,
                service_id=old.service_id,
                next_destination_id=next_id,
                reason=old.reason,
                refused_at=old.refused_at,
                recorded_by_id=old.recorded_by_id,
                sync_seq=seq,
                created_seq=seq,
            )
        )
        seq += 1
    New.objects.bulk_create(rows, batch_size=500)
    # created_at is auto_now_add (the migration's time): a copied refusal was recorded when
    # it was refused, as far as anyone knows (phones read it as `recorded_at`).
    New.objects.update(created_at=F("refused_at"))


def copy_refusals_back(apps, schema_editor):
    """Reversed (after 0004's reverse recreated the old table, empty): the refusals go back
    to it, so a rollback loses none."""
    Old = apps.get_model("transports", "DestinationRefusal")
    New = apps.get_model("transports", "NewDestinationRefusal")
    Old.objects.bulk_create(
        [
            Old(
                transport_id=new.transport_id,
                service_id=new.service_id,
                reason=new.reason,
                refused_at=new.refused_at,
                recorded_by_id=new.recorded_by_id,
            )
            for new in New.objects.order_by("refused_at")
        ],
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [("transports", "0002_synced")]

    operations = [
        migrations.RunPython(copy_refusals_and_stamp, reverse_code=copy_refusals_back)
    ]
