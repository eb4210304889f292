"""Intake and routing: a call from the 911/CAD side becomes an assigned call, or is refused.

- Program: the call names one, or the active programs are tried in their intake order and
  the first that takes it gets it. A program takes a call from one of its sources, of one of
  its call types, that its eligibility rules allow (a weapon reported, violence in progress,
  a safety flag it rules out), in a division it covers then. No program takes it: refused
  (422, and logged) with each program's reasons, so the desk sends police instead.
- Routing, within the program: the provider covering the division for that program at the
  time; then a team of that provider and program on shift now, preferring a free one, then
  the fewest open calls, nearest as the tie-break (by the team's last known position when
  fresh, else its last call's place); never a team out of service. No team on shift: the
  call waits in the provider's queue and its supervisors are alerted. A call never crosses
  its program's coverage, and the desk moves it to another program in one action
  (move_to_program).
"""

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from responders.models import Coverage, Division, Program, Provider, Responder, Team
from umcr.errors import Conflict, DomainError
from umcr.policy import CHANGE
from umcr.sync import sequence

from . import alerts, permissions, services
from .choices import OPEN_STATUSES, CallSource, CallStatus
from .models import Call, IntakeRefusal, ProgramMove


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
    program: Program,
    *,
    call_type: str,
    source: str | None = None,
    weapon_reported: bool = False,
    violence_in_progress: bool = False,
    safety_flags: list[str] | None = None,
) -> list[str]:
    """Why `program` does not take such a call (empty: it does), by its own rules."""
    problems = []
    if source is not None and source not in program.sources:
        label = CallSource(source).label if source in CallSource.values else source
        problems.append(f"It takes no calls from {label}.")
    if call_type not in program.call_types:
        problems.append(
            f"'{call_type}' is not a call type it takes ({', '.join(program.call_types)})."
        )
    if weapon_reported and program.refuses_weapon:
        problems.append("A weapon was reported: send police.")
    if violence_in_progress and program.refuses_violence:
        problems.append("Violence is in progress: send police.")
    ruled_out = [f for f in safety_flags or [] if f in program.refused_safety_flags]
    if ruled_out:
        problems.append(f"It does not go out on: {', '.join(ruled_out)}.")
    return problems


