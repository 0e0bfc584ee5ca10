import chalk, { Chalk } from 'chalk';
import { printable, type IO } from '../../io.js';
import type { GlobalOptions } from '../shared/globals.js';
import type { ServeEvent } from '../../server/runtime.js';

/** How much unread output serve lets wait in memory before it drops events (stdout with --json, else stderr), bytes. */
export const UNREAD_OUTPUT_LIMIT = 1 << 20;

/**
 * serve's events as they are printed, bounded (PERF-5): when whoever reads serve's output stops
 * (a pipe nobody drains), events are dropped and counted once `UNREAD_OUTPUT_LIMIT` bytes wait,
 * instead of piling up in memory; the next event that fits is preceded by one saying how many were
 * dropped (`{"kind":"dropped","events":N}` with --json). serve itself never waits on its output.
 */
export function boundedServeEvents(
  g: GlobalOptions,
  io: IO,
  now: () => Date,
  limit = UNREAD_OUTPUT_LIMIT,
): (e: ServeEvent) => void {
  let dropped = 0;
  const stream = (g.json ? io.out : io.err) as NodeJS.WritableStream & { writableLength?: number };
  return (e) => {
    if ((stream.writableLength ?? 0) > limit) {
      dropped++;
      return;
    }
    if (dropped) {
      if (g.json) io.line(JSON.stringify({ time: now().toISOString(), kind: 'dropped', events: dropped }));
      else io.error(`(${dropped} events not shown: nothing read serve's output for a while)`);
      dropped = 0;
    }
    renderServeEvent(e, g, io, now);
  };
}

/** Prints one serve event: a JSON line on stdout with --json, else a human line on stderr. */
export function renderServeEvent(e: ServeEvent, g: GlobalOptions, io: IO, now: () => Date): void {
  if (g.json) {
    io.line(JSON.stringify({ time: now().toISOString(), ...e }));
    return;
  }
  const c = g.color ? chalk : new Chalk({ level: 0 });
  switch (e.kind) {
    case 'ready':
      return renderReady(e, c, io);
    case 'message':
      return renderMessage(e, c, io, now);
    case 'spool':
    case 'outbox':
      return renderDelivery(e, c, io);
    case 'store':
      if (e.state === 'connected')
        io.info(
          `${c.green('Store connected')}  ${e.location}${e.afterMs >= 1000 ? ` after ${Math.round(e.afterMs / 1000)} s` : ''}.`,
        );
      else
        io.error(
          `${c.yellow('Store unreachable')}  ${e.location} (${printable(e.reason)}): tool calls get the spoken apology and call-log events are spooled until it answers${e.state === 'connecting' ? '; connecting in the background' : ''}.`,
        );
      return;
    case 'tunnel':
      if (e.state === 'open') io.info(`${c.green('Tunnel')}  ${e.url} → this server`);
      else if (e.state === 'disconnected')
        io.error(`${c.yellow('Tunnel dropped')}  ${e.url}; the local server keeps serving. Reconnecting…`);
      else if (e.state === 'reconnecting')
        io.error(
          `${c.yellow('Tunnel')}  attempt ${e.attempt} failed${e.error ? ` (${e.error})` : ''}; next in ${Math.round(e.inMs / 1000)} s`,
        );
      else if (e.state === 'reconnected')
        io.info(`${c.green('Tunnel back')}  ${e.url}${e.changed ? ' (a new URL)' : ''}`);
      else io.info('Tunnel closed.');
      return;
    case 'assistant':
      if (e.state === 'pointed')
        io.info(`${c.green('Assistant')}  ${e.assistantId ?? ''} and ${e.tools} tool(s) now send to ${e.url}`);
      else
        io.info(
          `${c.green('Assistant restored')}  ${e.assistantId ?? ''} and ${e.tools} tool(s) send to ${e.url || 'their previous server'} again${e.detail ? ` (${e.detail})` : ''}`,
        );
      return;
    case 'failure':
      io.error(
        `${c.red('Failure')} in ${e.where}: ${e.error}${e.stack ? `\n${e.stack}` : ' (re-run with --debug for the stack)'}`,
      );
      return;
    case 'warning':
      io.error(`${c.yellow('Warning')}: ${e.message}`);
      return;
    case 'stopping':
      io.info('Stopping…');
      return;
    case 'stopped':
      io.info('Stopped.');
      return;
  }
}

