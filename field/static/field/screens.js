// The screens. Each returns { node, live, openCall }: `live` screens are redrawn when data
// changes (a sync), forms are not (the clinician may be typing); `openCall` puts the police
// backup button on the screen.

import * as db from "./db.js";
import { h, when, age, field } from "./dom.js";
import * as sync from "./sync.js";
import { Offline, reasonOf } from "./api.js";
import * as checkins from "./checkins.js";
import {
  BACKUP_STATUSES,
  CALL_TYPES,
  CONSENT_METHODS,
  DISPOSITIONS,
  OUT_OF_SERVICE_REASONS,
  REFERRAL_STATUSES,
  FOLLOWUP_KINDS,
  NEXT_STEP,
  PRIORITIES,
  SAFETY_FLAGS,
  SERVICE_CATEGORIES,
  STATUSES,
  STATUS_ORDER,
  TABLE_NAMES,
  TRANSPORT_STATUSES,
  label,
} from "./labels.js";
import * as positions from "./positions.js";

const CLOSED = ["cleared", "cancelled"];

// JSON columns (safety flags, opening hours) arrive as JSON text, as WatermelonDB keeps them.
export function parsed(value, fallback) {
  if (typeof value !== "string") return value ?? fallback;
  try {
    return JSON.parse(value);
  } catch (_) {
    return fallback;
  }
}

export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

// The call's status as the phone knows it: the server's, moved on by the team's own events
// not yet synced (the server derives it from the same events).
export function statusOf(call, events) {
  if (call.status === "cancelled") return "cancelled";
  let furthest = STATUS_ORDER.indexOf(call.status);
  for (const event of events) {
    if (event.call_id !== call.id || event._rejected) continue;
    furthest = Math.max(furthest, STATUS_ORDER.indexOf(event.kind));
  }
  return STATUS_ORDER[furthest] || call.status;
}

function flags(record) {
  if (record._rejected) return h("span", { className: "badge refused" }, `Refused: ${record._rejected}`);
  if (record._pending) return h("span", { className: "badge pending" }, "Not sent yet");
  return null;
}

function callTitle(call) {
  return label(CALL_TYPES, call.call_type);
}

function personName(person) {
  if (!person) return null;
  const name = [person.preferred_name || person.given_name, person.family_name].filter(Boolean).join(" ");
  return name || (person.approximate_age ? `Unnamed, about ${person.approximate_age}` : "Unnamed person");
}

async function me() {
  const current = await sync.session();
  return current ? current.me : null;
}

// --- sign in ----------------------------------------------------------------------------------

function defaultDeviceName() {
  const ua = navigator.userAgent;
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iPhone" : /Mac/.test(ua) ? "Mac" : /Windows/.test(ua) ? "Windows" : "Linux";
  return `${os} browser (field app)`;
}

export async function signIn(again = false) {
  const savedName = await db.meta("device_name");
  const who = again ? await me() : null;
  const error = h("p", { className: "error", role: "alert", id: "sign-in-error" });
  const username = h("input", { id: "username", name: "username", autocomplete: "username", autocapitalize: "none", required: true, maxlength: 150 });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true, maxlength: 128 });
  const device = h("input", { id: "device-name", name: "device_name", required: true, maxlength: 120 });
  device.value = savedName || defaultDeviceName();
  if (who) {
    username.value = who.username;
    username.readOnly = true;
  }
  const submit = h("button", { type: "submit", id: "sign-in", className: "primary" }, "Sign in");
  const form = h(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        submit.disabled = true;
        error.textContent = "";
        try {
          await sync.signIn({ username: username.value.trim(), password: password.value, deviceName: device.value.trim() });
          go("#/");
        } catch (exc) {
          error.textContent = exc instanceof Offline ? "No connection: signing in needs a signal." : exc.body ? reasonOf(exc.body) : exc.message;
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h1", {}, who ? "Sign in again" : "Sign in"),
    who ? h("p", {}, "Your sign-in ended. Your records and unsent changes stay on this phone.") : null,
    field("Username", username),
    field("Password", password),
    field("This phone's name", device, "Supervisors see it in the list of your devices."),
    error,
    submit
  );
  return { node: form, live: false };
}

// --- my calls ---------------------------------------------------------------------------------

