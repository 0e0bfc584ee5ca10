import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { IANAZone } from 'luxon';
import { isSupportedCountry } from 'libphonenumber-js';
import { REMINDER_CHANNELS, REMINDER_VARIABLES, type BotConfig } from '../domain/clinic.js';
import { CONFIG_KEYS } from '../domain/config-keys.js';
import { placeholdersIn } from './variables.js';
import { specProblem } from './spec-validate.js';
import { assistantForVapi, CLINIC_CLOCK } from './assistant-body.js';

export { CONFIG_KEYS };
import { accepts, optionsCatalog, type Choices, type ProviderOptions } from './options.js';
import { ConfigValueError } from './config-value-error.js';

export { ConfigValueError };

type Json = Record<string, unknown>;

export interface ConfigChange {
  key: string;
  from: unknown;
  to: unknown;
}

/** The current value of a key. */
export function getConfigValue(config: BotConfig, key: string): unknown {
  const a = config.assistant as Json;
  if (key === 'name' || key === 'firstMessage' || key === 'serverMessages') return a[key];
  if (key === 'systemPrompt') return systemMessage(config)?.content;
  const [group, field] = key.split('.') as [string, string];
  if (group === 'clinic') return (config.clinic as unknown as Json)[field];
  return ((a[group] ?? {}) as Json)[field];
}

function systemMessage(config: BotConfig): { role: string; content: string } | undefined {
  const messages = ((config.assistant as Json).model as Json | undefined)?.messages as
    Array<{ role: string; content: string }> | undefined;
  return messages?.find((m) => m.role === 'system');
}

/**
 * Applies `key value` pairs together (so a provider and its voice id can change at once) and
 * validates the result against the options Vapi accepts. Returns the new config and the changes.
 * @throws ConfigValueError naming the key, with the accepted values
 */
export function applyConfigChanges(
  config: BotConfig,
  pairs: Array<[string, string]>,
): { config: BotConfig; changes: ConfigChange[] } {
  const next = structuredClone(config);
  const a = next.assistant as Json;
  const before = (key: string) => getConfigValue(config, key);
  const changes: ConfigChange[] = [];
  const given = new Map(pairs);
  for (const [key] of pairs)
    if (!(key in CONFIG_KEYS)) throw new ConfigValueError(`Unknown key "${key}".`, Object.keys(CONFIG_KEYS));

  for (const [key, value] of pairs) {
    const [group, field] = key.split('.') as [string, string | undefined];
    if (key === 'name') {
      if (!value.trim() || value.length > 40)
        throw new ConfigValueError('name must be 1 to 40 characters (a Vapi limit).');
      a.name = value;
    } else if (key === 'firstMessage') {
      a.firstMessage = value;
    } else if (key === 'systemPrompt') {
      const model = (a.model ?? {}) as Json;
      const messages = ((model.messages as Array<{ role: string; content: string }>) ?? []).filter(
        (m) => m.role !== 'system',
      );
      a.model = { ...model, messages: [{ role: 'system', content: value }, ...messages] };
    } else if (key === 'serverMessages') {
      const list = value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      const allowed = optionsCatalog().serverMessages;
      const bad = list.filter((m) => !allowed.includes(m));
      if (bad.length) throw new ConfigValueError(`serverMessages: Vapi does not send ${bad.join(', ')}.`, allowed);
      a.serverMessages = list;
    } else if (group === 'clinic') {
      next.clinic = { ...next.clinic, [field!]: clinicValue(field!, value) };
    } else if (group === 'voice' || group === 'transcriber' || group === 'model') {
      const current = { ...((a[group] ?? {}) as Json) };
      if (field === 'provider' && value !== current.provider) {
        // A new provider keeps only what it accepts of the old settings.
        const p = providerOptions(group, value);
        for (const [k, choices] of [
          ['voiceId', p.voiceIds],
          ['model', p.models],
          ['language', p.languages],
        ] as const) {
          if (typeof current[k] === 'string' && !given.has(`${group}.${k}`) && !accepts(choices, current[k] as string))
            delete current[k];
        }
        if (group !== 'model')
          for (const k of Object.keys(current))
            if (!['provider', 'voiceId', 'model', 'language'].includes(k)) delete current[k];
      }
      current[field!] = field === 'temperature' ? temperature(value) : value;
      a[group] = current;
    }
  }
  validateBotConfig(next);
  for (const [key] of pairs) {
    const to = getConfigValue(next, key);
    if (JSON.stringify(to) !== JSON.stringify(before(key))) changes.push({ key, from: before(key), to });
  }
  return { config: next, changes };
}

