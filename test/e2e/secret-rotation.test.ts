import { afterEach, beforeEach, expect, test } from 'vitest';
import { cli, postSigned, setup, startServe, type RunningServe } from '../support/cli.js';
import { tempDir } from '../support/store.js';
import { freePort } from '../support/net.js';
import { startFakeVapi, type FakeVapi } from '../support/fake-vapi.js';

// Issue 24 item 3 on the built binary: a webhook secret is rotated while Vapi keeps sending. serve
// runs with the new secret and the previous one; `sync --rotate-secret` switches the credential
// while messages signed by Vapi (with whatever the credential holds at that instant) and messages
// signed with each secret explicitly keep arriving: none is rejected. Finished, the old one is refused.
const OLD = 'old-rotation-secret-0123456789abcdef';
const NEW = 'new-rotation-secret-fedcba9876543210';
let tmp: ReturnType<typeof tempDir>;
let fake: FakeVapi;
let serve: RunningServe | undefined;
beforeEach(async () => {
  tmp = tempDir('receptionist-e2e-rotation-');
  fake = await startFakeVapi();
});
afterEach(async () => {
  await serve?.stop();
  serve = undefined;
  await fake.close();
  tmp.cleanup();
});

const statusUpdate = (i: number) => {
  const at = new Date().toISOString();
  return {
    type: 'status-update',
    status: 'in-progress',
    timestamp: Date.now(),
    call: {
      id: `call_rot_${i}`,
      orgId: 'org_fake',
      createdAt: at,
      updatedAt: at,
      type: 'inboundPhoneCall',
      status: 'ringing',
    },
  };
};

/** A status-update signed with `secret` by the credential's HMAC plan; its HTTP status. */
const signedWith = async (url: string, secret: string, i: number) =>
  (await postSigned(url, statusUpdate(i), { secret })).status;

test('rotation while Vapi sends: messages signed with the old and the new secret during the switch, 0 rejected; afterwards the old one is refused', async () => {
  const vapi = { VAPI_API_KEY: fake.token, VAPI_BASE_URL: fake.url };
  await setup(tmp.dir, { ...vapi, VAPI_SERVER_SECRET: OLD });
  const port = await freePort();
  const webhook = `http://127.0.0.1:${port}/webhook`;
  const synced = await cli(['sync', '--server-url', webhook], {
    cwd: tmp.dir,
    env: { ...vapi, VAPI_SERVER_SECRET: OLD },
  });
  expect(synced.exitCode, synced.stderr).toBe(0);
  const credentialId = [...fake.credentials.keys()][0]!;
  const server = [...fake.assistants.values()][0]!.server;

  // Step 2: serve restarted with both secrets.
  serve = await startServe(tmp.dir, ['--port', String(port)], {
    VAPI_SERVER_SECRET: NEW,
    VAPI_SERVER_SECRET_PREVIOUS: OLD,
  });
  // Step 3 while messages keep coming: Vapi's own (signed with what the credential holds as it sends) and explicit ones.
  const rotate = cli(['sync', '--rotate-secret'], {
    cwd: tmp.dir,
    env: { ...vapi, VAPI_SERVER_SECRET: NEW, VAPI_SERVER_SECRET_PREVIOUS: OLD },
  });
  let done = false;
  void rotate.then(() => (done = true));
  const statuses: number[] = [];
  let i = 0;
  // Until the rotation has finished, and 20 more rounds after it; bounded by count.
  for (let after = 0; after < 20 && i < 2000; i++) {
    if (done) after++;
    const [byVapi, byOld, byNew] = await Promise.all([
      fake.deliver(server, statusUpdate(i)).then((r) => r.status),
      signedWith(webhook, OLD, i),
      signedWith(webhook, NEW, i),
    ]);
    statuses.push(byVapi, byOld, byNew);
  }
  const rotated = await rotate;
  expect(rotated.exitCode, rotated.stderr).toBe(0);
  expect(fake.credentials.get(credentialId)!.authenticationPlan.secretKey).toBe(NEW);
  expect(statuses.length).toBeGreaterThanOrEqual(60);
  expect(statuses.filter((s) => s < 200 || s >= 300)).toEqual([]);
  // Vapi signed with the old secret before the switch and with the new one after it.
  expect(new Set(fake.deliveries.map((d) => d.status))).toEqual(new Set([200]));

  // Step 4: previous secret dropped, serve restarted, sync records the rotation finished.
  await serve.stop();
  serve = await startServe(tmp.dir, ['--port', String(port)], { VAPI_SERVER_SECRET: NEW });
  const finished = await cli(['sync'], { cwd: tmp.dir, env: { ...vapi, VAPI_SERVER_SECRET: NEW } });
  expect(finished.exitCode, finished.stderr).toBe(0);
  expect(finished.stderr).toContain('Rotation finished');
  expect(await signedWith(webhook, OLD, i + 1)).toBe(401);
  expect(await signedWith(webhook, NEW, i + 2)).toBe(200);
  expect((await fake.deliver(server, statusUpdate(i + 3))).status).toBe(200);
});
