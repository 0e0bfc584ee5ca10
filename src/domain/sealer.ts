import { blindIndex, blindNameIndex, prepareBlindIndexes } from '../crypto/blind-index.js';
import { feedToken, openPending, sealPending } from '../crypto/pending.js';
import {
  isSealed,
  open,
  seal,
  sealedKeyId,
  sealFields,
  sealingKeyPin,
  type SealContext,
  type SealingKeyPair,
} from '../crypto/seal.js';
import type { Store } from '../store/types.js';
import { activeSealingKeys } from './keyring.js';

/**
 * What the write side holds: the active public key and the blind-index key. It can seal
 * and index, never open (ENC-3).
 */
export interface FieldSealer {
  readonly keyId: string;
  /** Seals a value; '' stays '' (there is nothing to hide), an already sealed value is kept. */
  seal(value: string, ctx: SealContext): string;
  /** Seals several fields of one record with one ephemeral key; same rules per field as `seal`. */
  sealRecord<K extends string>(values: Record<K, string>, record: Omit<SealContext, 'field'>): Record<K, string>;
  /** Blind index of an E.164 number. */
  index(e164: string): string;
  /** Blind index of a person's name (normalised first; see `normaliseName`). */
  indexName(name: string): string;
  /**
   * Stretches these numbers' and names' indexes on the thread pool, so that `index` and
   * `indexName` of them (synchronous, ~10 ms of scrypt each otherwise) return at once. Optional
   * to call; without the blind-index key it does nothing.
   */
  prepare(values: { phones?: string[]; names?: string[] }): Promise<void>;
  /**
   * Seals what `serve` must read while a notification is pending (see `crypto/pending.ts`),
   * bound to `boundTo`. @throws Error without the blind-index key
   */
  sealPending(text: string, boundTo: string): string;
  /** Opens {@link sealPending}'s output. @throws Error (another record, another key, damaged) */
  openPending(sealed: string, boundTo: string): string;
  /** The token of a doctor's calendar feed URL (see `crypto/pending.ts`). @throws Error without the blind-index key */
  feedToken(doctorId: string, version: number): string;
}

/**
 * The fields a receptionist may read, sealed to the receptionist key (every user holds it); every
 * other sealed field goes to the admin key.
 */
export const RECEPTIONIST_FIELDS: ReadonlyArray<readonly [collection: string, field: string]> = [
  ['appointments', 'patientName'],
  ['customers', 'name'],
];
const forReceptionist = (collection: string, field: string) =>
  RECEPTIONIST_FIELDS.some(([c, f]) => c === collection && f === field);

/**
 * A write-only sealer: `key` is the admin key; `opts.receptionistKey` (absent in a store from
 * before roles: then names go to the admin key too) takes the {@link RECEPTIONIST_FIELDS}.
 */
export function createSealer(
  key: { keyId: string; publicKey: string },
  blindIndexKey: Buffer,
  opts: { indexUnavailable?: string; receptionistKey?: { keyId: string; publicKey: string } } = {},
): FieldSealer {
  const keyFor = (collection: string, field: string) =>
    opts.receptionistKey && forReceptionist(collection, field) ? opts.receptionistKey : key;
  return {
    keyId: key.keyId,
    seal: (value, ctx) =>
      value === '' || isSealed(value) ? value : seal(value, ctx, keyFor(ctx.collection, ctx.field)),
    sealRecord(values, record) {
      const todo = Object.entries<string>(values).filter(([, v]) => v !== '' && !isSealed(v));
      const out: Record<string, string> = { ...values };
      // One ephemeral key per recipient key: the admin's fields, and the receptionist's.
      for (const target of new Set(todo.map(([f]) => keyFor(record.collection, f)))) {
        const mine = Object.fromEntries(todo.filter(([f]) => keyFor(record.collection, f) === target));
        Object.assign(out, sealFields(mine, record, target));
      }
      return out as typeof values;
    },
    index: (e164) => {
      if (opts.indexUnavailable) throw new Error(opts.indexUnavailable);
      return blindIndex(blindIndexKey, e164);
    },
    indexName: (name) => {
      if (opts.indexUnavailable) throw new Error(opts.indexUnavailable);
      return blindNameIndex(blindIndexKey, name);
    },
    prepare: async (values) => {
      if (!opts.indexUnavailable) await prepareBlindIndexes(blindIndexKey, values);
    },
    sealPending: (text, boundTo) => {
      if (opts.indexUnavailable) throw new Error(opts.indexUnavailable);
      return sealPending(blindIndexKey, text, boundTo);
    },
    openPending: (sealed, boundTo) => {
      if (opts.indexUnavailable) throw new Error(opts.indexUnavailable);
      return openPending(blindIndexKey, sealed, boundTo);
    },
    feedToken: (doctorId, version) => {
      if (opts.indexUnavailable) throw new Error(opts.indexUnavailable);
      return feedToken(blindIndexKey, doctorId, version);
    },
  };
}