export async function calls() {
  const [allCalls, events, people, rejected, availability] = await Promise.all([db.all("calls"), db.all("status_events"), db.all("people"), db.all("rejected"), db.all("team_availability")]);
  const byId = Object.fromEntries(people.map((p) => [p.id, p]));
  const rows = allCalls.map((call) => ({ call, status: statusOf(call, events) }));
  const open = rows.filter((r) => !CLOSED.includes(r.status)).sort((a, b) => a.call.priority - b.call.priority || a.call.received_at - b.call.received_at);
  const recent = rows.filter((r) => CLOSED.includes(r.status)).sort((a, b) => b.call.received_at - a.call.received_at).slice(0, 30);
  const who = await me();
  const item = ({ call, status }) =>
    h(
      "li",
      { className: `call p${call.priority}`, "data-id": call.id, "data-status": status },
      h(
        "a",
        { href: `#/call/${call.id}`, className: "card" },
        h("span", { className: `priority p${call.priority}` }, label(PRIORITIES, call.priority)),
        h("strong", {}, callTitle(call)),
        h("span", { className: "address" }, call.address),
        h("span", { className: "meta" }, `${label(STATUSES, status)} · received ${age(call.received_at)}`),
        personName(byId[call.person_id]) ? h("span", { className: "meta" }, personName(byId[call.person_id])) : null
      )
    );
  const node = h(
    "div",
    {},
    sync.state.expired ? h("a", { href: "#/signin?again=1", className: "banner refused", id: "expired-banner" }, "Your sign-in has ended: sign in again") : null,
    rejected.length
      ? h("a", { href: "#/refused", className: "banner refused", id: "refused-banner" }, `${rejected.length} record(s) refused by the server: see why`)
      : null,
    who ? h("p", { className: "muted" }, `${who.display_name || who.username || ""}${who.team ? ` · ${who.team.call_sign}` : ""}`) : null,
    h("h1", {}, "Open calls"),
    open.length ? h("ul", { className: "cards", id: "open-calls" }, open.map(item)) : h("p", { className: "muted" }, "No open calls."),
    h("h2", {}, "Recent calls"),
    recent.length ? h("ul", { className: "cards", id: "recent-calls" }, recent.map(item)) : h("p", { className: "muted" }, "None in the last days."),
    availabilitySwitch(availability),
    positions.state.message ? h("p", { id: "position-status", className: "meta", role: "status" }, positions.state.message) : null,
    h(
      "nav",
      { className: "links", "aria-label": "More" },
      h("a", { href: "#/followups", className: "button" }, "Follow-ups"),
      h("a", { href: "#/services", className: "button" }, "Services directory"),
      h("a", { href: "#/refused", className: "button" }, `Refused records (${rejected.length})`),
      h(
        "button",
        {
          type: "button",
          id: "sign-out",
          onclick: async () => {
            const unsent = sync.state.pending;
            const question = unsent
              ? `${unsent} change(s) have not reached the server yet and will be lost. Sign out anyway?`
              : "Sign out of this phone? Its local copy of your calls is erased.";
            if (!confirm(question)) return;
            await sync.signOut();
            go("#/signin");
          },
        },
        "Sign out"
      )
    )
  );
  return { node, live: true };
}

// --- one call -----------------------------------------------------------------------------------

async function callData(id) {
  const [call, events, notes, outcomes, backups, briefing, followUps, referrals, services, deskNotes, checkIns, alerts, clock, transports, refusals] = await Promise.all([
    db.get("calls", id),
    db.all("status_events"),
    db.all("notes"),
    db.all("outcomes"),
    db.all("backup_requests"),
    db.get("briefings", id),
    db.all("follow_ups"),
    db.all("referrals"),
    db.all("services"),
    db.all("desk_notes"),
    db.all("check_ins"),
    db.all("safety_alerts"),
    db.get("check_in_clock", id),
    db.all("transports"),
    db.all("destination_refusals"),
  ]);
  if (!call) return null;
  const person = call.person_id ? await db.get("people", call.person_id) : null;
  const mine = (rows) => rows.filter((row) => row.call_id === id);
  const callOutcomes = mine(outcomes).filter((o) => !o._rejected);
  const superseded = new Set(callOutcomes.map((o) => o.supersedes_id).filter(Boolean));
  const outcome = callOutcomes.filter((o) => !superseded.has(o.id)).sort((a, b) => b.occurred_at - a.occurred_at)[0] || null;
  return {
    call,
    person,
    briefing,
    events: mine(events),
    status: statusOf(call, events),
    notes: mine(notes),
    outcome,
    rejectedOutcomes: mine(outcomes).filter((o) => o._rejected),
    backups: mine(backups),
    followUps: mine(followUps),
    referrals: mine(referrals),
    services: Object.fromEntries(services.map((service) => [String(service.id), service])),
    deskNotes: mine(deskNotes).sort((a, b) => b.recorded_at - a.recorded_at),
    checkIns: mine(checkIns).sort((a, b) => a.occurred_at - b.occurred_at),
    alerts: mine(alerts).sort((a, b) => a.raised_at - b.raised_at),
    transports: mine(transports).sort((a, b) => a.departed_at - b.departed_at),
    refusals: mine(refusals).sort((a, b) => a.refused_at - b.refused_at),
    checkInDue: checkins.dueAt({ call, status: statusOf(call, events), events, checkIns, alerts, clock }),
  };
}

