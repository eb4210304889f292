"""Recording that records left an audience (a team lost a call) or were removed for all."""

from collections.abc import Iterable

from ..models import SyncExit
from . import sequence
from .audience import AudienceKey


def record_exits(table: str, record_ids: Iterable[object], audience: AudienceKey) -> int:
    """Phones of `audience` (umcr.sync.audience: a team's, a responder's, everyone's) get
    these ids as deleted."""
    ids = [str(pk) for pk in record_ids]
    if not ids:
        return 0
    seq = sequence.claim()
    SyncExit.objects.bulk_create(
        [SyncExit(table=table, record_id=pk, audience=audience, seq=seq) for pk in ids]
    )
    return len(ids)
