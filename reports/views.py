"""The supervisors' dashboard in the admin: their provider's headline figures and charts
(calls per week, response-time distribution, outcomes, backup reasons), by period and
division. The numbers come from reports.figures, the same as GET /api/v1/metrics/."""

from datetime import date, timedelta
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from calls import permissions
from calls.choices import BackupReason, Disposition
from responders.models import Division, Program, Provider
from umcr.admin import staff_responder, staff_role
from umcr.policy import READ

from . import figures


def _date(raw: str | None, default: date) -> date:
    try:
        day = date.fromisoformat(raw) if raw else default
    except ValueError:
        return default
    return day if figures.Period.EARLIEST <= day <= figures.Period.LATEST else default


def _bars(counts: dict, labels: dict | None = None, *, in_order: bool = False) -> list[dict]:
    """Bars widest first, or in the order given (`in_order`: buckets and weeks read in
    their own order)."""
    top = max(counts.values(), default=0) or 1
    items = list(counts.items()) if in_order else sorted(counts.items(), key=lambda i: -i[1])
    return [
        {"label": (labels or {}).get(key, key), "count": n, "width": round(100 * n / top)}
        for key, n in items
    ]


@staff_member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if request.user.is_superuser:
        provider = Provider.objects.filter(slug=request.GET.get("provider")).first()
    else:
        responder = staff_responder(request) if staff_role(request) else None
        if responder is None or not permissions.may(responder, READ, "figures"):
            raise PermissionDenied
        provider = responder.provider
    today = timezone.localdate()
    last = _date(request.GET.get("to"), today)
    first = _date(request.GET.get("from"), last - timedelta(days=89))
    if first > last:
        first, last = last, first
    division = request.GET.get("division") or None
    if division and not Division.objects.filter(code=division).exists():
        division = None
    programs = list(Program.objects.all())
    program = request.GET.get("program") or None
    if program not in {p.slug for p in programs}:
        program = None
    period = figures.Period.from_dates(first, last)
    common: dict[str, Any] = {
        "period": period,
        "provider_id": provider.pk if provider else None,
        "division_code": division,
        "program_slug": program,
    }
    total, weeks = figures.figures_with_total(by="week", **common)
    by_program = [] if program else figures.figures_with_total(by="program", **common)[1]
    histogram = figures.response_time_histogram(**common)
    context = {
        **admin.site.each_context(request),
        "title": f"Program figures — {provider or 'all providers'}",
        "provider": provider,
        "first": first,
        "last": last,
        "division": division,
        "divisions": Division.objects.order_by("name"),
        "program": program,
        "programs": programs,
        "by_program": _bars(
            {row["group"]: row["calls_handled"] for row in by_program if row["group"]},
            {p.slug: p.name for p in programs},
        ),
        "total": total,
        "weeks": _bars(
            {
                w["group"]: w["calls_handled"]
                for w in sorted(weeks, key=lambda w: w["group"] or "")
                if w["group"]
            },
            in_order=True,
        ),
        "histogram": _bars({b["label"]: b["count"] for b in histogram}, in_order=True),
        "outcomes": _bars(total["calls_by_disposition"], dict(Disposition.choices)),
        "backups": _bars(total["backup_requests_by_reason"], dict(BackupReason.choices)),
        "definitions": figures.DEFINITIONS,
    }
    return render(request, "reports/dashboard.html", context)
