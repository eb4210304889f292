"""Intake and routing: a call from the 911/CAD side becomes an assigned call, or is refused.

- Eligibility: a weapon reported, violence in progress, or a type outside the program is
  refused (422, and logged) so the desk sends police instead.
- Routing: the provider covering the division at the time; then a team of that provider on
  shift now, preferring a free one, then the fewest open calls, nearest as the tie-break.
  No team on shift: the call waits in the provider's queue and its supervisors are alerted.
"""

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from responders.models import Coverage, Division, Provider, Responder, Team
from umcr.errors import DomainError

from . import alerts, services
from .choices import OPEN_STATUSES, CallType, SafetyFlag
from .models import Call, IntakeRefusal


class Refused(DomainError):
    """The call is not for an unarmed response: 422, with the reasons."""

    status_code = 422
    default_code = "not_eligible"


@dataclass(frozen=True)
class Routed:
    call: Call
    created: bool
    provider: Provider | None
    team: Team | None
    reason: str


def eligibility_problems(
    *, call_type: str, weapon_reported: bool, violence_in_progress: bool, safety_flags: list[str]
) -> list[str]:
    problems = []
    if call_type not in CallType.values:
        problems.append(
            f"'{call_type}' is not a call type the program takes ({', '.join(CallType.values)})."
        )
    if weapon_reported:
        problems.append("A weapon was reported: send police.")
    if violence_in_progress:
        problems.append("Violence is in progress: send police.")
    unknown = [f for f in safety_flags if f not in SafetyFlag.values]
    if unknown:
        problems.append(f"Unknown safety flags: {', '.join(unknown)}.")
    return problems


def covering_provider(division: Division, at: datetime) -> Provider | None:
    day = timezone.localdate(at)
    coverage = (
        Coverage.objects.filter(division=division, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .select_related("provider")
        .order_by("-starts_on")
        .first()
    )
    return coverage.provider if coverage and coverage.provider.is_active else None


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 12742 * math.asin(math.sqrt(h))


def pick_team(*, provider: Provider, call: Call, at: datetime) -> tuple[Team | None, str]:
    """The team of `provider` on shift at `at` that should take the call, and why."""
    teams = list(
        Team.objects.filter(
            provider=provider,
            is_active=True,
            shifts__starts_at__lte=at,
            shifts__ends_at__gt=at,
        )
        .annotate(
            open_calls=Count(
                "calls", filter=Q(calls__status__in=OPEN_STATUSES) & ~Q(calls__pk=call.pk)
            )
        )
        .distinct()
    )
    if not teams:
        return None, "no team on shift"
    here = (
        (float(call.latitude), float(call.longitude))
        if call.latitude is not None and call.longitude is not None
        else None
    )
    positions = _last_positions([t.pk for t in teams]) if here else {}

    def key(team):
        where = positions.get(team.pk)
        far = distance_km(here, where) if here and where else math.inf
        return (team.open_calls, far, team.call_sign)

    best = min(teams, key=key)
    if best.open_calls == 0:
        reason = "free team on shift"
    else:
        reason = f"busiest least: {best.open_calls} open call(s)"
    if len([t for t in teams if t.open_calls == best.open_calls]) > 1 and here:
        reason += ", nearest"
    return best, reason


def _last_positions(team_ids: list[int]) -> dict[int, tuple[float, float]]:
    """Where each team was last sent (its latest call with coordinates)."""
    latest = (
        Call.objects.filter(team_id__in=team_ids, latitude__isnull=False)
        .order_by("team_id", "-received_at")
        .values_list("team_id", "latitude", "longitude")
    )
    if connection.vendor == "postgresql":
        latest = latest.distinct("team_id")  # one row per team
    positions: dict[int, tuple[float, float]] = {}
    for team_id, lat, lon in latest:
        if lat is not None and lon is not None:  # half a position places nobody
            positions.setdefault(team_id, (float(lat), float(lon)))
    return positions


def intake_call(*, desk: Responder, data: dict) -> Routed:
    """Create (once) a call from the desk or CAD, then route it. A refusal is logged
    (committed on its own) before the 422 is raised, so the record of it survives."""
    existing = Call.objects.filter(
        source=data["source"], cad_incident_number=data["cad_incident_number"]
    ).first()
    if existing is not None:
        return Routed(existing, False, existing.routed_provider, existing.team, "already received")
    problems = eligibility_problems(
        call_type=data["call_type"],
        weapon_reported=data.get("weapon_reported", False),
        violence_in_progress=data.get("violence_in_progress", False),
        safety_flags=data.get("safety_flags", []),
    )
    division = Division.objects.filter(code=data["division"]).first()
    if division is None:
        problems.append(f"Unknown division '{data['division']}'.")
    provider = covering_provider(division, data["received_at"]) if division else None
    if division is not None and provider is None:
        problems.append(f"No provider covers {division} at that time.")
    if problems:
        IntakeRefusal.objects.create(
            source=data.get("source", ""),
            cad_incident_number=data.get("cad_incident_number", ""),
            payload=_jsonable(data),
            reasons=problems,
            refused_by=desk.user,
        )
        raise Refused({"detail": " ".join(problems), "code": "not_eligible", "reasons": problems})
    try:
        return _create_and_route(desk=desk, data=data, division=division, provider=provider)
    except IntegrityError:
        # The same incident arrived twice at once: the other request created it.
        existing = Call.objects.get(
            source=data["source"], cad_incident_number=data["cad_incident_number"]
        )
        return Routed(existing, False, existing.routed_provider, existing.team, "already received")


@transaction.atomic
def _create_and_route(*, desk, data, division, provider) -> Routed:
    call = Call.objects.create(
        source=data["source"],
        cad_incident_number=data["cad_incident_number"],
        received_at=data["received_at"],
        call_type=data["call_type"],
        priority=data["priority"],
        division=division,
        address=data["address"],
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        narrative=data.get("narrative", ""),
        caller_account=data.get("caller_account", ""),
        caller_phone=data.get("caller_phone", ""),
        safety_flags=data.get("safety_flags", []),
        routed_provider=provider,
    )
    team, reason = pick_team(provider=provider, call=call, at=timezone.now())
    if team is None:
        alerts.call_waiting(call)
        return Routed(call, True, provider, None, reason)
    call = services.assign_call(call=call, team=team, assigned_by=desk)
    return Routed(call, True, provider, team, reason)


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value
