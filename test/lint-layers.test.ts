import path from 'node:path';
import { ESLint } from 'eslint';
import { expect, test } from 'vitest';
import { packageRoot } from '../src/paths.js';

// Issue 26 step 1: an import that runs back up the layers fails `npm run lint`, also as an inline
// `import('…')` type; the same import downward passes.
const lint = async (file: string, text: string) => {
  const eslint = new ESLint({ cwd: packageRoot() });
  const [result] = await eslint.lintText(text, { filePath: path.join(packageRoot(), file) });
  return result!.messages.filter((m) => m.severity === 2).map((m) => m.message);
};

test.each([
  ['src/domain/probe.ts', "import { vapiRequest } from '../vapi/client.js';\nexport const x = vapiRequest;\n"],
  ['src/domain/probe.ts', "export type T = import('../vapi/sync-plan.js').PlannedResource;\n"],
  ['src/domain/probe.ts', "import type { Channel } from '../notify/channel.js';\nexport type C = Channel;\n"],
  [
    'src/notify/probe.ts',
    "import type { OutboxEvent } from '../server/outbox-worker.js';\nexport type E = OutboxEvent;\n",
  ],
  ['src/vapi/probe.ts', "export type A = import('../server/auth.js').AuthConfig;\n"],
  [
    'src/store/probe.ts',
    "import type { Appointment } from '../domain/appointments.js';\nexport type A = Appointment;\n",
  ],
  ['src/studio/probe.ts', "export type C = import('../commands/shared/context.js').Context;\n"],
  [
    'src/studio/probe.ts',
    "import { toUserError } from '../commands/shared/user-errors.js';\nexport const t = toUserError;\n",
  ],
  [
    'src/server/probe.ts',
    "import { EXIT } from '../errors.js';\nimport { x } from '../commands/shared/flags.js';\nexport const y = [EXIT, x];\n",
  ],
])('%s importing upward fails lint', async (file, text) => {
  const errors = await lint(file, text);
  expect(
    errors.some((m) => /an import may not run back up the layers/.test(m)),
    errors.join('\n'),
  ).toBe(true);
});

test('importing downward passes', async () => {
  expect(
    await lint(
      'src/vapi/probe.ts',
      "import type { BotConfig } from '../domain/clinic.js';\nimport type { Store } from '../store/types.js';\nexport type X = [BotConfig, Store];\n",
    ),
  ).toEqual([]);
});
