"""OpenAPI examples of GET /api/v1/metrics/, kept apart from the view (as Sentry keeps its
`apidocs/examples/`). One provider's March by division: Wilshire and Olympic. The JSON
example is checked against the schema in tests/reports/test_figures_schema.py."""

from drf_spectacular.utils import OpenApiExample

from ..figures import DEFINITIONS


def _figures(**figures) -> dict:
    """A row or total: `figures` as given, each share and cost derived as the API does."""
    calls, hours = figures["calls_handled"], figures["committed_hours"]
    followups, referrals = figures["followups_due"], figures["referrals_made"]
    team_cost, police_cost = round(hours * 35.0, 2), round(hours * 85.0, 2)
    # A UMCR provider's calls: treated on site counted, no transports (not a van program).
    treated = figures["calls_by_disposition"].get("resolved_on_scene", 0)
    return {
        "treated_on_site": treated,
        "transports": 0,
        "transports_handed_off": 0,
        "handoff_minutes": {"mean": None, "median": None, "p90": None},
        "acknowledge_minutes": {"mean": 1.5, "median": 1.0, "p90": 3.2},
        "checkins_answered": 2 * figures["calls_handled"],
        "checkins_need_help": 0,
        "safety_alerts_raised": 0,
        "safety_alert_acknowledge_minutes": {"mean": None, "median": None, "p90": None},
        **figures,
        "resolved_without_police_share": round(figures["resolved_without_police"] / calls, 4),
        "backup_rate": round(figures["calls_with_backup"] / calls, 4),
        "followups_on_time_share": (
            round(figures["followups_completed_on_time"] / followups, 4) if followups else None
        ),
        "referrals_closed_share": (
            round(figures["referrals_closed"] / referrals, 4) if referrals else None
        ),
        "team_cost": team_cost,
        "police_cost": police_cost,
        "estimated_savings": round(police_cost - team_cost, 2),
    }


WILSHIRE = _figures(
    group="WIL",
    calls_handled=2,
    resolved_without_police=1,
    calls_with_backup=1,
    backup_requests=2,
    backup_requests_by_reason={"person_requests_officer": 1, "weapon_seen": 1},
    committed_hours=1.7,
    calls_by_type={"welfare_check": 1, "mental_health_crisis": 1},
    calls_by_disposition={"resolved_on_scene": 1, "referred_to_services": 1},
    followups_due=8,
    followups_completed_on_time=3,
    referrals_made=2,
    referrals_closed=1,
    referrals_by_category={"housing": 2},
    response_minutes={"mean": 15.0, "median": 15.0, "p90": 19.0},
    on_scene_minutes={"mean": 35.0, "median": 35.0, "p90": 39.0},
    committed_minutes={"mean": 50.0, "median": 50.0, "p90": 58.0},
)
OLYMPIC = _figures(
    group="OLY",
    calls_handled=2,
    resolved_without_police=1,
    calls_with_backup=0,
    backup_requests=1,
    backup_requests_by_reason={"medical_emergency": 1},
    committed_hours=2.3,
    calls_by_type={"welfare_check": 1, "public_intoxication": 1},
    calls_by_disposition={"handed_to_police": 1, "transported_voluntarily": 1},
    followups_due=0,
    followups_completed_on_time=0,
    referrals_made=3,
    referrals_closed=1,
    referrals_by_category={"mental_health": 1, "substance_use": 1, "benefits": 1},
    response_minutes={"mean": 35.0, "median": 35.0, "p90": 39.0},
    on_scene_minutes={"mean": 35.0, "median": 35.0, "p90": 47.0},
    committed_minutes={"mean": 70.0, "median": 70.0, "p90": 78.0},
)
TOTAL = _figures(
    calls_handled=4,
    resolved_without_police=2,
    calls_with_backup=1,
    backup_requests=3,
    backup_requests_by_reason={
        "person_requests_officer": 1,
        "weapon_seen": 1,
        "medical_emergency": 1,
    },
    committed_hours=4.0,
    calls_by_type={"welfare_check": 2, "mental_health_crisis": 1, "public_intoxication": 1},
    calls_by_disposition={
        "resolved_on_scene": 1,
        "referred_to_services": 1,
        "handed_to_police": 1,
        "transported_voluntarily": 1,
    },
    followups_due=8,
    followups_completed_on_time=3,
    referrals_made=5,
    referrals_closed=2,
    referrals_by_category={"housing": 2, "mental_health": 1, "substance_use": 1, "benefits": 1},
    response_minutes={"mean": 25.0, "median": 25.0, "p90": 37.0},
    on_scene_minutes={"mean": 35.0, "median": 35.0, "p90": 47.0},
    committed_minutes={"mean": 60.0, "median": 60.0, "p90": 74.0},
)

FIGURES_BY_DIVISION = OpenApiExample(
    "March by division",
    summary="One provider's March, by division",
    response_only=True,
    media_type="application/json",
    value={
        "period": {"from": "2025-03-01", "to": "2025-03-31"},
        "filters": {"provider": "alcott", "division": None, "program": None, "by": "division"},
        "rates": {"team_rate": 35.0, "police_rate": 85.0},
        "definitions": DEFINITIONS,
        "total": TOTAL,
        "rows": [OLYMPIC, WILSHIRE],
    },
)

FIGURES_AS_CSV = OpenApiExample(
    "March as CSV",
    summary="The same, as CSV (columns shortened here)",
    response_only=True,
    media_type="text/csv",
    value=(
        "group,calls_handled,resolved_without_police,response_minutes:median,"
        "backup_requests_by_reason:weapon_seen,estimated_savings\r\n"
        "OLY,2,1,35.0,,115.0\r\n"
        "WIL,2,1,15.0,1,85.0\r\n"
        "total,4,2,25.0,1,200.0\r\n"
    ),
)
