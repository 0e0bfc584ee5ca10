#!/usr/bin/env node
// Regenerates templates/options.json (the voice, transcriber and model options behind
// `receptionist options` and `config set`) from Vapi's published OpenAPI spec:
//   node scripts/build-options.mjs [spec/vapi-openapi.json]  (source and date: spec/README.md)
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';

const specPath =
  process.argv[2] ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'spec', 'vapi-openapi.json');
const raw = fs.readFileSync(specPath);
const spec = JSON.parse(raw);
const S = spec.components.schemas;
const refName = (r) => r.$ref.split('/').pop();

/** `{enum}` or `{oneOf: [{enum}, {type: string}]}` → { values, isFreeForm } */
function choices(prop) {
  if (!prop) return { values: [], isFreeForm: false };
  const branches = prop.oneOf ?? prop.anyOf ?? [prop];
  const values = [...new Set(branches.flatMap((b) => b.enum ?? []))];
  const isFreeForm =
    branches.some((b) => b.type === 'string' && !b.enum) ||
    (!prop.enum && !prop.oneOf && !prop.anyOf && prop.type === 'string');
  return { values, isFreeForm };
}

function providers(kind) {
  return S.CreateAssistantDTO.properties[kind].oneOf
    .map((ref) => {
      const schema = S[refName(ref)];
      const p = schema.properties;
      const provider = p.provider.enum[0];
      const entry = {
        provider,
        schema: refName(ref),
        required: (schema.required ?? []).filter((r) => r !== 'provider'),
      };
      if (kind === 'voice') Object.assign(entry, { voiceIds: choices(p.voiceId), models: choices(p.model) });
      if (kind === 'transcriber')
        Object.assign(entry, { models: choices(p.model ?? p.speechModel), languages: choices(p.language) });
      if (kind === 'model') Object.assign(entry, { models: choices(p.model) });
      return entry;
    })
    .sort((a, b) => a.provider.localeCompare(b.provider));
}

const out = {
  source: { file: 'vapi-openapi.json', sha256: createHash('sha256').update(raw).digest('hex') },
  voices: providers('voice'),
  transcribers: providers('transcriber'),
  models: providers('model'),
  serverMessages: [...new Set(S.CreateAssistantDTO.properties.serverMessages.items.enum)],
};
const dest = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'templates', 'options.json');
fs.writeFileSync(dest, `${JSON.stringify(out, null, 2)}\n`);
console.log(
  `wrote ${dest}: ${out.voices.length} voice, ${out.transcribers.length} transcriber, ${out.models.length} model providers`,
);
