"""The program's figures, computed by database aggregation (a fixed number of queries,
no Python loop over calls). Every figure carries its definition, so two readers of the
same number agree on what it means; the README repeats them. Reads calls, follow-ups and
referrals; writes nothing. The API (reports.api) and the dashboard (reports.views) show it.

On PostgreSQL medians and 90th percentiles are `percentile_cont` in the database; the
embedded SQLite demo has no such aggregate and computes them from the durations.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import quantiles
from typing import ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from calls.choices import BackupStatus, CallStatus, CheckInAnswer, Disposition
from calls.models import BackupRequest, Call, CheckIn, SafetyAlert
from followups.choices import FollowUpStatus
from followups.models import FollowUp
from referrals.choices import ReferralStatus
from referrals.models import Referral
from transports.choices import TransportStatus
from transports.models import Transport

DEFINITIONS = {
    "calls_handled": "Calls received in the period (received_at in [from, to]) that a team "
    "cleared. Cancelled calls and calls still open are not counted.",
    "resolved_without_police": "Calls handled whose current outcome says police were not "
    "involved and that have no backup request other than cancelled ones.",
    "resolved_without_police_share": "resolved_without_police / calls_handled.",
    "backup_requests": "Backup requests (any status but cancelled) on calls received in the "
    "period, in all and by reason.",
    "backup_rate": "Calls handled with at least one backup request (not cancelled) / "
    "calls_handled.",
    "acknowledge_minutes": "Minutes from the first dispatched event to the first "
    "acknowledged event (the team saw the call), over calls handled that have both: mean, "
    "median, 90th percentile. Never below 0. A dispatch left unacknowledged past its "
    "priority's window re-alerts the team, then the desk (ACK_WINDOW_*_SECONDS).",
    "response_minutes": "Minutes from the first dispatched event to the first on_scene event, "
    "over calls handled that have both: mean, median, 90th percentile. Never below 0 (a "
    "phone's clock behind the server's counts as no time). Each call counts from its own "
    "program's dispatch (the event its program's desk or CAD link recorded), so programs "
    "dispatched from different places (911 diversion, Fire tiered dispatch) each read from "
    "their own start, and the all-programs figure is over every call alike.",
    "on_scene_minutes": "Minutes from the first on_scene event to the first cleared event, over "
    "calls handled that have both: mean, median, 90th percentile. Never below 0.",
    "committed_minutes": "Minutes from the first dispatched event to the first cleared event "
    "(the team's time on the call), over calls handled: mean, median, 90th percentile. Never "
    "below 0.",
    "committed_hours": "The sum of committed time over calls handled, in hours.",
    "calls_with_backup": "Calls handled with at least one backup request (not cancelled).",
    "backup_requests_by_reason": "backup_requests, counted by the reason the team gave.",
    "calls_by_type": "Calls handled, by call type.",
    "calls_by_disposition": "Calls handled, by the disposition of their current outcome.",
    "followups_due": "Follow-ups whose window closes (due_by) in the period, except cancelled.",
    "followups_completed_on_time": (
        "Of followups_due, those completed no later than due_by (by when the server recorded "
        "the completion: a visit completed offline counts when the phone syncs)."
    ),
    "followups_on_time_share": "followups_completed_on_time / followups_due.",
    "referrals_made": "Referrals created in the period, in all and by service category.",
    "referrals_by_category": "referrals_made, counted by the category of the service.",
    "referrals_closed": "Of referrals_made, those now enrolled or completed.",
    "referrals_closed_share": "Of referrals_made, those now enrolled or completed / "
    "referrals_made.",
    "treated_on_site": "Calls handled whose current outcome is resolved_on_scene: the client "
    "treated and released where they were, with no transport or hold.",
    "transports": "Transports (not cancelled) on calls received in the period, each ride "
    "once whatever destinations refused it on the way.",
    "transports_handed_off": "Of transports, those that ended with the client handed over at "
    "a destination.",
    "handoff_minutes": "Minutes from a transport's departure from the scene to the hand-off, "
    "over transports handed off, refusals on the way included: mean, median, 90th "
    "percentile. Never below 0.",
    "checkins_answered": "On-scene safety check-ins the teams answered (not voided) on calls "
    "received in the period, whatever the answer.",
    "checkins_need_help": "Of checkins_answered, those answered 'need help' (each is a backup "
    "request for responder safety).",
    "safety_alerts_raised": "Safety alerts raised on calls received in the period: check-ins "
    "missed past their grace period (CHECKIN_INTERVAL_MINUTES, CHECKIN_GRACE_MINUTES), each "
    "missed check-in once, whether the team answered late or not.",
    "safety_alert_acknowledge_minutes": "Minutes from a safety alert being raised to the desk "
    "or a supervisor acknowledging it, over the alerts acknowledged: mean, median, 90th "
    "percentile.",
    "team_cost": "committed_hours x the team rate (dollars per hour, `team_rate`).",
    "police_cost": "committed_hours x the police rate (dollars per hour, `police_rate`): what "
    "the same hours of police response would have cost.",
    "estimated_savings": "police_cost - team_cost.",
}

# How the figures read when programs differ (the API's description and the README say it).
ACROSS_PROGRAMS = (
    "With `program`, the calls of that program and the follow-ups and referrals made on them; "
    "with `by=program`, one row per program (follow-ups and referrals made without a call "
    "belong to no program: the null row). Counts add up across programs to the all-programs "
    "total; times and shares are computed over each row's own calls, each from its own "
    "program's dispatch."
)

GROUPINGS = ("month", "week", "division", "provider", "program")


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive

    # Days figures can be asked for: far wider than any program's history, and far enough
    # inside the calendar's ends that a period's arithmetic cannot overflow.
    EARLIEST: ClassVar[date] = date(2000, 1, 1)
    LATEST: ClassVar[date] = date(2199, 12, 31)

    @classmethod
    def from_dates(cls, first: date, last: date) -> "Period":
        tz = timezone.get_current_timezone()
        return cls(
            datetime.combine(first, time.min, tzinfo=tz),
            datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
        )


class Seconds(Func):
    """Seconds between two timestamps, as a float, in the database; never below 0. The
    dispatch is stamped by the server's clock and the team's events by the phone's, so a
    phone running behind can put "on scene" a little before the dispatch: that is no time,
    not negative time."""

    output_field = FloatField()

    def __init__(self, start, end):
        super().__init__(F(start), F(end))

    def as_postgresql(self, compiler, conn, **extra):
        start, start_params = compiler.compile(self.source_expressions[0])
        end, end_params = compiler.compile(self.source_expressions[1])
        sql = f"GREATEST(EXTRACT(EPOCH FROM ({end} - {start}))::float, 0)"
        return sql, (*end_params, *start_params)

    def as_sqlite(self, compiler, connection, **extra_context):
        start, start_params = compiler.compile(self.source_expressions[0])
        end, end_params = compiler.compile(self.source_expressions[1])
        sql = f"MAX((julianday({end}) - julianday({start})) * 86400.0, 0.0)"
        return sql, (*end_params, *start_params)


class Percentiles(Aggregate):
    """PostgreSQL's percentile_cont (continuous, interpolated) at the median and the 90th
    percentile, from one sort: [median, p90]."""

    function = "percentile_cont"
    template = "%(function)s(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = ArrayField(FloatField())
    allow_distinct = False


DURATIONS = {
    "acknowledge": ("dispatched_at", "acknowledged_at"),
    "response": ("dispatched_at", "on_scene_at"),
    "on_scene": ("on_scene_at", "cleared_at"),
    "committed": ("dispatched_at", "cleared_at"),
}


def _group_expression(
    by: str | None, *, time_field: str, division: str, provider: str, program: str
):
    if by == "month":
        return TruncMonth(time_field)
    if by == "week":
        return TruncWeek(time_field)
    if by == "division":
        return F(division)
    if by == "provider":
        return F(provider)
    if by == "program":
        return F(program)
    return None


def _call_group(by: str | None, via: str = ""):
    """The grouping of calls (`via` ""), or of records by their call (`via` "call__")."""
    return _group_expression(
        by,
        time_field=f"{via}received_at",
        division=f"{via}division__code",
        provider=f"{via}routed_provider__slug",
        program=f"{via}program__slug",
    )


def _label(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _grouped(qs: QuerySet, group) -> QuerySet:
    """One row per group (or a single row for the whole period)."""
    if group is None:
        group = Value("", output_field=CharField())
    return qs.annotate(g=group).values("g").order_by("g")


def call_queryset(
    period: Period, provider_id=None, division_code=None, program_slug=None
) -> QuerySet[Call]:
    qs = Call.objects.filter(received_at__gte=period.start, received_at__lt=period.end)
    if provider_id is not None:
        qs = qs.filter(routed_provider_id=provider_id)
    if division_code:
        qs = qs.filter(division__code=division_code)
    if program_slug:
        qs = qs.filter(program__slug=program_slug)
    return qs.order_by()


def program_figures(
    *,
    period: Period,
    provider_id: int | None = None,
    division_code: str | None = None,
    program_slug: str | None = None,
    by: str | None = None,
    team_rate: float | None = None,
    police_rate: float | None = None,
    durations_only: bool = False,
) -> dict:
    calls = call_queryset(period, provider_id, division_code, program_slug)
    group = _call_group(by)
    handled = Q(status=CallStatus.CLEARED)
    postgres = connection.vendor == "postgresql"

    aggregates = {
        "calls_handled": Count("pk", filter=handled),
        # Less those with a live backup request: subtracted below, from the backups query.
        "police_free": Count("pk", filter=handled & Q(police_involved=False)),
        "treated_on_site": Count(
            "pk", filter=handled & Q(disposition=Disposition.RESOLVED_ON_SCENE)
        ),
        "committed_seconds": Sum(Seconds(*DURATIONS["committed"]), filter=handled),
    }
    for name, (start, end) in DURATIONS.items():
        both = handled & Q(**{f"{start}__isnull": False, f"{end}__isnull": False})
        aggregates[f"{name}_mean"] = Avg(Seconds(start, end), filter=both)
        if postgres:
            # One sort gives both the median and the 90th percentile.
            aggregates[f"{name}_cuts"] = Percentiles(Seconds(start, end), filter=both)
    rows: dict = {}
    for row in _grouped(calls, group).annotate(**aggregates):
        rows[_label(row["g"])] = _call_figures(row)
    if not postgres:
        _python_percentiles(rows, _grouped(calls.filter(handled), group))
    _transport_figures(rows, calls, by, postgres)
    _check_in_figures(rows, calls, by, postgres)
    if durations_only:
        return {"rows": [{"group": key, **value} for key, value in rows.items()]}

    # Backup requests, grouped like the calls: by reason, and the calls they touch.
    backups = BackupRequest.objects.filter(call__in=calls.values("pk")).exclude(
        status=BackupStatus.CANCELLED
    )
    backup_group = _call_group(by, "call__")
    handled_call = Q(call__status=CallStatus.CLEARED)
    for row in (
        _grouped(backups.order_by(), backup_group)
        .annotate(k=F("reason"), n=Count("pk"))
        .values("g", "k", "n")
    ):
        entry = rows.setdefault(_label(row["g"]), _call_figures({}))
        entry["backup_requests_by_reason"][row["k"]] = row["n"]
        entry["backup_requests"] += row["n"]
    # Distinct calls per group need their own count (a call may have two reasons).
    for row in (
        _grouped(backups.order_by(), backup_group)
        .annotate(
            calls=Count("call", distinct=True, filter=handled_call),
            police_free=Count(
                "call", distinct=True, filter=handled_call & Q(call__police_involved=False)
            ),
        )
        .values("g", "calls", "police_free")
    ):
        entry = rows.setdefault(_label(row["g"]), _call_figures({}))
        entry["calls_with_backup"] = row["calls"]
        entry["resolved_without_police"] -= row["police_free"]

    # Calls by type and by disposition from one grouped count.
    for row in (
        _grouped(calls.filter(handled), group)
        .annotate(t=F("call_type"), d=F("disposition"), n=Count("pk"))
        .values("g", "t", "d", "n")
    ):
        entry = rows.setdefault(_label(row["g"]), _call_figures({}))
        entry["calls_by_type"][row["t"]] = entry["calls_by_type"].get(row["t"], 0) + row["n"]
        if row["d"]:
            by_disposition = entry["calls_by_disposition"]
            by_disposition[row["d"]] = by_disposition.get(row["d"], 0) + row["n"]

    _followup_figures(rows, period, provider_id, division_code, program_slug, by)
    _referral_figures(rows, period, provider_id, division_code, program_slug, by)
    for entry in rows.values():
        _finish(entry, team_rate, police_rate)
    ordered = [
        {"group": key, **value} for key, value in sorted(rows.items(), key=lambda i: i[0] or "")
    ]
    return {"rows": ordered}


def _call_figures(row: dict) -> dict:
    def minutes(key):
        value = row.get(key)
        return None if value is None else round(value / 60, 1)

    figures = {
        "calls_handled": row.get("calls_handled", 0),
        "resolved_without_police": row.get("police_free", 0),
        "calls_with_backup": 0,
        "backup_requests": 0,
        "backup_requests_by_reason": {},
        "committed_hours": round((row.get("committed_seconds") or 0) / 3600, 1),
        "calls_by_type": {},
        "calls_by_disposition": {},
        "followups_due": 0,
        "followups_completed_on_time": 0,
        "referrals_made": 0,
        "referrals_closed": 0,
        "referrals_by_category": {},
        "treated_on_site": row.get("treated_on_site", 0),
        "transports": 0,
        "transports_handed_off": 0,
        "handoff_minutes": {"mean": None, "median": None, "p90": None},
        "checkins_answered": 0,
        "checkins_need_help": 0,
        "safety_alerts_raised": 0,
        "safety_alert_acknowledge_minutes": {"mean": None, "median": None, "p90": None},
    }
    for name in DURATIONS:
        cuts = row.get(f"{name}_cuts") or [None, None]
        figures[f"{name}_minutes"] = {
            "mean": minutes(f"{name}_mean"),
            "median": None if cuts[0] is None else round(cuts[0] / 60, 1),
            "p90": None if cuts[1] is None else round(cuts[1] / 60, 1),
        }
    return figures


def _python_percentiles(rows: dict, handled_calls: QuerySet) -> None:
    """SQLite only: medians and 90th percentiles from the durations themselves."""
    for name, (start, end) in DURATIONS.items():
        per_group: dict = {}
        values = (
            handled_calls.annotate(s=Seconds(start, end))
            .filter(**{f"{start}__isnull": False, f"{end}__isnull": False})
            .values_list("g", "s")
        )
        for key, seconds in values:
            per_group.setdefault(_label(key), []).append(seconds)
        for key, seconds in per_group.items():
            entry = rows.setdefault(key, _call_figures({}))
            seconds.sort()
            entry[f"{name}_minutes"].update(_median_and_p90(seconds))


def _median_and_p90(seconds: list[float]) -> dict:
    """Minutes, to a tenth, at the median and the 90th percentile of sorted durations
    (inclusive, interpolated: as PostgreSQL's percentile_cont)."""
    cuts = quantiles(seconds, n=10, method="inclusive") if len(seconds) > 1 else seconds * 9
    middle = quantiles(seconds, n=2, method="inclusive")[0] if len(seconds) > 1 else seconds[0]
    return {"median": round(middle / 60, 1), "p90": round(cuts[8] / 60, 1)}


def _transport_figures(rows: dict, calls: QuerySet, by: str | None, postgres: bool) -> None:
    """Transports on the calls, grouped like them, and the time from departure to
    hand-off."""
    transports = Transport.objects.filter(call__in=calls.values("pk")).exclude(
        status=TransportStatus.CANCELLED
    )
    group = _call_group(by, "call__")
    done = Q(status=TransportStatus.HANDED_OFF)
    handoff = Seconds("departed_at", "handed_off_at")
    aggregates: dict[str, Aggregate] = {
        "n": Count("pk"),
        "done": Count("pk", filter=done),
        "mean": Avg(handoff, filter=done),
    }
    if postgres:
        aggregates["cuts"] = Percentiles(handoff, filter=done)
    for row in _grouped(transports.order_by(), group).annotate(**aggregates):
        entry = rows.setdefault(_label(row["g"]), _call_figures({}))
        entry["transports"], entry["transports_handed_off"] = row["n"], row["done"]
        cuts = row.get("cuts") or [None, None]
        entry["handoff_minutes"] = {
            "mean": None if row["mean"] is None else round(row["mean"] / 60, 1),
            "median": None if cuts[0] is None else round(cuts[0] / 60, 1),
            "p90": None if cuts[1] is None else round(cuts[1] / 60, 1),
        }
    if postgres:
        return
    per_group: dict = {}
    for key, seconds in (
        _grouped(transports.filter(done).order_by(), group)
        .annotate(s=handoff)
        .values_list("g", "s")
    ):
        per_group.setdefault(_label(key), []).append(seconds)
    for key, seconds in per_group.items():
        rows[key]["handoff_minutes"].update(_median_and_p90(sorted(seconds)))


def _check_in_figures(rows: dict, calls: QuerySet, by: str | None, postgres: bool) -> None:
    """Check-ins answered and safety alerts raised on the calls, grouped like them, and the
    time from an alert to its acknowledgement."""
    group = _call_group(by, "call__")
    answered = CheckIn.objects.filter(call__in=calls.values("pk"), voided_at__isnull=True)
    for row in _grouped(answered.order_by(), group).annotate(
        n=Count("pk"), help=Count("pk", filter=Q(answer=CheckInAnswer.NEED_HELP))
    ):
        entry = rows.setdefault(_label(row["g"]), _call_figures({}))
        entry["checkins_answered"], entry["checkins_need_help"] = row["n"], row["help"]
    raised = SafetyAlert.objects.filter(call__in=calls.values("pk"))
    done = Q(acknowledged_at__isnull=False)
    wait = Seconds("raised_at", "acknowledged_at")
    aggregates: dict[str, Aggregate] = {"n": Count("pk"), "mean": Avg(wait, filter=done)}
    if postgres:
        aggregates["cuts"] = Percentiles(wait, filter=done)
    for row in _grouped(raised.order_by(), group).annotate(**aggregates):
        entry = rows.setdefault(_label(row["g"]), _call_figures({}))
        entry["safety_alerts_raised"] = row["n"]
        cuts = row.get("cuts") or [None, None]
        entry["safety_alert_acknowledge_minutes"] = {
            "mean": None if row["mean"] is None else round(row["mean"] / 60, 1),
            "median": None if cuts[0] is None else round(cuts[0] / 60, 1),
            "p90": None if cuts[1] is None else round(cuts[1] / 60, 1),
        }
    if postgres:
        return
    per_group: dict = {}
    for key, seconds in (
        _grouped(raised.filter(done).order_by(), group).annotate(s=wait).values_list("g", "s")
    ):
        per_group.setdefault(_label(key), []).append(seconds)
    for key, seconds in per_group.items():
        rows[key]["safety_alert_acknowledge_minutes"].update(_median_and_p90(sorted(seconds)))


def _followup_figures(rows, period, provider_id, division_code, program_slug, by) -> None:
    qs = FollowUp.objects.filter(due_by__gte=period.start, due_by__lt=period.end).exclude(
        status=FollowUpStatus.CANCELLED
    )
    if provider_id is not None:
        qs = qs.filter(provider_id=provider_id)
    if division_code:
        qs = qs.filter(call__division__code=division_code)
    if program_slug:
        qs = qs.filter(call__program__slug=program_slug)
    group = _group_expression(
        by,
        time_field="due_by",
        division="call__division__code",
        provider="provider__slug",
        program="call__program__slug",
    )
    on_time = Q(status=FollowUpStatus.COMPLETED, closed_at__lte=F("due_by"))
    for row in _grouped(qs.order_by(), group).annotate(
        due=Count("pk"), done=Count("pk", filter=on_time)
    ):
        entry = rows.setdefault(_label(row["g"]), _call_figures({}))
        entry["followups_due"] = row["due"]
        entry["followups_completed_on_time"] = row["done"]


def _referral_figures(rows, period, provider_id, division_code, program_slug, by) -> None:
    qs = Referral.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    if provider_id is not None:
        qs = qs.filter(provider_id=provider_id)
    if division_code:
        qs = qs.filter(call__division__code=division_code)
    if program_slug:
        qs = qs.filter(call__program__slug=program_slug)
    group = _group_expression(
        by,
        time_field="created_at",
        division="call__division__code",
        provider="provider__slug",
        program="call__program__slug",
    )
    closed = Q(status__in=[ReferralStatus.ENROLLED, ReferralStatus.COMPLETED])
    for row in (
        _grouped(qs.order_by(), group)
        .annotate(k=F("service__category"), n=Count("pk"), c=Count("pk", filter=closed))
        .values("g", "k", "n", "c")
    ):
        entry = rows.setdefault(_label(row["g"]), _call_figures({}))
        entry["referrals_by_category"][row["k"]] = row["n"]
        entry["referrals_made"] += row["n"]
        entry["referrals_closed"] += row["c"]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _finish(entry: dict, team_rate: float | None, police_rate: float | None) -> None:
    # Rates not asked for are the program's (settings), for the API and the dashboard alike.
    if team_rate is None:
        team_rate = settings.UMCR_TEAM_HOURLY_COST
    if police_rate is None:
        police_rate = settings.UMCR_POLICE_HOURLY_COST
    entry["resolved_without_police_share"] = _share(
        entry["resolved_without_police"], entry["calls_handled"]
    )
    entry["backup_rate"] = _share(entry["calls_with_backup"], entry["calls_handled"])
    entry["followups_on_time_share"] = _share(
        entry["followups_completed_on_time"], entry["followups_due"]
    )
    entry["referrals_closed_share"] = _share(entry["referrals_closed"], entry["referrals_made"])
    hours = entry["committed_hours"]
    entry["team_cost"] = round(hours * team_rate, 2)
    entry["police_cost"] = round(hours * police_rate, 2)
    entry["estimated_savings"] = round(entry["police_cost"] - entry["team_cost"], 2)


RESPONSE_BUCKETS = [(0, 10), (10, 20), (20, 30), (30, 45), (45, 60), (60, None)]


def response_time_histogram(
    *, period: Period, provider_id=None, division_code=None, program_slug=None
) -> list[dict]:
    """Calls handled by minutes from dispatch to on scene, in buckets: one query."""
    calls = call_queryset(period, provider_id, division_code, program_slug).filter(
        status=CallStatus.CLEARED, dispatched_at__isnull=False, on_scene_at__isnull=False
    )
    seconds = Seconds("dispatched_at", "on_scene_at")
    counts = {}
    for low, high in RESPONSE_BUCKETS:
        bucket = Q(s__gte=low * 60) if high is None else Q(s__gte=low * 60, s__lt=high * 60)
        counts[f"b{low}"] = Count("pk", filter=bucket)
    row = calls.annotate(s=seconds).aggregate(**counts)
    return [
        {"label": f"{low}–{high} min" if high else f"{low}+ min", "count": row[f"b{low}"]}
        for low, high in RESPONSE_BUCKETS
    ]


ADDITIVE = (
    "calls_handled",
    "resolved_without_police",
    "calls_with_backup",
    "backup_requests",
    "followups_due",
    "followups_completed_on_time",
    "referrals_made",
    "referrals_closed",
    "treated_on_site",
    "transports",
    "transports_handed_off",
    "checkins_answered",
    "checkins_need_help",
    "safety_alerts_raised",
)
COUNTED = (
    "backup_requests_by_reason",
    "calls_by_type",
    "calls_by_disposition",
    "referrals_by_category",
)


def figures_with_total(*, by: str | None = None, **common) -> tuple[dict, list[dict]]:
    """The period's total and, with `by`, one row per group. The groups partition the
    period, so the total's counts are the rows' sums; only times (means, percentiles,
    committed hours) need the database again, in one query."""
    if not by:
        rows = program_figures(**common)["rows"]
        return (rows[0] if rows else _finished(_call_figures({}), common)), []
    rows = program_figures(by=by, **common)["rows"]
    summary = program_figures(durations_only=True, **common)["rows"]
    total = summary[0] if summary else _call_figures({})
    total.pop("group", None)
    for name in ADDITIVE:
        total[name] = sum(row[name] for row in rows)
    for name in COUNTED:
        merged: dict = {}
        for row in rows:
            for key, count in row[name].items():
                merged[key] = merged.get(key, 0) + count
        total[name] = merged
    return _finished(total, common), rows


def _finished(entry: dict, common: dict) -> dict:
    _finish(entry, common.get("team_rate"), common.get("police_rate"))
    return entry
