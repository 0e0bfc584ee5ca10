import type { StudioOperations } from './operations.js';

/**
 * Registers one route of the contract: who may use it (`role`), whether it opens sealed data with
 * the password in its body (`unlock`), and the operation that answers it.
 */
export type RegisterRoute<C> = <K extends keyof StudioOperations<C>>(
  key: K,
  opts: { role?: 'admin'; unlock?: boolean },
  run: StudioOperations<C>[K],
) => void;

/** The JSON API of every page (docs/studio.md has each route's shape and the command it matches). */
export function registerRoutes<C>(route: RegisterRoute<C>, ops: StudioOperations<C>): void {
  registerToday(route, ops);
  registerCalls(route, ops);
  registerAssistant(route, ops);
  registerMetrics(route, ops);
  registerDoctors(route, ops);
  registerOutbox(route, ops);
}

/** Today: the clinic, appointments (names; audited), the desk's bookings, the slots it would book, AC visits. */
function registerToday<C>(route: RegisterRoute<C>, ops: StudioOperations<C>): void {
  route('GET /api/clinic', {}, ops['GET /api/clinic']);
  route('GET /api/appointments', {}, ops['GET /api/appointments']);
  route('POST /api/appointments', {}, ops['POST /api/appointments']);
  route('POST /api/appointments/:id/move', {}, ops['POST /api/appointments/:id/move']);
  route('POST /api/appointments/:id/cancel', {}, ops['POST /api/appointments/:id/cancel']);
  route(
    'POST /api/appointments/:id/decrypt',
    { role: 'admin', unlock: true },
    ops['POST /api/appointments/:id/decrypt'],
  );
  route('GET /api/slots', {}, ops['GET /api/slots']);
  route('GET /api/service-visits', {}, ops['GET /api/service-visits']);
}

/** Calls: the log, one call, and its sealed fields after an admin's password. */
function registerCalls<C>(route: RegisterRoute<C>, ops: StudioOperations<C>): void {
  route('GET /api/calls', {}, ops['GET /api/calls']);
  route('GET /api/calls/:id', {}, ops['GET /api/calls/:id']);
  route('POST /api/calls/:id/decrypt', { role: 'admin', unlock: true }, ops['POST /api/calls/:id/decrypt']);
}

/** Assistant: the config and the options Vapi accepts; saving and publishing are an admin's. */
function registerAssistant<C>(route: RegisterRoute<C>, ops: StudioOperations<C>): void {
  route('GET /api/assistant', {}, ops['GET /api/assistant']);
  route('PUT /api/assistant', { role: 'admin' }, ops['PUT /api/assistant']);
  route('POST /api/assistant/plan', { role: 'admin' }, ops['POST /api/assistant/plan']);
  route('POST /api/assistant/publish', { role: 'admin' }, ops['POST /api/assistant/publish']);
}

/** Metrics: the figures of `receptionist metrics`. */
function registerMetrics<C>(route: RegisterRoute<C>, ops: StudioOperations<C>): void {
  route('GET /api/metrics', {}, ops['GET /api/metrics']);
}

/** Doctors: hours and leave. */
function registerDoctors<C>(route: RegisterRoute<C>, ops: StudioOperations<C>): void {
  route('GET /api/doctors', {}, ops['GET /api/doctors']);
  route('PUT /api/doctors/:doctor/hours', {}, ops['PUT /api/doctors/:doctor/hours']);
  route('POST /api/doctors/:doctor/leave', {}, ops['POST /api/doctors/:doctor/leave']);
  route('DELETE /api/doctors/:doctor/leave/:from', {}, ops['DELETE /api/doctors/:doctor/leave/:from']);
}

/** Outbox: the notifications, and sending the dead ones again. */
function registerOutbox<C>(route: RegisterRoute<C>, ops: StudioOperations<C>): void {
  route('GET /api/outbox', {}, ops['GET /api/outbox']);
  route('POST /api/outbox/retry', {}, ops['POST /api/outbox/retry']);
}
