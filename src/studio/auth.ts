import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role, Unlocked } from '../domain/keyring.js';
import { wipe } from '../domain/keyring.js';

/** The cookie that lets a browser reach the sign-in page: set when the one-time link is opened. */
export const GATE_COOKIE = 'receptionist_studio_gate';
/** The signed-in session's cookie. */
export const SESSION_COOKIE = 'receptionist_studio_session';
/** The header every write must carry: the session's CSRF token, which only the studio's own page can read. */
export const CSRF_HEADER = 'x-csrf-token';

/** How long the gate cookie of an opened link lasts, ms. */
export const GATE_TTL_MS = 12 * 3_600_000;
/** A session ends this long after sign-in, ms, whatever is done with it. */
export const SESSION_TTL_MS = 8 * 3_600_000;
/** A session ends after this long without a request, ms. */
export const SESSION_IDLE_MS = 30 * 60_000;

/** A signed-in studio user. `keys` open patients' names only (see `namesOnly`), never more. */
export interface StudioSession {
  id: string;
  username: string;
  role: Role;
  csrfToken: string;
  keys: Unlocked;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms of the last request. */
  seenAt: number;
}

const secret = () => randomBytes(32).toString('base64url');

/** Constant-time equality of two strings (a token or id against one held here). */
export function sameSecret(given: string, held: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(held);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The studio's credentials, all in this process's memory (a restart signs everyone out):
 * one-time link tokens (as Jupyter prints one), the gates they open, and sessions. Ids and tokens
 * are 256-bit random, compared in constant time; an expired one is gone, and its keys wiped.
 */
export class StudioAuth {
  private readonly tokens = new Set<string>();
  private readonly gates = new Map<string, number>();
  private readonly sessions = new Map<string, StudioSession>();

  constructor(private readonly now: () => Date) {}

  /** A new one-time token for the link the terminal prints. */
  mintToken(): string {
    const t = secret();
    this.tokens.add(t);
    return t;
  }

  /** Spends `token`: a new gate id, or undefined when it is unknown or already used. */
  redeemToken(token: string): string | undefined {
    const held = [...this.tokens].find((t) => sameSecret(token, t));
    if (!held) return undefined;
    this.tokens.delete(held);
    const gate = secret();
    this.gates.set(gate, this.now().getTime() + GATE_TTL_MS);
    return gate;
  }

  /** Whether `gate` is a live gate id. */
  hasGate(gate: string | undefined): boolean {
    if (!gate) return false;
    const ms = this.now().getTime();
    for (const [id, until] of this.gates) {
      if (until <= ms) this.gates.delete(id);
      else if (sameSecret(gate, id)) return true;
    }
    return false;
  }

  /** A session for `keys` (already reduced to names). */
  signIn(keys: Unlocked): StudioSession {
    const ms = this.now().getTime();
    const s: StudioSession = {
      id: secret(),
      username: keys.username,
      role: keys.role,
      csrfToken: secret(),
      keys,
      createdAt: ms,
      seenAt: ms,
    };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The live session of cookie value `id`, its idle clock restarted; undefined when none. */
  session(id: string | undefined): StudioSession | undefined {
    if (!id) return undefined;
    const ms = this.now().getTime();
    let found: StudioSession | undefined;
    for (const s of this.sessions.values()) {
      if (s.createdAt + SESSION_TTL_MS <= ms || s.seenAt + SESSION_IDLE_MS <= ms) this.end(s.id);
      else if (sameSecret(id, s.id)) found = s;
    }
    if (found) found.seenAt = ms;
    return found;
  }

  /** Ends a session and wipes its keys. */
  end(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    wipe(s.keys);
  }

  /** Ends every session (the studio stops). */
  close(): void {
    for (const id of [...this.sessions.keys()]) this.end(id);
    this.tokens.clear();
    this.gates.clear();
  }
}
