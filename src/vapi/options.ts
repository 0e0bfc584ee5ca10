import fs from 'node:fs';
import path from 'node:path';
import { templatesDir } from '../paths.js';

/** Accepted values of one field: listed ones, and whether any other string is accepted too. */
export interface Choices {
  values: string[];
  isFreeForm: boolean;
}

export interface ProviderOptions {
  provider: string;
  /** The spec schema, e.g. `ElevenLabsVoice`. */
  schema: string;
  /** Fields besides `provider` that Vapi requires. */
  required: string[];
  voiceIds?: Choices;
  models?: Choices;
  languages?: Choices;
}

/**
 * The options Vapi accepts for `voice`, `transcriber` and `model` (spec `CreateAssistantDTO`),
 * shipped as templates/options.json and regenerated from the spec by scripts/build-options.mjs.
 */
export interface OptionsCatalog {
  source: { file: string; sha256: string };
  voices: ProviderOptions[];
  transcribers: ProviderOptions[];
  models: ProviderOptions[];
  serverMessages: string[];
}

let cached: OptionsCatalog | undefined;

export function optionsCatalog(): OptionsCatalog {
  cached ??= JSON.parse(fs.readFileSync(path.join(templatesDir(), 'options.json'), 'utf8')) as OptionsCatalog;
  return cached;
}

export type OptionKind = 'voices' | 'transcribers' | 'models';

/** True when `value` is accepted: listed, or any string where the field is free-form. */
export function accepts(choices: Choices | undefined, value: string): boolean {
  return !choices || choices.isFreeForm || choices.values.includes(value);
}
