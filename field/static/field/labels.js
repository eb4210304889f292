// The server's code lists (calls/choices.py and friends) as the app shows them.

export const CALL_TYPES = {
  welfare_check: "Welfare check",
  mental_health_crisis: "Mental-health crisis",
  public_intoxication: "Public intoxication",
  indecent_exposure: "Indecent exposure",
  conflict_mediation: "Conflict to mediate",
  homelessness: "Person experiencing homelessness",
  trespass: "Trespass / refusing to leave",
  disturbance: "Non-violent disturbance",
  transport: "Transport to care",
};

export const STATUSES = {
  pending: "Pending",
  dispatched: "Dispatched",
  acknowledged: "Acknowledged",
  en_route: "En route",
  on_scene: "On scene",
  transporting: "Transporting",
  cleared: "Cleared",
  cancelled: "Cancelled",
};

// The order a call moves in; the call's status is the furthest of its events.
export const STATUS_ORDER = ["pending", "dispatched", "acknowledged", "en_route", "on_scene", "transporting", "cleared"];

// The one next step the big button offers, and its words.
export const NEXT_STEP = {
  dispatched: ["acknowledged", "Acknowledge"],
  acknowledged: ["en_route", "En route"],
  en_route: ["on_scene", "On scene"],
  on_scene: ["cleared", "Clear the call"],
  transporting: ["cleared", "Clear the call"],
};

export const PRIORITIES = { 1: "Urgent", 2: "Prompt", 3: "Routine" };

export const DISPOSITIONS = {
  resolved_on_scene: "Resolved on scene",
  referred_to_services: "Referred to services",
  transported_voluntarily: "Transported voluntarily",
  handed_to_police: "Handed to police",
  psychiatric_hold_needed: "Psychiatric hold needed (requested)",
  gone_on_arrival: "Gone on arrival",
  refused_services: "Refused services",
};

export const BACKUP_REASONS = {
  violence_or_threat: "Violence or threat of violence",
  weapon_seen: "Weapon seen",
  person_requests_officer: "Person asks for an officer",
  medical_emergency: "Medical emergency",
  other: "Other",
};

export const BACKUP_STATUSES = {
  requested: "Requested",
  acknowledged: "Acknowledged by desk",
  police_en_route: "Police en route",
  police_on_scene: "Police on scene",
  resolved: "Resolved",
  cancelled: "Cancelled",
};

export const SAFETY_FLAGS = {
  weapon_mentioned: "Weapon mentioned",
  dog_on_premises: "Dog on premises",
  prior_violence: "Prior violence at this address",
  intoxicated: "Person may be intoxicated",
  medical_need: "Possible medical need",
};

export const FOLLOWUP_KINDS = { visit: "Visit", phone_call: "Phone call" };

export const SERVICE_CATEGORIES = {
  housing: "Housing",
  mental_health: "Mental-health treatment",
  substance_use: "Substance-use treatment",
  medical: "Medical care",
  shelter: "Shelter",
  crisis_unit: "Crisis stabilization unit",
  sobering_center: "Sobering centre",
  urgent_care: "Urgent care",
  benefits: "Benefits",
  food: "Food",
  other: "Other",
};

export const CONSENT_METHODS = { verbal: "Verbal, witnessed by the team", written: "Written / signed" };

export const REFERRAL_STATUSES = {
  proposed: "Proposed",
  sent: "Sent",
  accepted: "Accepted",
  enrolled: "Enrolled",
  completed: "Completed",
  declined: "Declined",
  no_show: "No show",
  unreachable: "Unreachable",
  withdrawn: "Withdrawn",
};

export const OUT_OF_SERVICE_REASONS = { break: "Break", transport: "Transport", training: "Training", vehicle: "Vehicle", other: "Other" };

export const TABLE_NAMES = {
  notes: "Note",
  status_events: "Status change",
  outcomes: "Outcome",
  backup_requests: "Police backup request",
  follow_ups: "Follow-up",
  referrals: "Referral",
  people: "Person",
  check_ins: "Safety check-in",
  team_availability: "Team availability",
  position_pings: "Position",
};

export const TRANSPORT_STATUSES = { under_way: "Under way", arrived: "Arrived", handed_off: "Handed off" };

export const label = (list, value) => list[value] || (value ? String(value).replaceAll("_", " ") : "");
