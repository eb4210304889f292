"""Fixed facts of the Los Angeles demo deployment (DESIGN.md): providers, divisions, the
services directory and the words demo calls are made of. All names of services and
people are fictional. Used by `manage.py seed_demo`, and by the schema hook that hides
the demo password outside demo mode (demo/schema.py)."""

from typing import Any

from calls.choices import BackupReason, CallSource, CallType, Disposition, SafetyFlag
from referrals.choices import ServiceCategory
from referrals.models import WEEKDAYS
from responders.choices import TeamMakeup

PASSWORD = "umcr-demo"

# The demo's programs, side by side (DESIGN.md): UMCR as it ran before programs were data,
# a CIRCLE-like outreach program for people experiencing homelessness, and a therapeutic
# transportation program sent from the Fire Department's tiered dispatch. The fields are
# Program's (responders/models.py); a city adds its own in the admin, with no code.
PROGRAMS: dict[str, dict[str, Any]] = {
    "umcr": {
        "name": "Unarmed Model of Crisis Response",
        "description": "Clinician pairs sent by community providers to non-violent 911 calls "
        "diverted by LAPD dispatch.",
        "intake_order": 10,
        "call_types": [t for t in CallType.values if t != CallType.TRANSPORT],
        "sources": [CallSource.CAD_911, CallSource.UMCR_DESK, CallSource.FIELD],
        "refuses_weapon": True,
        "refuses_violence": True,
        "refused_safety_flags": [],
        "team_makeup": TeamMakeup.CLINICIAN_PAIR,
        "transports": False,
    },
    "circle": {
        "name": "Street Outreach Response",
        "description": "CIRCLE-like: 24/7 teams for non-urgent calls about people "
        "experiencing homelessness.",
        "intake_order": 20,
        "call_types": [
            CallType.HOMELESSNESS,
            CallType.WELFARE_CHECK,
            CallType.PUBLIC_INTOXICATION,
            CallType.TRESPASS,
            CallType.DISTURBANCE,
        ],
        "sources": [CallSource.CAD_911, CallSource.UMCR_DESK, CallSource.SELF_REFERRAL],
        "refuses_weapon": True,
        "refuses_violence": True,
        "refused_safety_flags": [SafetyFlag.WEAPON_MENTIONED],
        "team_makeup": TeamMakeup.MEDIC_AND_CRISIS_WORKER,
        "transports": False,
    },
    "transport": {
        "name": "Therapeutic Transportation",
        "description": "Vans from the Fire Department's tiered dispatch that take a client "
        "to care, on a hold or to avoid one.",
        "intake_order": 30,
        "call_types": [CallType.TRANSPORT, CallType.MENTAL_HEALTH_CRISIS],
        "sources": [CallSource.FIRE_TIERED, CallSource.LINE_988],
        "refuses_weapon": True,
        "refuses_violence": True,
        "refused_safety_flags": [],
        "team_makeup": TeamMakeup.VAN_CREW,
        "transports": True,
    },
}

# Programs besides UMCR: (program, provider slug, team call sign, divisions (name, code)).
# Exodus serves two programs; Penny Lane runs the vans across the city.
PROGRAM_TEAMS = [
    ("circle", "exodus", "OUTREACH-1", [("Hollywood", "HWD"), ("Pacific", "PAC")]),
    (
        "transport",
        "pennylane",
        "VAN-1",
        [("Wilshire", "WIL"), ("Olympic", "OLY"), ("Southeast", "SE"), ("Hollywood", "HWD")],
    ),
]

# What the other programs' open demo calls say.
PROGRAM_NARRATIVES = {
    "circle": "Man sleeping in the doorway of a closed store since last night; neighbours "
    "worried, no crisis reported.",
    "transport": "Fire crew on scene: woman calm, agrees to go to a crisis stabilization "
    "unit; no medical need for an ambulance.",
}

# Who sits in a team of each make-up (the second part of their demo usernames).
SEATS: dict[str, tuple[str, str]] = {
    TeamMakeup.CLINICIAN_PAIR: ("clinician1", "clinician2"),
    TeamMakeup.MEDIC_AND_CRISIS_WORKER: ("medic", "crisis_worker"),
    TeamMakeup.VAN_CREW: ("driver", "clinician"),
}

