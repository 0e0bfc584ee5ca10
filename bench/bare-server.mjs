// The PERF-2 baseline: a bare Fastify route, same framework, no auth, no store: each request's
// body is appended to a file and fdatasync'd before the reply, as a durable write at its simplest.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';

const dir = fs.mkdtempSync(path.join(process.env.BENCH_BARE_DIR ?? os.tmpdir(), 'bare-'));
const fh = await fs.promises.open(path.join(dir, 'log.jsonl'), 'a');
const app = Fastify({ logger: false, bodyLimit: 1 << 20 });
app.post('/webhook', async (req) => {
  await fh.write(`${JSON.stringify(req.body)}\n`);
  await fh.datasync();
  return { results: [{ toolCallId: req.body?.message?.toolCallList?.[0]?.id ?? '', name: 'x', result: 'ok' }] };
});
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(
  `${JSON.stringify({ kind: 'ready', webhookUrl: `http://127.0.0.1:${app.server.address().port}/webhook` })}\n`,
);
process.on('SIGTERM', () =>
  app.close().then(async () => {
    await fh.close();
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }),
);
