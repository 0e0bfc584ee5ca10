// Compiles the request bodies a bot config becomes on Vapi (spec CreateAssistantDTO, CreateFunctionToolDTO)
// into one standalone ajv module, dist/vapi/spec-validators.cjs, from spec/vapi-openapi.json, so
// `config` and `sync` check a config against Vapi's own schema without shipping or parsing the 3.2 MB
// spec. Runs after tsc (it uses dist/vapi/spec-schema.js).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { ajvCompatible, requestBodySchema } from '../dist/vapi/spec-schema.js';

const standaloneCode = standaloneModule.default ?? standaloneModule;
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const spec = JSON.parse(fs.readFileSync(path.join(root, 'spec', 'vapi-openapi.json'), 'utf8'));
const ajv = new Ajv({
  strict: false,
  validateSchema: false,
  validateFormats: false,
  allErrors: false,
  code: { source: true },
});
ajv.addSchema({ $id: 'vapi', components: ajvCompatible(spec.components) });
const bodies = { assistant: ['post', '/assistant'], tool: ['post', '/tool'] };
for (const [id, [method, p]] of Object.entries(bodies)) ajv.addSchema(requestBodySchema(spec, method, p), id);
const out = path.join(root, 'dist', 'vapi', 'spec-validators.cjs');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, standaloneCode(ajv, { assistant: 'assistant', tool: 'tool' }));
