"""Writing the access log: every read of a health record (a call, a person) by whom, when,
and from which device. One insert per request, whatever it read."""

from .models import AccessLog


def log_reads(request, records: list[tuple[str, object, int | None]]) -> None:
    """Log that the request's user read each (record_type, record_id, provider_id)."""
    device = getattr(request.auth, "device", None)
    ip = request.META.get("REMOTE_ADDR") or None
    AccessLog.objects.bulk_create(
        [
            AccessLog(
                user=request.user,
                device=device,
                provider_id=provider_id,
                record_type=record_type,
                record_id=str(record_id),
                ip_address=ip,
            )
            for record_type, record_id, provider_id in records
        ]
    )