const CATALOG_KIND = { voice: 'voices', transcriber: 'transcribers', model: 'models' } as const;

function providerOptions(group: 'voice' | 'transcriber' | 'model', provider: string): ProviderOptions {
  const all = optionsCatalog()[CATALOG_KIND[group]];
  const p = all.find((x) => x.provider === provider);
  if (!p)
    throw new ConfigValueError(
      `${group}.provider "${provider}" is not one Vapi accepts.`,
      all.map((x) => x.provider),
    );
  return p;
}

function validateProviderObject(group: 'voice' | 'transcriber' | 'model', obj: Json | undefined): void {
  if (!obj) return;
  const p = providerOptions(group, String(obj.provider));
  const check = (field: string, choices: Choices | undefined) => {
    const v = obj[field];
    if (typeof v === 'string' && !accepts(choices, v)) {
      throw new ConfigValueError(`${group}.${field} "${v}" is not accepted by ${p.provider}.`, choices!.values);
    }
  };
  check('voiceId', p.voiceIds);
  check('model', p.models);
  check('language', p.languages);
  for (const r of p.required) {
    if (obj[r] === undefined && ['voiceId', 'model', 'language'].includes(r)) {
      const choices = r === 'voiceId' ? p.voiceIds : r === 'model' ? p.models : p.languages;
      throw new ConfigValueError(
        `${p.provider} needs ${group}.${r} too: set both in one command, e.g. \`receptionist config set ${group}.provider ${p.provider} ${group}.${r} ${choices?.values[0] ?? '<value>'}\`.`,
        choices?.values,
      );
    }
  }
}

function temperature(v: string): number {
  const n = v.trim() === '' ? Number.NaN : Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 2)
    throw new ConfigValueError('model.temperature must be a number from 0 to 2.');
  return n;
}

function clinicValue(field: string, v: string): unknown {
  if (field === 'timeZone') {
    if (!IANAZone.isValidZone(v))
      throw new ConfigValueError(`clinic.timeZone "${v}" is not an IANA time zone (e.g. Asia/Kolkata, Europe/London).`);
    return v;
  }
  if (field === 'defaultRegion') {
    if (!isSupportedCountry(v.toUpperCase()))
      throw new ConfigValueError(`clinic.defaultRegion "${v}" is not an ISO 3166 region code (e.g. IN, US, GB).`);
    return v.toUpperCase();
  }
  if (['slotMinutes', 'holdMinutes', 'bookingHorizonDays'].includes(field)) {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 1440)
      throw new ConfigValueError(`clinic.${field} must be a whole number from 1 to 1440.`);
    return n;
  }
  if (field === 'frontDeskNumber') {
    const parsed = parsePhoneNumberFromString(v);
    if (!parsed?.isValid())
      throw new ConfigValueError(
        `clinic.frontDeskNumber "${v}" is not a phone number in E.164 form (e.g. +918041234567).`,
      );
    return parsed.number;
  }
  if (field === 'reminderHours') {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 168)
      throw new ConfigValueError('clinic.reminderHours must be a whole number of hours from 0 (no reminders) to 168.');
    return n;
  }
  if (field === 'reminderChannels') {
    const list = [
      ...new Set(
        v
          .split(',')
          .map((x) => x.trim().toLowerCase())
          .filter(Boolean),
      ),
    ];
    const bad = list.filter((x) => !(REMINDER_CHANNELS as readonly string[]).includes(x));
    if (bad.length || !list.length)
      throw new ConfigValueError(
        bad.length
          ? `clinic.reminderChannels: ${bad.join(', ')} is not a reminder channel.`
          : 'clinic.reminderChannels needs at least one channel (set clinic.reminderHours 0 for no reminders).',
        [...REMINDER_CHANNELS],
      );
    return list;
  }
  if (field === 'reminderFirstMessage') {
    if (!v.trim()) throw new ConfigValueError('clinic.reminderFirstMessage cannot be empty.');
    // Vapi leaves a placeholder no variable fills empty: the patient would hear a gap.
    const { required, optional } = placeholdersIn(v);
    const unknown = [...required, ...optional].filter((n) => !(REMINDER_VARIABLES as readonly string[]).includes(n));
    if (unknown.length)
      throw new ConfigValueError(
        `clinic.reminderFirstMessage uses ${unknown.map((n) => `{{${n}}}`).join(', ')}, which no reminder call fills.`,
        [...REMINDER_VARIABLES, ...Object.keys(CLINIC_CLOCK)].map((n) => `{{${n}}}`),
      );
    return v;
  }
  if (field === 'hipaaEnabled' || field === 'testBeforeSync') {
    if (v !== 'true' && v !== 'false') throw new ConfigValueError(`clinic.${field} must be true or false.`);
    return v === 'true';
  }
  return v;
}

