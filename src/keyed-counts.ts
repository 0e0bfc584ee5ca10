/**
 * A count per key (a peer's address, a username) of what is in flight. A key back at zero is
 * forgotten, so the map holds only keys with something running and cannot grow without bound.
 */
export class KeyedCounts {
  private readonly counts = new Map<string, number>();

  /** The count of `key`; 0 when it has none. */
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Adds `n` (negative to give back) to `key`'s count. */
  add(key: string, n: number): void {
    const now = this.get(key) + n;
    if (now > 0) this.counts.set(key, now);
    else this.counts.delete(key);
  }
}
