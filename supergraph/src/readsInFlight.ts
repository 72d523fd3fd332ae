/**
 * Reads in flight that later identical reads of the same caller may join — until
 * something happens that the caller may know of: their own write (`closeFor`) or
 * any request event (`closeAll`); a read that began before it may have read
 * before it. An entry leaves by itself once its read has settled. Used for whole
 * queries (`coalesce.ts`) and for subgraph fetches (`dataSource.ts`).
 */
export class ReadsInFlight<V> {
  private readonly entries = new Map<string, { readonly caller: string; readonly value: V }>();

  /** The read in flight `caller` may join for `key`, if any. */
  joinable(caller: string, key: string): V | undefined {
    return this.entries.get(`${caller}\n${key}`)?.value;
  }

  /** Opens `value` to joiners until `settled` settles or it is closed; returns `value`. */
  open(caller: string, key: string, value: V, settled: Promise<unknown>): V {
    const id = `${caller}\n${key}`;
    const entry = { caller, value };
    this.entries.set(id, entry);
    const leave = () => {
      if (this.entries.get(id) === entry) this.entries.delete(id); // not a newer read opened since
    };
    settled.then(leave, leave);
    return value;
  }

  /** The caller wrote: none of their reads in flight is joined any more. */
  closeFor(caller: string): void {
    for (const [id, entry] of this.entries) if (entry.caller === caller) this.entries.delete(id);
  }

  /** Something changed: no read in flight is joined any more. */
  closeAll(): void {
    this.entries.clear();
  }
}
