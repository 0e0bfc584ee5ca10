// The PERF-2 baseline: a bare Fastify JSON route, same framework, no auth, no store.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/webhook', async (req) => ({
  results: [{ toolCallId: req.body?.message?.toolCallList?.[0]?.id ?? '', name: 'x', result: 'ok' }],
}));
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(
  `${JSON.stringify({ kind: 'ready', webhookUrl: `http://127.0.0.1:${app.server.address().port}/webhook` })}\n`,
);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
