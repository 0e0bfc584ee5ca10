import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { FastifyInstance } from 'fastify';
import { UsageError, UserError } from '../../errors.js';
import { hasKeyring } from '../../domain/keyring.js';
import { packageRoot } from '../../paths.js';
import { resolveSetting } from '../../settings.js';
import type { Env } from '../../env.js';
import { implement } from '../shared/command.js';
import type { StudioFlags } from './index.js';
import type { Context } from '../shared/context.js';
import { requireBotConfig } from '../../domain/clinic.js';
import { StudioAuth } from '../../studio/auth.js';
import { buildStudioApp, type StudioEvent } from '../../studio/server.js';
import { studioHost } from './host.js';

export interface StudioOptions {
  port: number;
  /** The port was chosen (flag or environment): a busy one is an error, not a reason to try the next. */
  portChosen: boolean;
  /** Open the link in the default browser (not with --no-open, nor without a terminal, as in CI). */
  open: boolean;
}

/** The port tried first when none is given; the next ones are tried when it is busy. */
export const DEFAULT_STUDIO_PORT = 4488;
const PORTS_TRIED = 10;

/** @throws UsageError for a bad --port */
export function parseStudioOptions(flags: StudioFlags, env: Env): StudioOptions {
  const port = resolveSetting('port', flags.port, 'RECEPTIONIST_STUDIO_PORT', env, String(DEFAULT_STUDIO_PORT));
  if (!/^\d+$/.test(port.value) || Number(port.value) > 65535)
    throw new UsageError(
      `Invalid port "${port.value}" (from ${port.source})`,
      'Use a number from 0 to 65535; 0 picks a free port.',
    );
  return { port: Number(port.value), portChosen: port.source !== 'default', open: flags.open !== false };
}

/** Where `npm run build` puts the front end (index.html and assets/). */
export const studioAssetsDir = () => path.join(packageRoot(), 'dist', 'web');

/**
 * Serves the studio on 127.0.0.1 until SIGINT/SIGTERM, printing its link (a one-time token; Enter
 * on a terminal prints a new one). @throws UserError (no bot config, no users, front end not built,
 * port busy), UsageError, StoreError
 */
async function runStudio(o: StudioOptions, ctx: Context): Promise<void> {
  const store = await ctx.store();
  await requireBotConfig(store);
  if (!(await hasKeyring(store)))
    throw new UserError(
      'There are no users yet, so nobody can sign in to the studio.',
      'Create the first admin with `receptionist users add <username> --role admin`, and receptionists with `--role receptionist`.',
    );
  const assetsDir = studioAssetsDir();
  if (!fs.existsSync(path.join(assetsDir, 'index.html')))
    throw new UserError(
      `The studio's front end is not built (no ${assetsDir}).`,
      'Run `npm run build` in the receptionist folder.',
    );
  const { io, globals } = ctx;
  const say = (e: Record<string, unknown>, text: string) => (globals.json ? io.line(JSON.stringify(e)) : io.info(text));
  const onEvent = (e: StudioEvent) =>
    e.kind === 'sign-in'
      ? say({ event: e.kind, username: e.username, role: e.role }, `Signed in: ${e.username} (${e.role}).`)
      : e.kind === 'sign-in-failed'
        ? say({ event: e.kind, username: e.username }, `Failed sign-in as ${e.username}.`)
        : io.error(`Error: ${e.where}: ${e.error}`);
  const auth = new StudioAuth(ctx.now);
  const app = await buildStudioApp({ host: studioHost(ctx), auth, assetsDir, onEvent });
  let lines: readline.Interface | undefined;
  const stop = new Promise<void>((resolve) => {
    const off = ctx.onShutdown(() => {
      off();
      resolve();
    });
  });
  try {
    const port = await listen(app, o);
    const base = `http://127.0.0.1:${port}`;
    const link = () => `${base}/?token=${auth.mintToken()}`;
    const first = link();
    if (globals.json) io.line(JSON.stringify({ event: 'ready', url: base, link: first }));
    else {
      io.info(`Studio ready at ${base}`);
      io.info(`  Open ${first}`);
      io.info(`  The link works once${io.canPrompt ? '; press Enter for a new one' : ''}. Ctrl-C stops the studio.`);
    }
    if (o.open && io.canPrompt) {
      const { default: open } = await import('open');
      await open(first).catch((err: Error) =>
        io.error(`Warning: could not open a browser (${err.message}); open the link above.`),
      );
    }
    if (io.canPrompt) {
      lines = readline.createInterface({ input: io.stdin });
      lines.on('line', () => {
        const next = link();
        say({ event: 'link', link: next }, `  Open ${next}`);
      });
    }
    await stop;
  } finally {
    lines?.close();
    auth.close();
    await app.close();
  }
}

/** Listens on 127.0.0.1; an unchosen busy port moves on to the next ones. Returns the port. */
async function listen(app: FastifyInstance, o: StudioOptions): Promise<number> {
  for (let i = 0; ; i++) {
    const port = o.port === 0 ? 0 : o.port + i;
    try {
      await app.listen({ port, host: '127.0.0.1' });
      return (app.server.address() as { port: number }).port;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      if (o.portChosen || o.port === 0 || i + 1 >= PORTS_TRIED)
        throw new UserError(
          `Port ${port} on 127.0.0.1 is already in use.`,
          'Pass --port 0 for a free port, or stop the other server.',
        );
    }
  }
}

export const studio = implement({ parse: parseStudioOptions, run: runStudio });
