import type { Deps } from '../../deps.js';
import type { IO } from '../../io.js';
import { addUser, changePassword, hasKeyring, listUsers, removeUser } from '../../domain/keyring.js';
import { appendAudit } from '../../domain/audit.js';
import { renderTable } from '../shared/table.js';
import type { GlobalOptions } from '../shared/globals.js';
import { openStore } from '../shared/store.js';
import { Credentials } from '../shared/credentials.js';
import { createFirstAdmin, unlockActing, withKeyring, type UsersResult } from '../shared/admin.js';

export type { UsersResult };
import type { UsersFlags } from './index.js';

export async function runUsersAdd(
  username: string,
  flags: UsersFlags,
  g: GlobalOptions,
  deps: Deps,
): Promise<UsersResult> {
  const creds = new Credentials(deps, Boolean(flags.passwordStdin));
  return withKeyring(g, deps, 'receptionist users add', async (store) => {
    if (!(await hasKeyring(store))) return createFirstAdmin(store, username, creds, deps);
    const me = await unlockActing(store, creds, flags.username);
    await addUser(store, me, username, await creds.newPassword(`Password for ${username}`), deps.now());
    await appendAudit(store, {
      at: deps.now().toISOString(),
      user: me.username,
      action: 'users.add',
      details: { username },
    });
    return { action: 'users.add', username, by: me.username };
  });
}

export async function runUsersPasswd(
  username: string | undefined,
  flags: UsersFlags,
  g: GlobalOptions,
  deps: Deps,
): Promise<UsersResult> {
  const creds = new Credentials(deps, Boolean(flags.passwordStdin));
  return withKeyring(g, deps, 'receptionist users passwd', async (store) => {
    const me = await unlockActing(store, creds, username ?? flags.username);
    await changePassword(store, me, await creds.newPassword(`New password for ${me.username}`), deps.now());
    await appendAudit(store, { at: deps.now().toISOString(), user: me.username, action: 'users.passwd', details: {} });
    return { action: 'users.passwd', username: me.username };
  });
}

export async function runUsersRemove(
  username: string,
  flags: UsersFlags,
  g: GlobalOptions,
  deps: Deps,
): Promise<UsersResult> {
  const creds = new Credentials(deps, Boolean(flags.passwordStdin));
  return withKeyring(g, deps, 'receptionist users remove', async (store) => {
    const me = await unlockActing(store, creds, flags.username);
    await removeUser(store, username);
    await appendAudit(store, {
      at: deps.now().toISOString(),
      user: me.username,
      action: 'users.remove',
      details: { username },
    });
    return { action: 'users.remove', username, by: me.username };
  });
}

export async function runUsersList(g: GlobalOptions, deps: Deps) {
  const store = await openStore(g, deps, { readOnly: true, purpose: 'receptionist users list' });
  try {
    return await listUsers(store);
  } finally {
    await store.close();
  }
}

export { renderUsersResult as render } from '../shared/admin.js';

export function renderList(rows: Awaited<ReturnType<typeof runUsersList>>, g: GlobalOptions, io: IO): void {
  if (g.json)
    return io.line(
      JSON.stringify(
        rows.map((r) => ({
          username: r._id,
          role: r.role,
          createdAt: r.createdAt,
          passwordChangedAt: r.passwordChangedAt,
        })),
      ),
    );
  if (!rows.length) return io.info('No admins yet. Create one with `receptionist users add <username> --role admin`.');
  if (io.isOutTTY) {
    const cells = rows.map((r) => [r._id, r.role, r.createdAt.slice(0, 10), r.passwordChangedAt.slice(0, 10)]);
    return io.line(renderTable(['Username', 'Role', 'Created', 'Password changed'], cells, io, g.color));
  }
  for (const r of rows)
    io.line(
      `${r._id}\t${r.role}\tcreated ${r.createdAt.slice(0, 10)}\tpassword changed ${r.passwordChangedAt.slice(0, 10)}`,
    );
}