type Colors = InstanceType<typeof Chalk>;

/** `ready`: where serve listens, how it authenticates, its public URL, notifications and reminders. */
function renderReady(e: Extract<ServeEvent, { kind: 'ready' }>, c: Colors, io: IO): void {
  io.info(`${c.green('Ready')}  webhook ${c.bold(e.webhookUrl)}  store ${e.dataDir}`);
  if (e.auth === 'none') io.info(c.yellow('  Authentication is OFF (--insecure-no-auth): loopback only.'));
  else {
    io.info(`  Authentication: ${e.secrets} active secret(s), plan from ${e.authSource}:`);
    for (const p of e.plans ?? []) io.info(`    ${p}`);
  }
  if (e.publicWebhookUrl) io.info(`  Public webhook  ${c.bold(e.publicWebhookUrl)}`);
  if (e.notifications) {
    const n = e.notifications;
    io.info(
      `  Notifications: outgoing webhooks${n.channels
        .filter((x) => x !== 'call')
        .map((x) => `, ${x}`)
        .join('')}`,
    );
    const r = n.reminders;
    if (!r) io.info('  Reminders: off (clinic.reminderHours is 0)');
    else {
      const off = Object.entries(r.off).map(([ch, why]) => `${ch} off: ${why}`);
      io.info(
        `  Reminders: ${r.hoursBefore} h before, by ${r.by.length ? r.by.join(', ') : 'outgoing webhooks only'}${off.length ? c.yellow(` (${off.join('; ')})`) : ''}`,
      );
    }
  }
  io.info('  Press Ctrl-C to stop.');
}

/** One server message: time (UTC), type, call, tools, status, outcome, duration, detail. */
function renderMessage(e: Extract<ServeEvent, { kind: 'message' }>, c: Colors, io: IO, now: () => Date): void {
  const ok = e.status < 400;
  const status = ok
    ? c.green(String(e.status))
    : e.status >= 500
      ? c.red(String(e.status))
      : c.yellow(String(e.status));
  const parts = [
    now().toISOString().slice(11, 23),
    // Type, call id, tool names and detail come from the request: escaped, never raw.
    printable(e.type).padEnd(20),
    e.callId ? `call=${printable(e.callId)}` : '',
    e.tools?.length ? printable(e.tools.join(',')) : '',
    status,
    e.outcome,
    `${e.ms}ms`,
    e.detail ? `(${printable(e.detail)})` : '',
  ];
  io.info(parts.filter(Boolean).join('  '));
}

/** The call-event spool and the outbox: what waits for the store, and what was delivered or gave up. */
function renderDelivery(e: Extract<ServeEvent, { kind: 'spool' | 'outbox' }>, c: Colors, io: IO): void {
  if (e.kind === 'spool') {
    if (e.state === 'queued')
      io.error(
        `${c.yellow('Spooled')}  call event acknowledged; the store is unavailable (${e.reason}). Spool depth ${e.depth}.`,
      );
    else if (e.state === 'pending')
      io.error(
        `${c.yellow('Spool')}  ${e.depth} call event(s) from an earlier run in ${e.file}; writing them to the store.`,
      );
    else
      io.info(`${c.green('Spool drained')}  ${e.written} call event(s) written to the store in order. Spool depth 0.`);
    return;
  }
  if (e.state === 'delivered')
    io.info(
      `${c.green('Notified')}  ${e.event} ${e.id}${e.channels.length ? ` → ${e.channels.join(', ')}` : ' (no channel configured)'}`,
    );
  else if (e.state === 'retrying')
    io.error(
      `${c.yellow('Notification')}  ${e.event} ${e.id}: attempt ${e.attempts} failed (${printable(e.error)}); next in ${Math.round(e.inMs / 1000)} s`,
    );
  else if (e.state === 'placed')
    io.info(`${c.cyan('Reminder call')}  ${e.event} ${e.id}: placed on Vapi; delivered once the patient answers`);
  else
    io.error(
      `${c.red('Notification dead')}  ${e.event} ${e.id} after ${e.attempts} attempt(s): ${printable(e.error)}. \`receptionist outbox retry ${e.id}\` sends it again.`,
    );
}