// The call's rides (read-only: recorded by the van's app or over REST) and the destinations
// that refused on the way, with why.
function transportBlock(data) {
  const place = (id) => (data.services[String(id)] || {}).name || "A destination";
  return h(
    "section",
    { "aria-labelledby": "transport-h", id: "transports" },
    h("h2", { id: "transport-h" }, "Transport"),
    h(
      "ul",
      { className: "plain" },
      data.transports.map((t) =>
        h(
          "li",
          { className: "ride", "data-id": t.id },
          h("p", {}, h("strong", {}, `To ${place(t.destination_id)}`), ` · ${label(TRANSPORT_STATUSES, t.status)}`, t.on_hold ? " · on a hold" : ""),
          h("p", { className: "meta" }, `Departed ${when(t.departed_at)}`, t.arrived_at ? ` · arrived ${when(t.arrived_at)}` : "", t.handed_off_at ? ` · handed off ${when(t.handed_off_at)}` : "", t.received_by ? ` to ${t.received_by}` : ""),
          data.refusals
            .filter((r) => r.transport_id === t.id)
            .map((r) => h("p", { className: "refusal" }, h("strong", {}, `${place(r.destination_id)} refused`), ` ${when(r.refused_at)}: ${r.reason}`, r.next_destination_id ? ` · on to ${place(r.next_destination_id)}` : ""))
        )
      )
    )
  );
}

async function recordEvent(call, kind) {
  await sync.addRecord("status_events", { id: sync.uuid(), call_id: call.id, kind, occurred_at: Date.now(), recorded_at: null });
}

