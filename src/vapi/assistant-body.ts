import type { BotConfig } from '../domain/clinic.js';

/**
 * The stored assistant as Vapi must have it, for `sync` (the `CreateAssistantDTO` it sends) and for
 * `serve`'s inline assistant before a sync: the clinic's clock in its own zone, and transfers to the
 * clinic's front desk. Both follow the config, so a change to `clinic.timeZone` or
 * `clinic.frontDeskNumber` is a change `sync` plans and shows.
 */

type Json = Record<string, unknown>;

/**
 * The clinic's clock, written in the prompt and messages as `{{clinic.now}}`, `{{clinic.date}}`,
 * `{{clinic.time}}` and expanded by `sync` into Vapi's LiquidJS `date` filter with the clinic's IANA
 * zone. Vapi's own `{{now}}`, `{{date}}`, `{{time}}`, `{{month}}`, `{{day}}` and `{{year}}` are UTC
 * (docs `fern/assistants/dynamic-variables.mdx`, "Default Variables"); the filter with a zone argument is
 * the documented way to another zone (same page, "Advanced date and time usage"). Formats are
 * LiquidJS strftime: "Monday 7 December 2026, 7:05 PM".
 */
export const CLINIC_CLOCK: Record<string, string> = {
  'clinic.date': '%A %-d %B %Y',
  'clinic.time': '%-I:%M %p',
  'clinic.now': '%A %-d %B %Y, %-I:%M %p',
};

/** Vapi's built-in clock variables, filled in UTC. */
export const UTC_CLOCK_VARIABLES = ['now', 'date', 'time', 'month', 'day', 'year'] as const;

/** `text` with `{{clinic.now}}`/`{{clinic.date}}`/`{{clinic.time}}` as Liquid `date` filters in `timeZone`. */
export function withClinicClock(text: string, timeZone: string): string {
  return text.replace(/\{\{\s*(clinic\.(?:now|date|time))\s*\}\}/g, (_m, name: string) => {
    return `{{"now" | date: "${CLINIC_CLOCK[name]}", "${timeZone}"}}`;
  });
}

/** The UTC clock variables a text uses (`{{date}}`, `{{ time }}`, `{{now | date: …}}`), each once. */
export function utcClockVariablesIn(text: string | undefined): string[] {
  const found = new Set<string>();
  for (const m of (text ?? '').matchAll(/\{\{\s*([a-z]+)\s*(?:\|[^}]*)?\}\}/g))
    if ((UTC_CLOCK_VARIABLES as readonly string[]).includes(m[1]!)) found.add(m[1]!);
  return [...found];
}

/**
 * The texts of an assistant that Vapi fills with variables (first message, prompt messages, end-call
 * message): where each is, and how to put a rewritten one back (into `assistant` itself).
 */
function assistantTexts(assistant: Json): Array<{ where: string; text: string; set: (text: string) => void }> {
  const out: Array<{ where: string; text: string; set: (text: string) => void }> = [];
  const { firstMessage, endCallMessage } = assistant;
  if (typeof firstMessage === 'string')
    out.push({ where: 'firstMessage', text: firstMessage, set: (t) => (assistant.firstMessage = t) });
  const model = (assistant.model ?? {}) as Json;
  for (const [i, m] of ((model.messages as Array<{ role?: string; content?: unknown }> | undefined) ?? []).entries())
    if (typeof m.content === 'string')
      out.push({
        where: m.role === 'system' ? 'systemPrompt' : `model.messages[${i}]`,
        text: m.content,
        set: (t) => (m.content = t),
      });
  if (typeof endCallMessage === 'string')
    out.push({ where: 'endCallMessage', text: endCallMessage, set: (t) => (assistant.endCallMessage = t) });
  return out;
}

/**
 * Where a config reads Vapi's UTC clock: `["systemPrompt uses {{date}}, {{time}}"]`, empty when it does
 * not. `config set`/`import` warn with it; `preflight` fails on it.
 */
export function utcClockUses(config: Pick<BotConfig, 'assistant' | 'clinic'>): string[] {
  const texts = [
    ...assistantTexts(config.assistant),
    ...(config.clinic.reminderFirstMessage
      ? [{ where: 'clinic.reminderFirstMessage', text: config.clinic.reminderFirstMessage }]
      : []),
  ];
  return texts.flatMap(({ where, text }) => {
    const vars = utcClockVariablesIn(text);
    return vars.length ? [`${where} uses ${vars.map((v) => `{{${v}}}`).join(', ')}`] : [];
  });
}

/**
 * The `transferCall` tool's destinations (spec `TransferCallTool.destinations`,
 * `TransferDestinationNumber`): the clinic's front desk, keeping the stored destination's `message` and
 * `description`. Without a front-desk number the tool has none, so Vapi asks `serve` with
 * `transfer-destination-request` (docs `fern/calls/call-dynamic-transfers.mdx`: a transfer tool with
 * an empty `destinations` is dynamic; with a destination, Vapi never asks).
 */
function frontDeskTransfer(tool: Json, frontDesk: string | undefined): Json {
  const stored = Array.isArray(tool.destinations) ? (tool.destinations as Json[]) : [];
  const template = stored.find((d) => d?.type === 'number') ?? {};
  const { number: _old, ...rest } = template;
  const others = stored.filter((d) => d?.type !== 'number');
  return {
    ...tool,
    destinations: frontDesk ? [{ ...rest, type: 'number', number: frontDesk }, ...others] : others,
  };
}

/** The stored assistant with the clinic's clock and front desk applied (see the module's comment). */
export function assistantForVapi(config: Pick<BotConfig, 'assistant' | 'clinic'>): Json {
  const a = structuredClone(config.assistant) as Json;
  for (const { text, set } of assistantTexts(a)) set(withClinicClock(text, config.clinic.timeZone));
  const model = (a.model ?? undefined) as Json | undefined;
  if (model && Array.isArray(model.tools))
    model.tools = (model.tools as Json[]).map((t) =>
      t?.type === 'transferCall' ? frontDeskTransfer(t, config.clinic.frontDeskNumber) : t,
    );
  return a;
}