def covering_provider(program: Program, division: Division, at: datetime) -> Provider | None:
    """The provider covering `division` for `program` on the day of `at`, if active."""
    day = timezone.localdate(at)
    coverage = (
        Coverage.objects.filter(program=program, division=division, starts_on__lte=day)
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


def pick_team(
    *, provider: Provider, call: Call, at: datetime, exclude: Collection[int] = ()
) -> tuple[Team | None, str]:
    """The team of `provider` working for the call's program, on shift at `at`, that should
    take the call, and why; never one of `exclude` (a team that let the call's acknowledgement
    window pass: the next choice, calls/reroute.py)."""
    teams = list(
        Team.objects.filter(
            provider=provider,
            program_id=call.program_id,
            is_active=True,
            out_of_service="",
            shifts__starts_at__lte=at,
            shifts__ends_at__gt=at,
        )
        .exclude(pk__in=list(exclude))
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
    positions = _positions(teams, at) if here else {}

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


def _positions(teams: Sequence[Team], at: datetime) -> dict[int, tuple[float, float]]:
    """Where each team is: its last known position when fresh (POSITION_FRESH_MINUTES),
    else where it was last sent (its latest call with coordinates)."""
    fresh_since = at - timedelta(minutes=settings.POSITION_FRESH_MINUTES)
    positions = {
        team.pk: (float(team.last_latitude), float(team.last_longitude))
        for team in teams
        if team.last_position_at is not None
        and team.last_position_at >= fresh_since
        and team.last_latitude is not None
        and team.last_longitude is not None
    }
    stale = [team.pk for team in teams if team.pk not in positions]
    return {**(_last_positions(stale) if stale else {}), **positions}


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


def match_program(
    data: dict, division: Division, candidates: list[Program]
) -> tuple[Program, Provider] | dict[Program, list[str]]:
    """The first of `candidates` that takes the call, with the provider covering it for
    that program; or, when none does, each program's reasons."""
    refusals: dict[Program, list[str]] = {}
    for program in candidates:
        problems = eligibility_problems(
            program,
            source=data["source"],
            call_type=data["call_type"],
            weapon_reported=data.get("weapon_reported", False),
            violence_in_progress=data.get("violence_in_progress", False),
            safety_flags=data.get("safety_flags", []),
        )
        provider = None if problems else covering_provider(program, division, data["received_at"])
        if provider is not None:
            return program, provider
        if not problems:
            problems.append(f"No provider covers {division} for it at that time.")
        refusals[program] = problems
    return refusals


def _refusal(
    refusals: dict[Program, list[str]], reasons: list[str] | None = None
) -> tuple[list[str], Refused]:
    """The reasons a call is refused (each program's, named; or `reasons` that are no
    program's) and the 422 that says them, with each program's under `programs`."""
    if reasons is None:
        reasons = [
            f"{program.name}: {problem}"
            for program, problems in refusals.items()
            for problem in problems
        ] or ["No program is active."]
    programs = {program.slug: problems for program, problems in refusals.items()}
    body = {"detail": " ".join(reasons), "code": "not_eligible", "reasons": reasons}
    return reasons, Refused({**body, "programs": programs})


def intake_call(*, desk: Responder, data: dict) -> Routed:
    """Create (once) a call from the desk or CAD in the program it names or matches, then
    route it. A refusal is logged (committed on its own) before the 422 is raised, so the
    record of it survives."""
    existing = Call.objects.filter(
        source=data["source"], cad_incident_number=data["cad_incident_number"]
    ).first()
    if existing is not None:
        return Routed(existing, False, existing.routed_provider, existing.team, "already received")
    named = data.get("program")
    candidates = [named] if named else list(Program.objects.filter(is_active=True))
    division = Division.objects.filter(code=data["division"]).first()
    matched = match_program(data, division, candidates) if division else {}
    if isinstance(matched, dict):
        unknown = None if division else [f"Unknown division '{data['division']}'."]
        reasons, refused = _refusal(matched, unknown)
        IntakeRefusal.objects.create(
            source=data.get("source", ""),
            cad_incident_number=data.get("cad_incident_number", ""),
            payload=_jsonable(data),
            reasons=reasons,
            refused_by=desk.user,
        )
        raise refused
    program, provider = matched
    try:
        return _create_and_route(
            desk=desk, data=data, program=program, division=division, provider=provider
        )
    except IntegrityError:
        # The same incident arrived twice at once: the other request created it.
        existing = Call.objects.get(
            source=data["source"], cad_incident_number=data["cad_incident_number"]
        )
        return Routed(existing, False, existing.routed_provider, existing.team, "already received")


@transaction.atomic
def _create_and_route(*, desk, data, program, division, provider) -> Routed:
    call = Call.objects.create(
        program=program,
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
    call.program = program  # as created: the answer names it without loading it again
    return Routed(call, True, provider, team, reason)


# A call moves to another program only before its team is with the person.
MOVABLE_STATUSES = (
    CallStatus.PENDING,
    CallStatus.DISPATCHED,
    CallStatus.ACKNOWLEDGED,
    CallStatus.EN_ROUTE,
)


@transaction.atomic
def move_to_program(
    *, call: Call, program: Program, moved_by: permissions.Actor, reason: str = ""
) -> Routed:
    """The desk moves a call to another program in one action, before a team is on scene
    (409 after). The new program must take its type and safety flags and cover its division
    (else 422, with its reasons); not its source: the move is the desk's own decision, the
    one a source's matching would have made; the call goes to that program's covering provider and is
    routed again among its teams, or waits in that provider's queue if it had no team yet.
    A call a team is already on stays with it (409) until a team of the new program is on
    shift. The move is kept in the call's history (ProgramMove)."""
    sequence.hold()
    call = Call.objects.select_for_update().select_related("program", "division").get(pk=call.pk)
    responder, superuser = permissions.acting_responder(moved_by)
    if not superuser:
        if responder is None or not permissions.in_call_scope(responder, call):
            raise Http404
        permissions.check(responder, CHANGE, "call_programs")
    if call.program_id == program.pk:
        return Routed(call, False, call.routed_provider, call.team, "already in that program")
    if call.status not in MOVABLE_STATUSES:
        raise Conflict(f"The call is {call.status}; it can no longer move to another program.")
    problems = [] if program.is_active else ["It is not active."]
    problems += eligibility_problems(
        program, call_type=call.call_type, safety_flags=call.safety_flags
    )
    provider = None if problems else covering_provider(program, call.division, timezone.now())
    if provider is None:
        problems = problems or [f"No provider covers {call.division} for it now."]
        raise _refusal({program: problems})[1]
    ProgramMove.objects.create(
        call=call,
        from_program=call.program,
        to_program=program,
        reason=reason,
        moved_by=responder.user if responder is not None else _user(moved_by),
    )
    had_team = call.team
    Call.objects.filter(pk=call.pk).update(
        program=program, routed_provider=provider, updated_at=timezone.now()
    )
    call.refresh_from_db()
    team, why = pick_team(provider=provider, call=call, at=timezone.now())
    if team is not None:
        call = services.assign_call(call=call, team=team, assigned_by=moved_by)
        return Routed(call, False, provider, team, why)
    if had_team is not None:
        raise Conflict(
            f"No team of {program.name} is on shift: the call stays with {had_team} for now."
        )
    alerts.call_waiting(call)
    return Routed(call, False, provider, None, why)


def _user(actor: permissions.Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Program):  # a named program, as the desk named it
        return value.slug
    return value