# slug, name, divisions (name, code), map centre of its divisions (lat, lon)
PROVIDERS = [
    (
        "alcott",
        "Alcott Center",
        [("Wilshire", "WIL"), ("Olympic", "OLY")],
        (34.0560, -118.3400),
    ),
    (
        "pennylane",
        "Penny Lane Centers",
        [("Devonshire", "DEV"), ("West Valley", "WVA")],
        (34.2300, -118.5300),
    ),
    (
        "exodus",
        "Exodus Recovery",
        [("Southeast", "SE"), ("West Los Angeles", "WLA")],
        (33.9900, -118.3600),
    ),
]

STREETS = [
    "W Pico Blvd",
    "S La Brea Ave",
    "Wilshire Blvd",
    "W Olympic Blvd",
    "S Western Ave",
    "Reseda Blvd",
    "Devonshire St",
    "Sherman Way",
    "Vanowen St",
    "S Central Ave",
    "E Century Blvd",
    "S Main St",
    "Santa Monica Blvd",
    "Sawtelle Blvd",
    "National Blvd",
    "W 3rd St",
    "Venice Blvd",
    "Tampa Ave",
]

# Call types and how often they come, roughly as in the first year.
CALL_TYPE_WEIGHTS = [
    (CallType.WELFARE_CHECK, 30),
    (CallType.MENTAL_HEALTH_CRISIS, 22),
    (CallType.HOMELESSNESS, 16),
    (CallType.PUBLIC_INTOXICATION, 10),
    (CallType.CONFLICT_MEDIATION, 8),
    (CallType.DISTURBANCE, 6),
    (CallType.TRESPASS, 5),
    (CallType.INDECENT_EXPOSURE, 3),
]

NARRATIVES = {
    CallType.WELFARE_CHECK: "Caller concerned about a person lying on the sidewalk, not responding.",
    CallType.MENTAL_HEALTH_CRISIS: "Adult in distress, talking to themselves, no weapon seen.",
    CallType.HOMELESSNESS: "Person sleeping in a business doorway, owner asks for help.",
    CallType.PUBLIC_INTOXICATION: "Person appears intoxicated near the bus stop, unsteady.",
    CallType.CONFLICT_MEDIATION: "Neighbours arguing loudly about parking, no violence.",
    CallType.DISTURBANCE: "Shouting in the courtyard of an apartment building.",
    CallType.TRESPASS: "Person refusing to leave a store lobby, calm, no weapon.",
    CallType.INDECENT_EXPOSURE: "Person partially undressed in a park, appears confused.",
}

CALLER_ACCOUNTS = [
    "Caller says the person has been there for hours.",
    "Caller is a store manager; the person is not aggressive.",
    "Caller is a family member worried about their relative.",
    "Caller passing by, did not approach.",
    "Caller says this happens most nights.",
]

NOTE_BODIES = [
    "Made contact, person calm and talking. Offered water.",
    "Person reports no sleep for two days; discussed options.",
    "Person agreed to a shelter bed for tonight.",
    "Family member present, helped with history.",
    "Person declined transport but accepted information card.",
    "De-escalated; person thanked the team.",
    "Checked for injuries, none seen.",
]

# Dispositions of calls that ended without police, and how often.
DISPOSITION_WEIGHTS = [
    (Disposition.RESOLVED_ON_SCENE, 44),
    (Disposition.REFERRED_TO_SERVICES, 24),
    (Disposition.TRANSPORTED_VOLUNTARILY, 10),
    (Disposition.REFUSED_SERVICES, 10),
    (Disposition.GONE_ON_ARRIVAL, 9),
    (Disposition.PSYCHIATRIC_HOLD_NEEDED, 3),
]

BACKUP_REASON_WEIGHTS = [
    (BackupReason.PERSON_REQUESTS_OFFICER, 45),
    (BackupReason.WEAPON_SEEN, 25),
    (BackupReason.VIOLENCE_OR_THREAT, 18),
    (BackupReason.MEDICAL_EMERGENCY, 8),
    (BackupReason.OTHER, 4),
]