export async function call(id) {
  const data = await callData(id);
  if (!data) return { node: h("div", {}, h("h1", {}, "Call not found"), h("p", {}, "It may have been reassigned to another team."), h("a", { href: "#/", className: "button" }, "My calls")), live: true };
  const { call: c, person, briefing, status } = data;
  const isOpen = !CLOSED.includes(status);
  const next = NEXT_STEP[status];
  const stepButtons = [];
  if (next) {
    const [kind, words] = next;
    stepButtons.push(
      h(
        "button",
        {
          type: "button",
          id: "next-step",
          className: "primary big",
          "data-kind": kind,
          onclick: async () => {
            if (kind === "cleared" && !data.outcome) {
              go(`#/call/${c.id}/outcome?then=clear`);
              return;
            }
            await recordEvent(c, kind);
          },
        },
        words
      )
    );
    if (status === "on_scene") {
      stepButtons.push(h("button", { type: "button", id: "transporting", className: "secondary", onclick: () => recordEvent(c, "transporting") }, "Transporting"));
    }
  }
  const timeline = [
    ...data.events.map((e) => ({ at: e.occurred_at, node: [h("strong", {}, label(STATUSES, e.kind)), " ", flags(e)] })),
    ...data.backups.map((b) => ({ at: b.occurred_at, node: [h("strong", { className: "danger-text" }, "Police backup: "), label(BACKUP_STATUSES, b.status || "requested"), " ", flags(b)] })),
    ...data.checkIns.map((k) => ({ at: k.occurred_at, node: [h("strong", { className: k.answer === "need_help" ? "danger-text" : "" }, "Check-in: "), label(checkins.ANSWERS, k.answer), k.answer === "longer_visit" && k.check_again_minutes ? ` (again in ${k.check_again_minutes} min)` : "", " ", flags(k)] })),
    ...data.alerts.map((a) => ({ at: a.raised_at, node: [h("strong", { className: "danger-text" }, "Missed check-in: the desk was alerted"), a.acknowledged_at ? ` · acknowledged ${when(a.acknowledged_at)}` : "", a.closed_at ? ` · answered ${when(a.closed_at)}` : ""] })),
  ].sort((a, b) => a.at - b.at);
  const originals = data.notes.filter((n) => !n.amends_id).sort((a, b) => a.written_at - b.written_at);
  const addenda = data.notes.filter((n) => n.amends_id);
  const orphanAddenda = addenda.filter((a) => !originals.some((n) => n.id === a.amends_id));
  const noteItem = (note) =>
    h(
      "li",
      { className: `note${note._pending ? " pending" : ""}${note._rejected ? " rejected" : ""}`, "data-id": note.id },
      h("p", { className: "body" }, note.body),
      h("p", { className: "meta" }, when(note.written_at), " ", flags(note)),
      addenda.filter((a) => a.amends_id === note.id).length
        ? h("ul", { className: "addenda" }, addenda.filter((a) => a.amends_id === note.id).sort((a, b) => a.written_at - b.written_at).map((a) => h("li", { className: "note addendum", "data-id": a.id }, h("p", { className: "body" }, "Addendum: ", a.body), h("p", { className: "meta" }, when(a.written_at), " ", flags(a)))))
        : null,
      isOpen && !note._rejected ? h("a", { href: `#/call/${c.id}/note?amends=${note.id}`, className: "small-link" }, "Add an addendum") : null
    );
  const priors = briefing ? briefing.prior_contacts : null;
  const node = h(
    "article",
    { className: "call-detail", "data-id": c.id },
    h("a", { href: "#/", className: "back" }, "‹ My calls"),
    h("h1", {}, callTitle(c)),
    h("p", { className: "status-line" }, h("span", { className: `priority p${c.priority}` }, label(PRIORITIES, c.priority)), " ", h("span", { id: "status" }, label(STATUSES, status))),
    stepButtons.length ? h("div", { className: "steps" }, stepButtons) : null,
    data.checkInDue !== null ? h("p", { className: "meta", id: "checkin-next" }, `Next safety check-in ${data.checkInDue <= Date.now() ? "due now" : `due ${when(data.checkInDue)}`}`) : null,
    data.deskNotes.length
      ? h(
          "section",
          { "aria-labelledby": "desk-notes-h", className: "desk-notes" },
          h("h2", { id: "desk-notes-h" }, "From the desk"),
          h("ul", { className: "notes", id: "desk-notes" }, data.deskNotes.map((n) => h("li", { className: "note desk", "data-id": n.id }, h("p", { className: "body" }, n.body), h("p", { className: "meta" }, when(n.recorded_at)))))
        )
      : null,
    h(
      "section",
      { "aria-labelledby": "desk-h" },
      h("h2", { id: "desk-h" }, "What the desk knows"),
      h("p", { className: "address" }, c.address),
      c.narrative ? h("p", {}, c.narrative) : null,
      c.caller_account ? h("p", {}, h("em", {}, "Caller: "), c.caller_account) : null,
      parsed(c.safety_flags, []).length ? h("ul", { className: "flags" }, parsed(c.safety_flags, []).map((f) => h("li", {}, label(SAFETY_FLAGS, f)))) : null,
      person ? h("p", {}, h("strong", {}, "Person: "), personName(person), person.approximate_age ? `, about ${person.approximate_age}` : "", person.language ? ` · speaks ${person.language}` : "") : null,
      h("p", { className: "meta" }, `Received ${when(c.received_at)} (${age(c.received_at)}) · CAD ${c.cad_incident_number || "—"}`)
    ),
    h(
      "section",
      { "aria-labelledby": "prior-h", id: "prior-contacts" },
      h("h2", { id: "prior-h" }, "Prior contacts"),
      priors === null
        ? h("p", { className: "muted" }, "Not loaded yet: it comes with the next sync while online.")
        : priors.length
          ? h("ul", { className: "plain" }, priors.map((p) => h("li", {}, `${when(p.received_at)} · ${label(CALL_TYPES, p.call_type)} · ${p.disposition ? label(DISPOSITIONS, p.disposition) : "no outcome"}`, p.police_involved ? h("strong", { className: "danger-text" }, " · police involved") : null, (p.backup_reasons || []).length ? ` (backup: ${p.backup_reasons.join(", ")})` : "", ` · matched on ${(p.matched_on || []).join(" and ")}`)))
          : h("p", { className: "muted" }, "No earlier calls at this address or with this person.")
    ),
    data.transports.length ? transportBlock(data) : null,
    h("section", { "aria-labelledby": "timeline-h" }, h("h2", { id: "timeline-h" }, "Timeline"), h("ol", { className: "timeline", id: "timeline" }, timeline.map((t) => h("li", {}, h("span", { className: "meta" }, when(t.at)), " ", t.node)))),
    h(
      "section",
      { "aria-labelledby": "notes-h" },
      h("h2", { id: "notes-h" }, "Notes"),
      h("ul", { className: "notes", id: "notes" }, originals.map(noteItem), orphanAddenda.map(noteItem)),
      isOpen ? h("a", { href: `#/call/${c.id}/note`, id: "write-note", className: "button" }, "Write a note") : null
    ),
    h(
      "section",
      { "aria-labelledby": "outcome-h", id: "outcome" },
      h("h2", { id: "outcome-h" }, "Outcome"),
      data.outcome
        ? h("div", { className: "outcome" }, h("p", {}, h("strong", {}, label(DISPOSITIONS, data.outcome.disposition)), " ", flags(data.outcome)), h("p", {}, `Police involved: ${data.outcome.police_involved ? "yes" : "no"} · people served: ${data.outcome.people_served}`), data.outcome.summary ? h("p", {}, data.outcome.summary) : null)
        : h("p", { className: "muted" }, "No outcome yet."),
      data.rejectedOutcomes.map((o) => h("p", { className: "refused-text" }, `${label(DISPOSITIONS, o.disposition)}: refused: ${o._rejected}`)),
      isOpen || data.outcome ? h("a", { href: `#/call/${c.id}/outcome`, id: "record-outcome", className: "button" }, data.outcome ? "Correct the outcome" : "Record the outcome") : null
    ),
    h(
      "section",
      { "aria-labelledby": "fu-h" },
      h("h2", { id: "fu-h" }, "Follow-ups"),
      data.followUps.length ? h("ul", { className: "plain" }, data.followUps.map((f) => h("li", {}, `${label(FOLLOWUP_KINDS, f.kind)} by ${when(f.due_by)} · ${f.status || "scheduled"} `, flags(f)))) : h("p", { className: "muted" }, "None scheduled."),
      h("a", { href: `#/call/${c.id}/followup`, className: "button", id: "schedule-followup" }, "Schedule a follow-up")
    ),
    h(
      "section",
      { "aria-labelledby": "ref-h" },
      h("h2", { id: "ref-h" }, "Referrals"),
      data.referrals.length
        ? h("ul", { className: "plain", id: "referrals" }, data.referrals.map((r) => h("li", { "data-id": r.id }, `${(data.services[String(r.service_id)] || {}).name || "A service"} · ${label(REFERRAL_STATUSES, r.status || "proposed")} `, flags(r))))
        : h("p", { className: "muted" }, "None made."),
      h("a", { href: `#/call/${c.id}/referral`, className: "button", id: "make-referral" }, "Refer to a service")
    )
  );
  return { node, live: true, openCall: isOpen ? c.id : null, callId: c.id };
}

