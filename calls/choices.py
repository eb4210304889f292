"""Code lists of the calls app; every value says what it means.

Dispositions carry the code they map to for exchange with dispatch systems (APCO/NENA
EIDO-style disposition codes), so the desk's CAD can read our outcomes.
"""

from django.db import models


class CallSource(models.TextChoices):
    """Where a call came from; (source, CAD incident number) identifies it."""

    #: Diverted from 911 by the police dispatcher through the CAD system.
    CAD_911 = "cad_911", "911 via CAD"
    #: Received by the UMCR desk directly (e.g. 988, a non-emergency line).
    UMCR_DESK = "umcr_desk", "UMCR desk"
    #: A team flagged down in the field, recorded after the fact.
    FIELD = "field", "Field-initiated"
    #: Sent by the Fire Department's tiered dispatch (a transport program's usual source).
    FIRE_TIERED = "fire_tiered", "Fire tiered dispatch"
    #: Passed on by the 988 Suicide & Crisis Lifeline.
    LINE_988 = "line_988", "988 line"
    #: The person, or someone close to them, asked the program directly.
    SELF_REFERRAL = "self_referral", "Self-referral"


class CallType(models.TextChoices):
    """The kind of non-violent call the program takes."""

    WELFARE_CHECK = "welfare_check", "Welfare check"
    MENTAL_HEALTH_CRISIS = "mental_health_crisis", "Mental-health crisis"
    PUBLIC_INTOXICATION = "public_intoxication", "Public intoxication"
    INDECENT_EXPOSURE = "indecent_exposure", "Indecent exposure"
    CONFLICT_MEDIATION = "conflict_mediation", "Conflict to mediate"
    HOMELESSNESS = "homelessness", "Person experiencing homelessness"
    #: A person trespassing or refusing to leave, no weapon and no violence reported.
    TRESPASS = "trespass", "Trespass / refusing to leave"
    #: A neighbourhood disturbance (noise, shouting) with no violence reported.
    DISTURBANCE = "disturbance", "Non-violent disturbance"
    #: A client to be driven to care: on a psychiatric hold, or to avoid one.
    TRANSPORT = "transport", "Transport to care"


class Priority(models.IntegerChoices):
    """How fast the desk wants a team there; lower is sooner."""

    #: Someone may be at risk now: go at once.
    URGENT = 1, "1 – urgent"
    #: Go as soon as a team is free.
    PROMPT = 2, "2 – prompt"
    #: Can wait for a team to clear its current call.
    ROUTINE = 3, "3 – routine"


class CallStatus(models.TextChoices):
    """Where a call stands; derived from its status events, never set by hand."""

    #: Received, waiting in the provider's queue for a team.
    PENDING = "pending", "Pending"
    #: Assigned to a team, which has not yet acknowledged it.
    DISPATCHED = "dispatched", "Dispatched"
    #: The team has seen the call.
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    #: The team is on its way.
    EN_ROUTE = "en_route", "En route"
    #: The team is with the person.
    ON_SCENE = "on_scene", "On scene"
    #: The team is driving the person somewhere (a shelter, a clinic), with consent.
    TRANSPORTING = "transporting", "Transporting"
    #: The team has finished; the call has an outcome.
    CLEARED = "cleared", "Cleared"
    #: The desk cancelled the call before the team finished it.
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (
    CallStatus.PENDING,
    CallStatus.DISPATCHED,
    CallStatus.ACKNOWLEDGED,
    CallStatus.EN_ROUTE,
    CallStatus.ON_SCENE,
    CallStatus.TRANSPORTING,
)


class EventKind(models.TextChoices):
    """A status event a team (or the desk) reports; the call's status follows from them."""

    #: Desk: the call was assigned to a team.
    DISPATCHED = "dispatched", "Dispatched"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    EN_ROUTE = "en_route", "En route"
    ON_SCENE = "on_scene", "On scene"
    TRANSPORTING = "transporting", "Transporting"
    CLEARED = "cleared", "Cleared"
    #: Desk: the call is called off.
    CANCELLED = "cancelled", "Cancelled"


DESK_EVENT_KINDS = (EventKind.DISPATCHED, EventKind.CANCELLED)
TEAM_EVENT_KINDS = (
    EventKind.ACKNOWLEDGED,
    EventKind.EN_ROUTE,
    EventKind.ON_SCENE,
    EventKind.TRANSPORTING,
    EventKind.CLEARED,
)


