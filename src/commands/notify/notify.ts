import { randomBytes } from 'node:crypto';
import { NOTIFICATION_EVENTS, type NotificationEvent } from '../../domain/outbox.js';
import { newSigningSecret, secretBinding, webhookEndpoints, type WebhookEndpoint } from '../../notify/webhooks.js';
import { auditDeskChange } from '../shared/front-desk.js';
import { UsageError, UserError } from '../../errors.js';
import { implement, noFlags, type RenderContext } from '../shared/command.js';
import type { AddFlags, RemoveFlags } from './index.js';
import type { Context } from '../shared/context.js';
import { writeOnlySealer } from '../../domain/sealing-keys.js';
import { renderTable } from '../shared/table.js';

interface AddOptions {
  url: string;
  events: string[];
  description?: string;
}

export function parseAdd(flags: AddFlags): AddOptions {
  let url: URL;
  try {
    url = new URL(flags.url);
  } catch {
    throw new UsageError(`Invalid URL "${flags.url}".`, 'Give the https URL of the receiver.');
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new UsageError(
      `Invalid URL "${url.href}": notifications carry patients' contact details, so only https is allowed (http only on loopback).`,
    );
  const events = flags.events
    ? flags.events
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean)
    : ['*'];
  const unknown = events.filter((e) => e !== '*' && !NOTIFICATION_EVENTS.includes(e as NotificationEvent));
  if (unknown.length)
    throw new UsageError(`Unknown event(s): ${unknown.join(', ')}.`, `Events: ${NOTIFICATION_EVENTS.join(', ')}.`);
  return { url: url.href, events, description: flags.description };
}

interface AddResult {
  id: string;
  url: string;
  events: string[];
  secret: string;
}

async function runAdd(o: AddOptions, ctx: Context): Promise<AddResult> {
  const store = await ctx.store();
  // The secret is sealed for serve, which signs: under the blind-index key serve holds.
  const sealer = await writeOnlySealer(store, ctx);
  const id = `we_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
  const secret = newSigningSecret();
  const endpoint: WebhookEndpoint = {
    _id: id,
    url: o.url,
    events: o.events,
    secret: sealer.sealPending(secret, secretBinding(id)),
    ...(o.description ? { description: o.description } : {}),
    createdAt: ctx.now().toISOString(),
  };
  await webhookEndpoints(store).insertOne(endpoint);
  await auditDeskChange(ctx, store, 'notify.webhooks.add', { id, host: new URL(o.url).host, events: o.events });
  return { id, url: o.url, events: o.events, secret };
}

function renderAdd(r: AddResult, _o: unknown, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify(r));
  io.info(`Added webhook ${r.id} → ${r.url} (${r.events.join(', ')}).`);
  io.line(r.secret);
  io.info('That is its signing secret: keep it in the receiver to verify webhook-signature. It is not shown again.');
}

type ListRow = Pick<WebhookEndpoint, 'url' | 'events' | 'description' | 'createdAt'> & { id: string };

async function runList(_o: unknown, ctx: Context): Promise<ListRow[]> {
  const store = await ctx.store({ readOnly: true });
  return (await webhookEndpoints(store).find({}, { sort: { createdAt: 1 } })).map((e) => ({
    id: e._id,
    url: e.url,
    events: e.events,
    ...(e.description ? { description: e.description } : {}),
    createdAt: e.createdAt,
  }));
}

function renderList(rows: ListRow[], _o: unknown, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify(rows, null, 2));
  if (!rows.length) return io.info('No webhooks. Add one with `receptionist notify webhooks add <url>`.');
  const cells = rows.map((r) => [r.id, r.url, r.events.join(', '), r.description ?? '']);
  if (io.isOutTTY) return io.line(renderTable(['ID', 'URL', 'Events', 'Description'], cells, io, g.color));
  for (const c of cells) io.line(c.join('\t'));
}

async function runRemove(o: { id: string }, ctx: Context): Promise<{ action: string; id: string }> {
  const store = await ctx.store();
  const { deleted } = await webhookEndpoints(store).deleteMany({ _id: o.id });
  if (!deleted) throw new UserError(`No webhook ${o.id}.`, '`receptionist notify webhooks list` shows them.');
  await auditDeskChange(ctx, store, 'notify.webhooks.remove', { id: o.id });
  return { action: 'notify.webhooks.remove', id: o.id };
}

/** `notify remove`. */
export const parseRemove = (f: RemoveFlags) => ({ id: f.id });

export const add = implement({ parse: parseAdd, run: runAdd, render: renderAdd });
export const list = implement({ parse: noFlags, run: runList, render: renderList });
export const remove = implement({
  parse: parseRemove,
  run: runRemove,
  render: (r, _o, { io, globals: g }) => (g.json ? io.line(JSON.stringify(r)) : io.info(`Removed webhook ${r.id}.`)),
});