// --- notes and addenda ---------------------------------------------------------------------------

export async function note(callId, params) {
  const data = await callData(callId);
  if (!data) return call(callId);
  const amends = params.get("amends");
  const original = amends ? data.notes.find((n) => n.id === amends) : null;
  const body = h("textarea", { id: "note-body", name: "body", rows: 8, required: true, maxlength: 20000 });
  const form = h(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        if (!body.value.trim()) return;
        await sync.addRecord("notes", { id: sync.uuid(), call_id: callId, body: body.value, written_at: Date.now(), recorded_at: null, amends_id: original ? original.id : null });
        go(`#/call/${callId}`);
      },
    },
    h("a", { href: `#/call/${callId}`, className: "back" }, "‹ Back to the call"),
    h("h1", {}, original ? "Addendum" : "New note"),
    original ? h("blockquote", {}, original.body) : null,
    field(original ? "Correction or addition" : "Note", body, "Notes cannot be edited once saved; a correction is an addendum."),
    h("button", { type: "submit", id: "save-note", className: "primary" }, "Save note")
  );
  return { node: form, live: false, openCall: CLOSED.includes(data.status) ? null : callId };
}

// --- the outcome -------------------------------------------------------------------------------

export async function outcome(callId, params) {
  const data = await callData(callId);
  if (!data) return call(callId);
  const thenClear = params.get("then") === "clear";
  const current = data.outcome;
  const disposition = h("select", { id: "disposition", name: "disposition", required: true }, h("option", { value: "" }, "Choose…"), Object.entries(DISPOSITIONS).map(([value, text]) => h("option", { value, selected: current && current.disposition === value }, text)));
  const police = h("input", { type: "checkbox", id: "police-involved", name: "police_involved", checked: current ? current.police_involved : false });
  const served = h("input", { type: "number", id: "people-served", name: "people_served", min: 0, max: 100, required: true, inputmode: "numeric" });
  served.value = current ? current.people_served : 1;
  const summary = h("textarea", { id: "summary", name: "summary", rows: 6, maxlength: 20000 });
  summary.value = current ? current.summary || "" : "";
  const error = h("p", { className: "error", role: "alert" });
  const form = h(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const people = Number(served.value);
        if (!disposition.value || !Number.isInteger(people) || people < 0 || people > 100) {
          error.textContent = "Choose a disposition and give the number of people served (0–100).";
          return;
        }
        await sync.addRecord("outcomes", {
          id: sync.uuid(),
          call_id: callId,
          disposition: disposition.value,
          police_involved: police.checked,
          people_served: people,
          summary: summary.value,
          occurred_at: Date.now(),
          supersedes_id: current ? current.id : null,
        });
        go(`#/call/${callId}`);
      },
    },
    h("a", { href: `#/call/${callId}`, className: "back" }, "‹ Back to the call"),
    h("h1", {}, current ? "Correct the outcome" : "Outcome"),
    thenClear ? h("p", { className: "banner info", role: "status" }, "Record the outcome first: a call is cleared only with one.") : null,
    field("Disposition", disposition),
    h("div", { className: "field check" }, police, h("label", { for: "police-involved" }, "Police were involved")),
    field("People served", served),
    field("Summary", summary),
    error,
    h("button", { type: "submit", id: "save-outcome", className: "primary" }, current ? "Save the correction" : "Save the outcome")
  );
  return { node: form, live: false, openCall: CLOSED.includes(data.status) ? null : callId };
}