BACKUP_DETAILS = {
    BackupReason.PERSON_REQUESTS_OFFICER: "Person insists on speaking with an officer.",
    BackupReason.WEAPON_SEEN: "Person showed a knife in their waistband.",
    BackupReason.VIOLENCE_OR_THREAT: "Person threatened the caller, escalating.",
    BackupReason.MEDICAL_EMERGENCY: "Person unresponsive; paramedics also requested.",
    BackupReason.OTHER: "Crowd gathering, team wants officers nearby.",
}

GIVEN_NAMES = ["Maria", "James", "Ana", "Robert", "Keisha", "Luis", "Mei", "David", "Rosa", "Tom"]
FAMILY_NAMES = ["Garcia", "Johnson", "Nguyen", "Smith", "Hernandez", "Lee", "Brown", "Lopez"]

OFFICE_HOURS = {day: [["08:00", "17:00"]] for day in WEEKDAYS[:5]}
ALWAYS_OPEN = {"always": True}

# organization, name, category, hours, eligibility, capacity (None: not limited)
SERVICES: list[tuple[str, str, str, dict[str, Any], str, int | None]] = [
    (
        "Harbor Light Housing",
        "Bridge housing intake",
        ServiceCategory.HOUSING,
        OFFICE_HOURS,
        "Adults 18+ experiencing homelessness",
        40,
    ),
    (
        "Harbor Light Housing",
        "Permanent supportive housing waitlist",
        ServiceCategory.HOUSING,
        OFFICE_HOURS,
        "Chronically homeless adults",
        120,
    ),
    (
        "Canyon Home Partners",
        "Rapid rehousing",
        ServiceCategory.HOUSING,
        OFFICE_HOURS,
        "Families and adults with income",
        60,
    ),
    (
        "Canyon Home Partners",
        "Youth housing program",
        ServiceCategory.HOUSING,
        OFFICE_HOURS,
        "Ages 18–24",
        25,
    ),
    (
        "Sunrise Dwellings",
        "Senior housing navigation",
        ServiceCategory.HOUSING,
        OFFICE_HOURS,
        "Adults 62+",
        None,
    ),
    (
        "Westside Calm Clinic",
        "Walk-in mental-health urgent care",
        ServiceCategory.MENTAL_HEALTH,
        ALWAYS_OPEN,
        "Anyone in crisis",
        16,
    ),
    (
        "Westside Calm Clinic",
        "Outpatient therapy",
        ServiceCategory.MENTAL_HEALTH,
        OFFICE_HOURS,
        "Adults with Medi-Cal",
        None,
    ),
    (
        "Valley Minds",
        "Crisis residential program",
        ServiceCategory.MENTAL_HEALTH,
        ALWAYS_OPEN,
        "Adults in crisis, voluntary",
        14,
    ),
    (
        "Valley Minds",
        "Peer support groups",
        ServiceCategory.MENTAL_HEALTH,
        OFFICE_HOURS,
        "Anyone",
        None,
    ),
    (
        "Southside Wellness",
        "Psychiatric medication clinic",
        ServiceCategory.MENTAL_HEALTH,
        OFFICE_HOURS,
        "Adults, any insurance",
        None,
    ),
    (
        "New Dawn Recovery",
        "Sobering centre",
        ServiceCategory.SUBSTANCE_USE,
        ALWAYS_OPEN,
        "Intoxicated adults, voluntary",
        30,
    ),
    (
        "New Dawn Recovery",
        "Residential rehab (30 days)",
        ServiceCategory.SUBSTANCE_USE,
        OFFICE_HOURS,
        "Adults 18+, detoxed",
        45,
    ),
    (
        "Clear Path Treatment",
        "Outpatient substance-use program",
        ServiceCategory.SUBSTANCE_USE,
        OFFICE_HOURS,
        "Adults 18+",
        None,
    ),
    (
        "Clear Path Treatment",
        "Medically supervised detox",
        ServiceCategory.SUBSTANCE_USE,
        ALWAYS_OPEN,
        "Adults needing withdrawal care",
        12,
    ),
    (
        "Second Wind",
        "Medication for opioid use disorder",
        ServiceCategory.SUBSTANCE_USE,
        OFFICE_HOURS,
        "Adults with opioid use disorder",
        None,
    ),
    (
        "Crossroads Community Health",
        "Street medicine team",
        ServiceCategory.MEDICAL,
        OFFICE_HOURS,
        "Unhoused people",
        None,
    ),
    (
        "Crossroads Community Health",
        "Federally qualified health centre",
        ServiceCategory.MEDICAL,
        OFFICE_HOURS,
        "Anyone, sliding scale",
        None,
    ),
    (
        "Mid-City Free Clinic",
        "Wound care clinic",
        ServiceCategory.MEDICAL,
        OFFICE_HOURS,
        "Anyone",
        None,
    ),
    (
        "Mid-City Free Clinic",
        "Dental walk-in",
        ServiceCategory.MEDICAL,
        OFFICE_HOURS,
        "Anyone, first come",
        20,
    ),
    (
        "Safe Harbor Shelter",
        "Emergency overnight beds",
        ServiceCategory.SHELTER,
        ALWAYS_OPEN,
        "Adults 18+",
        80,
    ),
    (
        "Safe Harbor Shelter",
        "Women's shelter",
        ServiceCategory.SHELTER,
        ALWAYS_OPEN,
        "Women and children",
        35,
    ),
    ("Valley Rest", "Winter shelter", ServiceCategory.SHELTER, ALWAYS_OPEN, "Adults 18+", 100),
    (
        "Valley Rest",
        "Interim housing with pets",
        ServiceCategory.SHELTER,
        ALWAYS_OPEN,
        "Adults with pets",
        20,
    ),
    (
        "Golden State Benefits Help",
        "Medi-Cal enrolment",
        ServiceCategory.BENEFITS,
        OFFICE_HOURS,
        "California residents",
        None,
    ),
    (
        "Golden State Benefits Help",
        "General relief and CalFresh applications",
        ServiceCategory.BENEFITS,
        OFFICE_HOURS,
        "Low-income adults",
        None,
    ),
    (
        "ID Now LA",
        "Birth certificate and ID replacement",
        ServiceCategory.BENEFITS,
        OFFICE_HOURS,
        "Anyone without ID",
        None,
    ),
    ("Community Table", "Hot meals", ServiceCategory.FOOD, OFFICE_HOURS, "Anyone", None),
    (
        "Community Table",
        "Grocery pantry",
        ServiceCategory.FOOD,
        OFFICE_HOURS,
        "Low-income households",
        None,
    ),
    ("Valley Food Share", "Mobile food pantry", ServiceCategory.FOOD, OFFICE_HOURS, "Anyone", None),
    (
        "Legal Aid Westside",
        "Eviction defence",
        ServiceCategory.OTHER,
        OFFICE_HOURS,
        "Tenants facing eviction",
        None,
    ),
    (
        "Reconnect Services",
        "Family reunification travel",
        ServiceCategory.OTHER,
        OFFICE_HOURS,
        "Unhoused people with family elsewhere",
        None,
    ),
    ("Hope Line", "Veterans outreach", ServiceCategory.OTHER, OFFICE_HOURS, "Veterans", None),
    # Destinations of the transport program's vans.
    (
        "Eastside Crisis Stabilization",
        "Crisis stabilization unit (up to 23 hours)",
        ServiceCategory.CRISIS_STABILIZATION,
        ALWAYS_OPEN,
        "Adults 18+ in a mental-health crisis; walk-in or by van",
        12,
    ),
    (
        "Downtown Sobering Center",
        "Sobering centre",
        ServiceCategory.SOBERING_CENTER,
        ALWAYS_OPEN,
        "Adults 18+ who are intoxicated and medically stable",
        50,
    ),
    (
        "Westlake Urgent Care",
        "Walk-in urgent care",
        ServiceCategory.URGENT_CARE,
        OFFICE_HOURS,
        "Anyone; no appointment",
        None,
    ),
]
