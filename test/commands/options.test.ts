import { describe, expect, test } from 'vitest';
import { execa } from 'execa';
import { main } from '../../src/cli.js';
import { testDeps } from '../support/deps.js';
import { BIN } from '../support/cli.js';

async function run(argv: string[]) {
  const d = testDeps();
  const code = await main(argv, d);
  return { code, out: d.io.stdout(), err: d.io.stderr() };
}

describe('receptionist options', () => {
  test('lists every voice provider Vapi accepts, with presets and whether any id is accepted', async () => {
    const r = await run(['options', 'voices', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as Array<{ provider: string; voiceIds: { values: string[]; isFreeForm: boolean } }>;
    expect(rows.map((p) => p.provider)).toEqual(
      expect.arrayContaining(['11labs', 'vapi', 'openai', 'deepgram', 'cartesia', 'playht']),
    );
    expect(rows.find((p) => p.provider === '11labs')!.voiceIds).toEqual({
      values: expect.arrayContaining(['burt', 'sarah']),
      isFreeForm: true,
    });
    // Deepgram's Aura voices are an enum only.
    expect(rows.find((p) => p.provider === 'deepgram')!.voiceIds.isFreeForm).toBe(false);
  });

  test('--provider shows every value; transcribers list models and languages', async () => {
    const r = await run(['options', 'transcribers', '--provider', 'deepgram']);
    expect(r.out.split('\n')[0]).toBe('Provider\tModels\tLanguages\tAlso required');
    expect(r.out).toMatch(/^deepgram\tnova-3, .*nova-2-phonecall.*; any string\t.*\ben-US\b/m);
  });

  test('an unknown provider exits 2 listing the accepted ones; an unknown kind too', async () => {
    const r = await run(['options', 'models', '--provider', 'nope']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^Error: Unknown model provider "nope"\.\n  Vapi accepts: anthropic, anthropic-bedrock, .*openai/,
    );
    expect((await run(['options', 'colours'])).code).toBe(2);
  });

  test('a closed stdout (| head) ends the output quietly with exit 0', async () => {
    const r = await execa('bash', ['-c', `node ${BIN} options models | head -1`], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('Provider\tModels\tAlso required');
    expect(r.stderr).toBe('');
  });
});