// --- follow-ups -------------------------------------------------------------------------------

function localInput(ms) {
  const date = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export async function followups() {
  const [rows, people, allCalls] = await Promise.all([db.all("follow_ups"), db.all("people"), db.all("calls")]);
  const byPerson = Object.fromEntries(people.map((p) => [p.id, p]));
  const byCall = Object.fromEntries(allCalls.map((c) => [c.id, c]));
  const open = rows.filter((f) => !f.status || f.status === "scheduled").sort((a, b) => a.due_by - b.due_by);
  const now = Date.now();
  const endOfDay = new Date().setHours(23, 59, 59, 999);
  const item = (f) =>
    h(
      "li",
      { className: "card followup", "data-id": f.id },
      h("strong", {}, `${label(FOLLOWUP_KINDS, f.kind)} · due by ${when(f.due_by)}`),
      f.purpose ? h("span", {}, f.purpose) : null,
      f.person_id && byPerson[f.person_id] ? h("span", { className: "meta" }, personName(byPerson[f.person_id])) : null,
      f.call_id && byCall[f.call_id] ? h("a", { href: `#/call/${f.call_id}` }, byCall[f.call_id].address) : null,
      flags(f),
      h("a", { href: `#/followup/${f.id}`, className: "button followup-change" }, "Complete or reschedule")
    );
  const group = (title, list, id) => [h("h2", {}, `${title} (${list.length})`), list.length ? h("ul", { className: "cards", id }, list.map(item)) : h("p", { className: "muted" }, "None.")];
  const node = h(
    "div",
    {},
    h("a", { href: "#/", className: "back" }, "‹ My calls"),
    h("h1", {}, "Follow-ups"),
    group("Overdue", open.filter((f) => f.due_by < now), "overdue"),
    group("Due today", open.filter((f) => f.due_by >= now && f.due_by <= endOfDay), "due-today"),
    group("Upcoming", open.filter((f) => f.due_by > endOfDay), "upcoming")
  );
  return { node, live: true };
}

// Complete, miss or reschedule a follow-up: a change of the synced row, pushed as "updated"
// (the server takes the fields of its REST actions; someone else's newer change is a 409).
export async function followupChange(id) {
  const f = await db.get("follow_ups", id);
  const back = h("a", { href: "#/followups", className: "back" }, "‹ Follow-ups");
  if (!f) return { node: h("div", {}, back, h("h1", {}, "Follow-up not found")), live: false };
  const error = h("p", { className: "error", role: "alert" });
  const closed = f.status && f.status !== "scheduled";
  const outcome = h("textarea", { id: "followup-outcome", rows: 4, maxlength: 5000 });
  const notBefore = h("input", { type: "datetime-local", id: "followup-new-not-before", required: true });
  const dueBy = h("input", { type: "datetime-local", id: "followup-new-due-by", required: true });
  notBefore.value = localInput(f.not_before);
  dueBy.value = localInput(f.due_by);
  const change = async (changes) => {
    await sync.updateRecord("follow_ups", f.id, changes);
    go("#/followups");
  };
  const node = h(
    "div",
    {},
    back,
    h("h1", {}, `${label(FOLLOWUP_KINDS, f.kind)} · due by ${when(f.due_by)}`),
    f.purpose ? h("p", {}, f.purpose) : null,
    closed
      ? h("p", { className: "muted", id: "followup-closed" }, `Closed: ${f.status}. A closed follow-up does not move.`)
      : [
          h("h2", {}, "Done"),
          field("What happened", outcome),
          h("button", { type: "button", id: "complete-followup", className: "primary", onclick: () => change({ status: "completed", outcome: outcome.value }) }, "Mark completed"),
          h("button", { type: "button", id: "miss-followup", className: "secondary", onclick: () => change({ status: "missed", outcome: outcome.value }) }, "Could not reach them (missed)"),
          h("h2", {}, "Reschedule"),
          field("Not before", notBefore),
          field("Due by", dueBy),
          error,
          h(
            "button",
            {
              type: "button",
              id: "reschedule-followup",
              className: "primary",
              onclick: () => {
                const start = Date.parse(notBefore.value);
                const end = Date.parse(dueBy.value);
                if (!(start < end)) {
                  error.textContent = "The window must end after it opens.";
                  return;
                }
                change({ not_before: start, due_by: end });
              },
            },
            "Reschedule"
          ),
        ]
  );
  return { node, live: false };
}

export async function followupForm(callId) {
  const data = await callData(callId);
  if (!data) return call(callId);
  const kind = h("select", { id: "followup-kind", required: true }, Object.entries(FOLLOWUP_KINDS).map(([value, text]) => h("option", { value }, text)));
  const notBefore = h("input", { type: "datetime-local", id: "followup-not-before", required: true });
  const dueBy = h("input", { type: "datetime-local", id: "followup-due-by", required: true });
  notBefore.value = localInput(Date.now() + 24 * 3600 * 1000);
  dueBy.value = localInput(Date.now() + 3 * 24 * 3600 * 1000);
  const purpose = h("textarea", { id: "followup-purpose", rows: 4, maxlength: 5000 });
  const error = h("p", { className: "error", role: "alert" });
  const form = h(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const start = Date.parse(notBefore.value);
        const end = Date.parse(dueBy.value);
        if (!(start < end)) {
          error.textContent = "The window must end after it opens.";
          return;
        }
        await sync.addRecord("follow_ups", { id: sync.uuid(), call_id: callId, person_id: data.call.person_id || null, kind: kind.value, not_before: start, due_by: end, purpose: purpose.value, status: "scheduled" });
        go(`#/call/${callId}`);
      },
    },
    h("a", { href: `#/call/${callId}`, className: "back" }, "‹ Back to the call"),
    h("h1", {}, "Schedule a follow-up"),
    field("How", kind),
    field("Not before", notBefore),
    field("Due by", dueBy),
    field("Purpose", purpose),
    error,
    h("button", { type: "submit", id: "save-followup", className: "primary" }, "Schedule")
  );
  return { node: form, live: false, openCall: CLOSED.includes(data.status) ? null : callId };
}

