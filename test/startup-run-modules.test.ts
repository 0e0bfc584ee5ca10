import { expect, test, vi } from 'vitest';

// A command's run module loads what its own work needs, and the kernel's error table (loaded by
// commands whose parse translates a domain error) loads nothing heavy: these modules throw when
// imported on that path. (The front desk's date reading, chrono, once came in through the error
// table and made `doctors list` start in 0.5 s instead of 0.2 s.)
const { loaded } = vi.hoisted(() => ({
  loaded: (name: string) => () => {
    throw new Error(`${name} was imported`);
  },
}));
vi.mock('chrono-node', loaded('chrono-node'));
vi.mock('chrono-node/en', loaded('chrono-node/en'));
vi.mock('fastify', loaded('fastify'));
vi.mock('@vapi-ai/server-sdk', loaded('@vapi-ai/server-sdk'));
vi.mock('mongodb', loaded('mongodb'));
vi.mock('zod', loaded('zod'));
vi.mock('yaml', loaded('yaml'));

test.each([
  ['the kernel’s error table', () => import('../src/commands/shared/user-errors.js')],
  ['the desk’s audit and doctor lookup', () => import('../src/commands/shared/front-desk.js')],
  ['doctors', () => import('../src/commands/doctors/doctors.js')],
  ['doctors leave', () => import('../src/commands/doctors/leave.js')],
  ['doctors holidays', () => import('../src/commands/doctors/holidays.js')],
  ['outbox', () => import('../src/commands/outbox/outbox.js')],
  ['users', () => import('../src/commands/users/users.js')],
])('%s loads no heavy module it does not use', async (_what, load) => {
  await expect(load()).resolves.toBeDefined();
});
