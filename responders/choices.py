"""Code lists of the responders app; every value says what it means."""

from django.db import models


class Role(models.TextChoices):
    """What a responder does in the program; it decides what they see and may change."""

    #: One of a pair of unarmed clinicians on a team; works from the phone app.
    CLINICIAN = "clinician", "Clinician"
    #: Runs one provider's teams, shifts and devices from the admin; sees only that provider.
    SUPERVISOR = "supervisor", "Provider supervisor"
    #: Works one provider's follow-up visits and referrals until each closes.
    CASE_MANAGER = "case_manager", "Case manager"
    #: The city's UMCR desk: creates calls and watches backup requests for every provider.
    DISPATCHER = "dispatcher", "Dispatch desk"


class DevicePlatform(models.TextChoices):
    """The phone's operating system, as the app reports it at sign-in."""

    IOS = "ios", "iOS"
    ANDROID = "android", "Android"
    #: Anything else: a browser, a desk integration, a test client.
    OTHER = "other", "Other"


class TeamMakeup(models.TextChoices):
    """Who a program sends together: its teams are made this way."""

    #: Two unarmed clinicians (UMCR).
    CLINICIAN_PAIR = "clinician_pair", "Two clinicians"
    #: A medic and a crisis worker (CAHOOTS, CIRCLE-like programs).
    MEDIC_AND_CRISIS_WORKER = "medic_crisis_worker", "A medic and a crisis worker"
    #: A van crew that can transport a client (a therapeutic transportation program).
    VAN_CREW = "van_crew", "A van crew that can transport"


class Availability(models.TextChoices):
    """Whether a team can take a call now. Set from the phone (available, out of service) or
    derived: a team off shift is off, a team with an open call is on a call."""

    AVAILABLE = "available", "Available"
    #: The team has an open call (derived).
    ON_CALL = "on_call", "On a call"
    #: Set from the phone, with a reason.
    OUT_OF_SERVICE = "out_of_service", "Out of service"
    #: No shift now (derived).
    OFF_SHIFT = "off_shift", "Off shift"


class OutOfServiceReason(models.TextChoices):
    """Why a team on shift cannot take a call."""

    BREAK = "break", "Break"
    #: Driving a client somewhere outside a call's transport step.
    TRANSPORT = "transport", "Transport"
    TRAINING = "training", "Training"
    #: The vehicle is out (a breakdown, refuelling).
    VEHICLE = "vehicle", "Vehicle"
    OTHER = "other", "Other"