/**
 * Checks an imported config (`config import`): the shape the store holds, valid providers and
 * values, function tools with Vapi-valid names. @throws ConfigValueError
 */
export function validateImportedConfig(input: unknown): Pick<BotConfig, 'clinic' | 'assistant' | 'tools'> {
  const o = input as Partial<BotConfig> | null;
  if (!o || typeof o !== 'object')
    throw new ConfigValueError('The file must hold a JSON object {clinic, assistant, tools}.');
  if (!o.assistant || typeof o.assistant !== 'object')
    throw new ConfigValueError('"assistant" must be an object (a Vapi CreateAssistantDTO).');
  if (!Array.isArray(o.tools)) throw new ConfigValueError('"tools" must be an array of Vapi function tools.');
  for (const [i, t] of o.tools.entries()) {
    if (t?.type !== 'function' || !/^[a-zA-Z0-9_-]{1,64}$/.test(t?.function?.name ?? ''))
      throw new ConfigValueError(
        `tools[${i}] must be {"type":"function","function":{"name": …}} with a name of 1–64 letters, digits, _ or -.`,
      );
  }
  if (!o.clinic || typeof o.clinic !== 'object') throw new ConfigValueError('"clinic" must be an object.');
  for (const f of ['timeZone', 'defaultRegion', 'slotMinutes', 'holdMinutes', 'bookingHorizonDays'] as const)
    if ((o.clinic as unknown as Json)[f] === undefined) throw new ConfigValueError(`clinic.${f} is missing.`);
  validateBotConfig(o as Pick<BotConfig, 'clinic' | 'assistant'>);
  validateTools(o.tools);
  return { clinic: o.clinic, assistant: o.assistant, tools: o.tools };
}

/** A stored value as `config set` would be given it: `a,b` for a list, `true`/`false`, digits. */
function asWord(v: unknown): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

/**
 * The one check of a bot config, whichever way it comes in (`config set`, `config edit` and
 * `--editor`, `config import`, `sync --config`, the studio), so the same mistake gets the same
 * message: every key `config set` knows, with its rules (the voice, transcriber and model against
 * the option lists generated from Vapi's spec, `templates/options.json`; `model.temperature` 0–2 as
 * the spec's model schemas allow; the assistant's name at most 40 characters; `serverMessages` from
 * the spec's enum), and every clinic setting. @throws ConfigValueError naming the key
 */
export function validateBotConfig(config: Pick<BotConfig, 'clinic' | 'assistant'>): void {
  const a = config.assistant as Json;
  if (a.name !== undefined && (typeof a.name !== 'string' || !a.name.trim() || a.name.length > 40))
    throw new ConfigValueError('name must be 1 to 40 characters (a Vapi limit).');
  if (a.firstMessage !== undefined && typeof a.firstMessage !== 'string')
    throw new ConfigValueError('firstMessage must be text.');
  if (a.serverMessages !== undefined) {
    const allowed = optionsCatalog().serverMessages;
    const list = Array.isArray(a.serverMessages) ? (a.serverMessages as unknown[]) : [a.serverMessages];
    const bad = list.filter((m) => typeof m !== 'string' || !allowed.includes(m));
    if (bad.length) throw new ConfigValueError(`serverMessages: Vapi does not send ${bad.join(', ')}.`, allowed);
  }
  const model = a.model as Json | undefined;
  if (model?.temperature !== undefined) temperature(String(model.temperature));
  for (const group of ['voice', 'transcriber', 'model'] as const)
    validateProviderObject(group, a[group] as Json | undefined);
  for (const [field, value] of Object.entries(config.clinic as unknown as Json))
    if (value !== undefined && value !== null) clinicValue(field, asWord(value));
  // Then Vapi's own schema, on the assistant as sync will send it.
  const problem = specProblem('assistant', assistantForVapi(config));
  if (problem) throw new ConfigValueError(`assistant.${problem} (Vapi's CreateAssistantDTO).`);
}

/** Each function tool against Vapi's `POST /tool` schema (`CreateFunctionToolDTO`). @throws ConfigValueError */
function validateTools(tools: BotConfig['tools']): void {
  for (const t of tools) {
    const problem = specProblem('tool', t);
    if (problem) throw new ConfigValueError(`tools.${t.function.name}.${problem} (Vapi's CreateFunctionToolDTO).`);
  }
}