// --- a referral, with the person's consent -------------------------------------------------------

export async function referralForm(callId) {
  const data = await callData(callId);
  if (!data) return call(callId);
  const all = Object.values(data.services).filter((s) => s.is_active !== false).sort((a, b) => a.name.localeCompare(b.name));
  const search = h("input", { type: "search", id: "referral-search", placeholder: "Filter the services" });
  const service = h("select", { id: "referral-service", required: true });
  const fill = () => {
    const chosen = service.value;
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = all.filter((s) => words.every((w) => `${s.name} ${s.organization} ${s.category}`.toLowerCase().includes(w)));
    service.replaceChildren(h("option", { value: "" }, `Choose (${shown.length})…`), ...shown.map((s) => h("option", { value: s.id }, `${s.name} (${s.organization})${isOpenNow(s.hours) ? " · open now" : ""}`)));
    service.value = chosen;
  };
  search.addEventListener("input", fill);
  fill();
  const consent = h("input", { type: "checkbox", id: "referral-consent" });
  const method = h("select", { id: "referral-consent-method" }, Object.entries(CONSENT_METHODS).map(([value, text]) => h("option", { value }, text)));
  const notes = h("textarea", { id: "referral-notes", rows: 4, maxlength: 5000 });
  const error = h("p", { className: "error", role: "alert" });
  const form = h(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        if (!service.value || !consent.checked) {
          error.textContent = "Choose a service, and refer only with the person's consent.";
          return;
        }
        await sync.addRecord("referrals", { id: sync.uuid(), call_id: callId, person_id: data.call.person_id || null, service_id: service.value, consent_given: true, consent_method: method.value, notes: notes.value, status: "proposed" });
        go(`#/call/${callId}`);
      },
    },
    h("a", { href: `#/call/${callId}`, className: "back" }, "‹ Back to the call"),
    h("h1", {}, "Refer to a service"),
    field("Search the directory", search),
    field("Service", service),
    h("div", { className: "field check" }, consent, h("label", { for: "referral-consent" }, "The person agrees to the referral")),
    field("How they agreed", method),
    field("Notes for the service", notes),
    error,
    h("button", { type: "submit", id: "save-referral", className: "primary" }, "Refer")
  );
  return { node: form, live: false, openCall: CLOSED.includes(data.status) ? null : callId };
}

// --- the team's availability: a local record pushed with the next sync (works offline; the
// server ignores a word older than the team's standing one, the partner's newer change) -------

function availabilitySwitch(records) {
  const latest = records.filter((r) => !r._rejected).sort((a, b) => b.changed_at - a.changed_at)[0];
  const refused = records.filter((r) => r._rejected).sort((a, b) => b.changed_at - a.changed_at)[0];
  const words = latest ? (latest.status === "out_of_service" ? `Out of service: ${label(OUT_OF_SERVICE_REASONS, latest.reason)}` : "Available for calls") : "";
  const status = h("p", { id: "availability-status", className: "meta", role: "status" }, words, latest && latest._pending ? h("span", { className: "badge pending" }, " · not sent yet") : null);
  const reason = h("select", { id: "availability-reason" }, Object.entries(OUT_OF_SERVICE_REASONS).map(([value, text]) => h("option", { value }, text)));
  const set = (state, why = "") => sync.addRecord("team_availability", { id: sync.uuid(), status: state, reason: why, changed_at: Date.now() });
  return h(
    "section",
    { "aria-labelledby": "avail-h" },
    h("h2", { id: "avail-h" }, "Team availability"),
    h("div", { className: "steps" }, h("button", { type: "button", id: "set-available", onclick: () => set("available") }, "Available"), field("Reason", reason), h("button", { type: "button", id: "set-out-of-service", onclick: () => set("out_of_service", reason.value) }, "Out of service")),
    status,
    refused && (!latest || refused.changed_at > latest.changed_at) ? h("p", { className: "refused-text" }, `Refused: ${refused._rejected}`) : null
  );
}

