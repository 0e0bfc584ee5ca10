import type { DeskBookInput } from '../domain/desk-input.js';

/**
 * The studio's JSON API: every route, what it takes and what it answers, in one place that both the
 * server (src/commands/studio/) and the page (web/) import. A route or a field renamed on one side
 * fails the typecheck on the other. Types only, so the page's bundle carries none of the server.
 *
 * A success is `{data: Response, warnings?: string[]}`; a failure `{error: ApiError}` with the HTTP
 * status of the exit code the command line would give (docs/studio.md).
 */

/** A refused or failed request. `confirm`: sent again with `?force=1`, it goes through. */
export interface ApiError {
  code: string;
  message: string;
  hint?: string;
  confirm?: boolean;
}

/** Who is signed in, and the token every write carries in `x-csrf-token`. */
export interface Me {
  username: string;
  role: 'admin' | 'receptionist';
  csrfToken: string;
}

export interface ClinicView {
  name: string;
  /** IANA zone every time on the pages is shown in. */
  timeZone: string;
  /** ISO date in the clinic's zone. */
  today: string;
  slotMinutes: number;
  bookingHorizonDays: number;
}

/** An appointment as listed (names only; a receptionist's view). Times UTC ISO 8601. */
export interface AppointmentRow {
  appointmentId: string;
  status: string;
  start: string;
  doctorId: string;
  doctorName: string;
  specialty: string;
  patientName: string;
}

/** One appointment in full, after the admin's password. */
export interface AppointmentDetails extends AppointmentRow {
  email?: string;
  phone?: string;
  reason?: string;
  cancelReason?: string;
  createdAt: string;
  confirmedAt?: string;
  cancelledAt?: string;
  movedFrom?: string[];
}

/** A booking, move or cancellation as the front desk reports it. */
export interface DeskChangeView {
  action: 'appointments.book' | 'appointments.reschedule' | 'appointments.cancel';
  appointment: { appointmentId: string; start: string; doctorId: string; doctorName: string; status: string };
  replayed?: boolean;
  timeZone: string;
}

/** The Book form: a doctor (id or name) or a specialty, the time as typed, the patient (the desk's input; the key in a header). */
export type BookBody = Omit<DeskBookInput, 'idempotencyKey'>;

/** The slots the front desk would book now on one day. `start` UTC ISO 8601. */
export interface BookableSlots {
  date: string;
  timeZone: string;
  slots: Array<{ doctorId: string; start: string }>;
}

export interface VisitView {
  visitId: string;
  customerId: string;
  serialNumber: string;
  /** ISO date in the clinic's zone. */
  date: string;
  window: string;
  status: string;
  isInWarranty: boolean;
}

export interface DoctorView {
  _id: string;
  name: string;
  specialty: string;
  /** Weekly hours by weekday (`mon` … `sun`): [from, to] pairs, 24-hour, the clinic's zone. */
  weeklyHours: Partial<Record<string, Array<[string, string]>>>;
  slotMinutes?: number;
  leave?: Array<{ from: string; to: string; note?: string; holiday?: string }>;
  /** The hours in the notation `doctors update --hours` reads. */
  hours: string;
}

export interface DoctorsView {
  doctors: DoctorView[];
  timeZone: string;
  clinicSlotMinutes: number;
  today: string;
}

/** A change of a doctor; `booked`: coming appointments it leaves in place (ids and times). */
export interface DoctorChangeView {
  action: string;
  doctor: Omit<DoctorView, 'hours'>;
  outsideHours?: string[];
  booked?: string[];
}

export interface OutboxEntryView {
  id: string;
  event: string;
  subject: string;
  status: string;
  attempts: number;
  createdAt: string;
  /** Not before this, epoch ms (as `outbox list --json` prints it). */
  dueAt?: number;
  lastError?: string;
  deliveries?: Record<string, { status: string }>;
  deliveredAt?: string;
  deadAt?: string;
}

/** A call as `logs --json` prints it; sealed fields `[sealed]` unless opened. */
export interface CallView {
  callId: string;
  callType: string | null;
  assistantId: string | null;
  startedAt: string | null;
  endedAt: string | null;
  receivedAt: string;
  durationSeconds: number | null;
  endedReason: string | null;
  cost: number | null;
  customerNumber: string | null;
  summary: string | null;
  transcript: string | null;
  recordingUrl: string | null;
  status: string;
  bookings: Array<{ appointmentId: string; start?: string; doctorName?: string; patientName?: string }>;
}

export interface Choices {
  values: string[];
  isFreeForm: boolean;
}
export interface ProviderOptions {
  provider: string;
  voiceIds?: Choices;
  models?: Choices;
  languages?: Choices;
}