/** Opens a field if it is sealed; plaintext from before sealing existed is returned as is. @throws SealError */
export function openField(value: string, ctx: SealContext, keys: ReadonlyMap<string, SealingKeyPair>): string {
  return isSealed(value) ? open(value, ctx, keys) : value;
}

/** What `logs` shows without a password in place of a sealed value. */
export const SEALED_PLACEHOLDER = '[sealed]';

/**
 * A value as the holder of `keys` may see it: plaintext as it is; opened when sealed to one of
 * `keys`; {@link SEALED_PLACEHOLDER} when sealed to a key they do not hold (a receptionist and an
 * admin field) or when there are no keys (no password given).
 * @throws SealError when it is sealed to a held key and does not open (tampered or damaged)
 */
export function revealField(value: string, ctx: SealContext, keys?: ReadonlyMap<string, SealingKeyPair>): string {
  if (!isSealed(value)) return value;
  if (!keys?.has(sealedKeyId(value))) return SEALED_PLACEHOLDER;
  return open(value, ctx, keys);
}

/**
 * Seals the named fields of one record that are still plaintext strings (one ephemeral key per
 * record) and, when `phone` is among them, adds its blind index as `phoneIndex`.
 */
export function sealNamedFields<T extends Record<string, unknown>>(
  fields: T,
  names: readonly string[],
  record: Omit<SealContext, 'field'>,
  sealer: FieldSealer,
): T & { phoneIndex?: string } {
  const out: Record<string, unknown> = { ...fields };
  const phone = fields.phone;
  if (names.includes('phone') && typeof phone === 'string' && phone && !isSealed(phone))
    out.phoneIndex = sealer.index(phone);
  const values = Object.fromEntries(
    names.flatMap((n) => (typeof fields[n] === 'string' ? [[n, fields[n] as string]] : [])),
  );
  return Object.assign(out, sealer.sealRecord(values, record)) as T & { phoneIndex?: string };
}

/**
 * The sealer for a store's active keys (admin, and receptionist when there is one) and a
 * blind-index key. @throws Error when the store has no keys yet
 */
export async function sealerForStore(
  store: Store,
  blindIndexKey: Buffer,
  opts: { indexUnavailable?: string } = {},
): Promise<FieldSealer> {
  const { admin, receptionist } = await activeSealingKeys(store);
  if (!admin) throw new Error('the store has no encryption keys');
  return createSealer(admin, blindIndexKey, { ...opts, receptionistKey: receptionist });
}

/** The pin of a store's active keys, admin first (`RECEPTIONIST_SEALING_KEY_PIN`): see `sealingKeyPin`. */
export function pinOfKeys(keys: {
  admin?: { keyId: string; publicKey: string };
  receptionist?: { keyId: string; publicKey: string };
}): string {
  return [keys.admin, keys.receptionist].flatMap((k) => (k ? [sealingKeyPin(k)] : [])).join(',');
}