// --- the services directory (searchable offline) ------------------------------------------------

const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

export function isOpenNow(raw, at = new Date()) {
  const hours = parsed(raw, {});
  if (!hours || typeof hours !== "object") return false;
  if (hours.always === true) return true;
  const pad = (n) => String(n).padStart(2, "0");
  const clock = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  const today = WEEKDAYS[at.getDay()];
  const yesterday = WEEKDAYS[(at.getDay() + 6) % 7];
  for (const [start, end] of hours[today] || []) {
    if ((start <= clock && clock < end) || (end < start && clock >= start)) return true;
  }
  return (hours[yesterday] || []).some(([start, end]) => end < start && clock < end);
}

export async function services() {
  const all = (await db.all("services")).filter((s) => s.is_active !== false).sort((a, b) => `${a.organization} ${a.name}`.localeCompare(`${b.organization} ${b.name}`));
  const query = h("input", { type: "search", id: "service-search", placeholder: "Name, organization, need…" });
  const category = h("select", { id: "service-category" }, h("option", { value: "" }, "All categories"), Object.entries(SERVICE_CATEGORIES).map(([value, text]) => h("option", { value }, text)));
  const openNow = h("input", { type: "checkbox", id: "service-open-now" });
  const list = h("ul", { className: "cards", id: "services" });
  const draw = () => {
    const words = query.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = all.filter((s) => {
      const text = `${s.name} ${s.organization} ${s.description} ${s.eligibility}`.toLowerCase();
      return words.every((w) => text.includes(w)) && (!category.value || s.category === category.value) && (!openNow.checked || isOpenNow(s.hours));
    });
    list.replaceChildren(
      ...shown.map((s) =>
        h(
          "li",
          { className: "card service", "data-id": s.id },
          h("strong", {}, s.name),
          h("span", {}, `${s.organization} · ${label(SERVICE_CATEGORIES, s.category)}`),
          h("span", { className: "meta" }, [isOpenNow(s.hours) ? "Open now" : "Closed now", s.hours_text, s.is_accepting_clients === false ? "not accepting clients" : ""].filter(Boolean).join(" · ")),
          s.address ? h("span", { className: "meta" }, s.address) : null,
          s.phone ? h("a", { href: `tel:${s.phone}` }, `Call ${s.phone}`) : null
        )
      )
    );
    if (!shown.length) list.append(h("li", { className: "muted" }, "No service matches."));
  };
  for (const control of [query, category, openNow]) {
    control.addEventListener("input", draw);
    control.addEventListener("change", draw);
  }
  draw();
  const node = h(
    "div",
    {},
    h("a", { href: "#/", className: "back" }, "‹ My calls"),
    h("h1", {}, "Services directory"),
    h("p", { className: "muted" }, `${all.length} services, kept on this phone.`),
    field("Search", query),
    field("Category", category),
    h("div", { className: "field check" }, openNow, h("label", { for: "service-open-now" }, "Open now")),
    list
  );
  return { node, live: false };
}

// --- refused records ------------------------------------------------------------------------------

export async function refused() {
  const rows = (await db.all("rejected")).sort((a, b) => b.at - a.at);
  const summary = (row) => row.record.body || row.record.kind || row.record.disposition || row.record.reason || row.record.purpose || row.record.answer || "";
  const node = h(
    "div",
    {},
    h("a", { href: "#/", className: "back" }, "‹ My calls"),
    h("h1", {}, "Refused by the server"),
    h("p", {}, "The server did not accept these records. They stay here, with its reason, until you dismiss them; supervisors see them too."),
    rows.length
      ? h(
          "ul",
          { className: "cards", id: "refused" },
          rows.map((row) =>
            h(
              "li",
              { className: "card refused", "data-id": row.id },
              h("strong", {}, `${TABLE_NAMES[row.table] || row.table}, ${when(row.at)}`),
              summary(row) ? h("span", { className: "body" }, summary(row)) : null,
              h("span", { className: "reason" }, `Reason: ${row.reason}`),
              row.call_id ? h("a", { href: `#/call/${row.call_id}` }, "Its call") : null,
              h("button", { type: "button", className: "secondary", onclick: () => sync.dismissRejected(row.key) }, "Dismiss")
            )
          )
        )
      : h("p", { className: "muted" }, "Nothing refused.")
  );
  return { node, live: true };
}