export interface AssistantView {
  values: Record<string, string | number | null>;
  descriptions: Record<string, string>;
  options: { voices: ProviderOptions[]; transcribers: ProviderOptions[]; models: ProviderOptions[] };
  synced: { assistantId: string | null; serverUrl: string | null };
  vapiKey: boolean;
}

export interface ConfigChangeView {
  key: string;
  from: unknown;
  to: unknown;
}

export interface PlannedView {
  kind: string;
  name: string;
  action: 'create' | 'update' | 'unchanged' | 'drifted';
  id?: string;
  adopted?: boolean;
  changes: Array<{ path: string; from: unknown; to: unknown }>;
  remoteChanges: Array<{ path: string; from: unknown; to: unknown }>;
}

export interface SyncView {
  baseUrl: string;
  serverUrl: string;
  plan: PlannedView[];
  applied: boolean;
  assistantId?: string;
}

/** One group's figures (`metrics`, `GET /api/metrics`). Minutes and costs are totals over the group; cost in USD. */
export interface MetricsRow {
  group: string;
  calls: number;
  minutes: number;
  totalCost: number;
  /** Over the calls that have a cost. */
  averageCost: number;
  callsWithCost: number;
}

export interface MetricsView {
  since: string;
  timeZone: string;
  day: MetricsRow[];
  endedReason: MetricsRow[];
  assistant: MetricsRow[];
}

/**
 * Every route by `METHOD /path` (`:name` a path parameter): its query, body and response. What a
 * route does is in docs/studio.md; which may only an admin use, there too.
 */
export interface StudioApi {
  'POST /api/session': { body: { username: string; password: string }; response: Me };
  'DELETE /api/session': { response: undefined };
  'GET /api/me': { response: Me };
  'GET /api/clinic': { response: ClinicView };
  'GET /api/appointments': {
    query: { from?: string; to?: string; doctor?: string; status?: 'confirmed' | 'held' | 'cancelled' | 'all' };
    response: { rows: AppointmentRow[]; timeZone: string; from: string; to: string };
  };
  'POST /api/appointments': { body: BookBody; response: DeskChangeView };
  'POST /api/appointments/:id/move': { params: { id: string }; body: { at: string }; response: DeskChangeView };
  'POST /api/appointments/:id/cancel': { params: { id: string }; body: { reason: string }; response: DeskChangeView };
  'POST /api/appointments/:id/decrypt': {
    params: { id: string };
    body: { password: string };
    response: { appointment: AppointmentDetails; timeZone: string };
  };
  'GET /api/slots': { query: { date?: string }; response: BookableSlots };
  'GET /api/service-visits': { query: { from?: string; to?: string }; response: VisitView[] };
  'GET /api/doctors': { response: DoctorsView };
  'PUT /api/doctors/:doctor/hours': { params: { doctor: string }; body: { hours: string }; response: DoctorChangeView };
  'POST /api/doctors/:doctor/leave': {
    params: { doctor: string };
    body: { from: string; to?: string; note?: string };
    response: DoctorChangeView;
  };
  'DELETE /api/doctors/:doctor/leave/:from': { params: { doctor: string; from: string }; response: DoctorChangeView };
  'GET /api/outbox': { query: { status?: string }; response: OutboxEntryView[] };
  'POST /api/outbox/retry': { body: { id?: string }; response: { retried: number } };
  'GET /api/calls': {
    query: { date?: string; endedReason?: string; caller?: string; limit?: string };
    response: { rows: CallView[]; timeZone: string };
  };
  'GET /api/calls/:id': { params: { id: string }; response: { call: CallView; timeZone: string } };
  'POST /api/calls/:id/decrypt': {
    params: { id: string };
    body: { password: string };
    response: { call: CallView; timeZone: string };
  };
  'GET /api/assistant': { response: AssistantView };
  'PUT /api/assistant': {
    query: { force?: '1' };
    body: Record<string, string | number>;
    response: { changes: ConfigChangeView[] };
  };
  'POST /api/assistant/plan': { body: { serverUrl?: string }; response: SyncView };
  'POST /api/assistant/publish': { body: { serverUrl?: string }; response: SyncView };
  'GET /api/metrics': { query: { since?: string }; response: MetricsView };
}

/** A route of {@link StudioApi}. */
export type Route = keyof StudioApi;
type Field<K extends Route, F extends string> = StudioApi[K] extends Record<F, infer T> ? T : undefined;
/** What route `K` takes: its path parameters, query and body (each undefined when it has none). */
export type Params<K extends Route> = Field<K, 'params'>;
export type Query<K extends Route> = Field<K, 'query'>;
export type Body<K extends Route> = Field<K, 'body'>;
/** What route `K` answers in `data`. */
export type Response<K extends Route> = StudioApi[K]['response'];