class Disposition(models.TextChoices):
    """How a call ended. `EIDO_CODES` maps each to the code sent to dispatch systems."""

    #: De-escalated and resolved where the person was.
    RESOLVED_ON_SCENE = "resolved_on_scene", "Resolved on scene"
    #: Connected to housing, treatment or other services (referrals recorded).
    REFERRED_TO_SERVICES = "referred_to_services", "Referred to services"
    #: Driven, with consent, to a shelter, clinic, sobering centre or similar.
    TRANSPORTED_VOLUNTARILY = "transported_voluntarily", "Transported voluntarily"
    #: The situation needed police; handed over to officers.
    HANDED_TO_POLICE = "handed_to_police", "Handed to police"
    #: A psychiatric hold is needed; teams cannot order one, so it was requested through
    #: police or the county's mental-health team.
    PSYCHIATRIC_HOLD_NEEDED = "psychiatric_hold_needed", "Psychiatric hold needed (requested)"
    #: No one found at the location.
    GONE_ON_ARRIVAL = "gone_on_arrival", "Gone on arrival"
    #: The person declined help.
    REFUSED_SERVICES = "refused_services", "Refused services"
    #: The call was cancelled before the team finished.
    CANCELLED = "cancelled", "Cancelled"


EIDO_CODES = {
    Disposition.RESOLVED_ON_SCENE: "RES-ONSCENE",
    Disposition.REFERRED_TO_SERVICES: "RES-REFERRED",
    Disposition.TRANSPORTED_VOLUNTARILY: "TRN-VOLUNTARY",
    Disposition.HANDED_TO_POLICE: "XFR-LAW",
    Disposition.PSYCHIATRIC_HOLD_NEEDED: "XFR-PSYCH-HOLD",
    Disposition.GONE_ON_ARRIVAL: "GOA",
    Disposition.REFUSED_SERVICES: "REF-SERVICE",
    Disposition.CANCELLED: "CXL",
}


class BackupReason(models.TextChoices):
    """Why a team asked for police."""

    WEAPON_SEEN = "weapon_seen", "Weapon seen"
    VIOLENCE_OR_THREAT = "violence_or_threat", "Violence or threat of violence"
    #: The person insists on speaking with an officer.
    PERSON_REQUESTS_OFFICER = "person_requests_officer", "Person asks for an officer"
    MEDICAL_EMERGENCY = "medical_emergency", "Medical emergency"
    OTHER = "other", "Other (see details)"
    #: The team answered its safety check-in "need help" (calls/checkins.py).
    RESPONDER_SAFETY = "responder_safety", "Responder safety"


class BackupStatus(models.TextChoices):
    """A police-backup request's own progress, moved by the desk."""

    #: Sent by the team; the desk has not yet answered.
    REQUESTED = "requested", "Requested"
    #: The desk has seen it.
    ACKNOWLEDGED = "acknowledged", "Acknowledged by desk"
    POLICE_EN_ROUTE = "police_en_route", "Police en route"
    POLICE_ON_SCENE = "police_on_scene", "Police on scene"
    RESOLVED = "resolved", "Resolved"
    #: Called off (by the team or the desk) before police arrived.
    CANCELLED = "cancelled", "Cancelled"


class SafetyFlag(models.TextChoices):
    """What the desk knows of risks at the scene, for the team's briefing."""

    #: Reported as a concern, but no weapon seen.
    WEAPON_MENTIONED = "weapon_mentioned", "Weapon mentioned"
    DOG_ON_PREMISES = "dog_on_premises", "Dog on premises"
    PRIOR_VIOLENCE = "prior_violence", "Prior violence at this address"
    INTOXICATED = "intoxicated", "Person may be intoxicated"
    MEDICAL_NEED = "medical_need", "Possible medical need"


class CheckInAnswer(models.TextChoices):
    """A team's answer to the phone's on-scene safety check-in ("all OK?")."""

    #: All OK: the next check-in is due one interval (CHECKIN_INTERVAL_MINUTES) later.
    OK = "ok", "All OK"
    #: All OK, a longer visit: check again in `check_again_minutes` (5 to 120).
    LONGER_VISIT = "longer_visit", "Longer visit"
    #: The team needs help: a police-backup request for responder safety, top priority.
    NEED_HELP = "need_help", "Need help"
