import { blindIndex, blindNameIndex, prepareBlindIndexes } from '../crypto/blind-index.js';
import { isSealed, open, seal, sealFields, type SealContext, type SealingKeyPair } from '../crypto/seal.js';

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
}

export function createSealer(
  key: { keyId: string; publicKey: string },
  blindIndexKey: Buffer,
  opts: { indexUnavailable?: string } = {},
): FieldSealer {
  return {
    keyId: key.keyId,
    seal: (value, ctx) => (value === '' || isSealed(value) ? value : seal(value, ctx, key)),
    sealRecord(values, record) {
      const todo = Object.fromEntries(Object.entries<string>(values).filter(([, v]) => v !== '' && !isSealed(v)));
      return { ...values, ...(Object.keys(todo).length ? sealFields(todo, record, key) : {}) };
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
  };
}

/** Opens a field if it is sealed; plaintext from before sealing existed is returned as is. @throws SealError */
export function openField(value: string, ctx: SealContext, keys: ReadonlyMap<string, SealingKeyPair>): string {
  return isSealed(value) ? open(value, ctx, keys) : value;
}

/** What `logs` shows without a password in place of a sealed value. */
export const SEALED_PLACEHOLDER = '[sealed]';

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
