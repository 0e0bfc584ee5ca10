import { DateTime } from 'luxon';
import {
  addUser,
  changePassword,
  hasKeyring,
  listUsers,
  removeUser,
  resetPassword,
  usernameProblem,
  type Role,
} from '../../domain/keyring.js';
import { pinActiveKeys } from '../shared/credentials.js';
import { UsageError } from '../../errors.js';
import type { Env } from '../../env.js';
import { appendAudit } from '../../domain/audit.js';
import { renderTable } from '../shared/table.js';
import { implement, noFlags, type RenderContext } from '../shared/command.js';
import type { AddFlags, PasswdFlags, RemoveFlags } from './index.js';
import type { Context } from '../shared/context.js';
import { readWithClinicZone, type ZonedRows } from '../shared/store.js';
import { createFirstAdmin, renderUsersResult, type UsersResult } from '../shared/admin.js';

export type { UsersResult };

/**
 * The user a `users` subcommand acts on (`passwd`: undefined means the acting admin), and the
 * acting admin when named (`--username` or `RECEPTIONIST_USERNAME`).
 */
export interface UserTarget {
  username?: string;
  acting?: string;
  /** `users add --role` (admin by default). */
  role?: Role;
}

export function parseUserTarget(flags: PasswdFlags | RemoveFlags, env?: Env): UserTarget {
  return {
    username: flags.user,
    acting: flags.username ?? env?.get('RECEPTIONIST_USERNAME')?.value,
  };
}

/**
 * `users add`: the first one creates the keyring; later ones need an admin's password.
 * @throws AuthError, NeedsInputError, UsageError (bad username, short password)
 */
export async function runUsersAdd({ username, role = 'admin' }: UserTarget, ctx: Context): Promise<UsersResult> {
  const store = await ctx.store();
  const name = username!;
  if (!(await hasKeyring(store))) {
    if (role !== 'admin')
      throw new UsageError(
        'The first user must be an admin: it creates the encryption keys.',
        `Run \`receptionist users add <admin> --role admin\` first, then add ${name} as ${role}.`,
      );
    return createFirstAdmin(store, name, ctx);
  }
  const me = await ctx.keyring();
  if (me.role !== 'admin') throw new UsageError(`${me.username} is a ${me.role}: only an admin can add users.`);
  const creds = await ctx.credentials();
  await addUser(store, me, name, await creds.newPassword(`Password for ${name}`), ctx.now(), undefined, role);
  // A store from before roles gets its first receptionist key here, made by this admin: pinned too.
  await pinActiveKeys(ctx, store);
  await audit(ctx, me.username, 'users.add', { username: name, role });
  return { action: 'users.add', username: name, role, by: me.username };
}

/**
 * `users passwd [user]`: the named user is always the one whose password changes. Your own (no
 * user, or no other acting admin named) re-wraps your key; another admin's, as the acting admin,
 * gives them a new key granted every data key you hold (`resetPassword`).
 * @throws AuthError, NeedsInputError, UsageError, UserError (no such user)
 */
export async function runUsersPasswd({ username, acting }: UserTarget, ctx: Context): Promise<UsersResult> {
  const store = await ctx.store();
  // Without an acting admin named, the target unlocks as themselves.
  const me = await ctx.keyring(acting ? undefined : username);
  const creds = await ctx.credentials();
  const target = username ?? me.username;
  if (target === me.username) {
    await changePassword(store, me, await creds.newPassword(`New password for ${me.username}`), ctx.now());
    await audit(ctx, me.username, 'users.passwd', {});
    return { action: 'users.passwd', username: me.username };
  }
  await resetPassword(store, me, target, await creds.newPassword(`New password for ${target}`), ctx.now());
  await audit(ctx, me.username, 'users.passwd', { username: target });
  return { action: 'users.passwd', username: target, by: me.username };
}

/** `users remove`. @throws AuthError, UserError (the last admin) */
export async function runUsersRemove({ username }: UserTarget, ctx: Context): Promise<UsersResult> {
  const store = await ctx.store();
  const me = await ctx.keyring();
  await removeUser(store, username!);
  await audit(ctx, me.username, 'users.remove', { username });
  return { action: 'users.remove', username: username!, by: me.username };
}

async function audit(ctx: Context, user: string, action: string, details: Record<string, unknown>): Promise<void> {
  await appendAudit(await ctx.store(), { at: ctx.now().toISOString(), user, action, details });
}

type UserRow = Awaited<ReturnType<typeof listUsers>>[number];

/** `users list`: the admins, and the clinic's zone their dates are read in. */
export async function runUsersList(_o: unknown, ctx: Context): Promise<ZonedRows<UserRow>> {
  const { store, timeZone } = await readWithClinicZone(ctx);
  return { rows: await listUsers(store), timeZone };
}

/** A table on a terminal, tab-separated lines when piped, or with --json an array of users. */
export function renderList(
  { rows, timeZone }: ZonedRows<UserRow>,
  _o: unknown,
  { io, globals: g }: RenderContext,
): void {
  const day = (iso: string) => DateTime.fromISO(iso, { zone: timeZone }).toISODate() ?? iso.slice(0, 10);
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
    const cells = rows.map((r) => [r._id, r.role, day(r.createdAt), day(r.passwordChangedAt)]);
    return io.line(renderTable(['Username', 'Role', 'Created', 'Password changed'], cells, io, g.color));
  }
  for (const r of rows)
    io.line(`${r._id}\t${r.role}\tcreated ${day(r.createdAt)}\tpassword changed ${day(r.passwordChangedAt)}`);
}

const render = (r: UsersResult, _o: unknown, out: RenderContext) => renderUsersResult(r, out);
/** `users add <user>`: the name is checked before anything is asked or written. @throws UsageError */
export function parseNewUser(flags: AddFlags, env?: Env): UserTarget {
  const target = { ...parseUserTarget(flags, env), role: flags.role ?? 'admin' };
  const problem = target.username === undefined ? undefined : usernameProblem(target.username);
  if (problem) throw new UsageError(problem, 'For example `receptionist users add jo_smith --role admin`.');
  return target;
}

export const add = implement({ parse: parseNewUser, run: runUsersAdd, render });
export const passwd = implement({
  parse: parseUserTarget,
  run: runUsersPasswd,
  render,
});
export const remove = implement({ parse: parseUserTarget, run: runUsersRemove, render });
export const list = implement({ parse: noFlags, run: runUsersList, render: renderList });
