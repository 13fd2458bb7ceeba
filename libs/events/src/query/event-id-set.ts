/**
 * The event ids a scan has already sent, to drop a sink's replays (an event appended twice,
 * possibly segments apart). A `Set<string>` of a million ids cost about 80 MB of small heap
 * objects, which every major collection then traced: a history run over a million events
 * spent more time in the collector than in reading, and the set's share of the old
 * generation raised the heap size at which V8 collects, so the process peaked near 500 MB.
 * Here ids are stored as bytes in one arena with an open-addressing table of entry numbers
 * (the id's length + 12 to 24 bytes per id, none of it traced by the collector). Exact: ids
 * are compared in full; an id with a character above U+00FF goes to a plain Set instead.
 */

/** Table slots per stored id at most before the table doubles (load factor 2/3). */
const MAX_LOAD = 2 / 3;
/** Starting sizes; both double as needed. */
const INITIAL_SLOTS = 1 << 12;
const INITIAL_ARENA_BYTES = 1 << 16;
/** FNV-1a's 32-bit offset basis, as a signed 32-bit integer (the table stores Int32 hashes). */
const FNV_OFFSET = 0x811c9dc5 | 0;

/** An exact set of event ids, compact for many short Latin-1 ids. */
export class EventIdSet {
  /** Entry e's bytes are arena[starts[e], starts[e + 1]). */
  #arena = new Uint8Array(INITIAL_ARENA_BYTES);
  #starts = new Int32Array(INITIAL_SLOTS);
  /** Slot -> entry number + 1 (0: empty). */
  #slots = new Int32Array(INITIAL_SLOTS);
  /** Slot -> the entry's hash, so most probes reject without comparing bytes. */
  #hashes = new Int32Array(INITIAL_SLOTS);
  #entries = 0;
  /** Ids with a character outside Latin-1 (rare: ids are UUIDs or similar). */
  readonly #wide = new Set<string>();

  /** Ids held. */
  get size(): number {
    return this.#entries + this.#wide.size;
  }

  /** Adds `id`; false when it was already there. */
  add(id: string): boolean {
    let hash = FNV_OFFSET;
    for (let c = 0; c < id.length; c++) {
      const code = id.charCodeAt(c);
      if (code > 0xff) return this.#addWide(id);
      hash = Math.imul(hash ^ code, 0x01000193);
    }
    const mask = this.#slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.#slots[slot]! - 1;
      if (entry < 0) break;
      if (this.#hashes[slot] === hash && this.#equals(entry, id)) return false;
    }
    this.#store(id, hash);
    return true;
  }

  #addWide(id: string): boolean {
    if (this.#wide.has(id)) return false;
    this.#wide.add(id);
    return true;
  }

  #equals(entry: number, id: string): boolean {
    const start = this.#starts[entry]!;
    if (this.#starts[entry + 1]! - start !== id.length) return false;
    for (let c = 0; c < id.length; c++) if (this.#arena[start + c] !== id.charCodeAt(c)) return false;
    return true;
  }

  #store(id: string, hash: number): void {
    const entry = this.#entries;
    if (entry + 2 > this.#starts.length) this.#starts = grown(this.#starts, 2 * this.#starts.length);
    const start = this.#starts[entry]!;
    if (start + id.length > this.#arena.length) {
      this.#arena = grown(this.#arena, Math.max(2 * this.#arena.length, start + id.length));
    }
    for (let c = 0; c < id.length; c++) this.#arena[start + c] = id.charCodeAt(c);
    this.#starts[entry + 1] = start + id.length;
    this.#entries++;
    if (this.#entries > MAX_LOAD * this.#slots.length) this.#rehash(2 * this.#slots.length);
    this.#place(entry, hash);
  }

  #place(entry: number, hash: number): void {
    const mask = this.#slots.length - 1;
    let slot = hash & mask;
    while (this.#slots[slot] !== 0) slot = (slot + 1) & mask;
    this.#slots[slot] = entry + 1;
    this.#hashes[slot] = hash;
  }

  /** Moves every entry already placed into a table of `slots` slots. */
  #rehash(slots: number): void {
    const oldSlots = this.#slots;
    const oldHashes = this.#hashes;
    this.#slots = new Int32Array(slots);
    this.#hashes = new Int32Array(slots);
    for (let s = 0; s < oldSlots.length; s++) {
      if (oldSlots[s] !== 0) this.#place(oldSlots[s]! - 1, oldHashes[s]!);
    }
  }
}

function grown<T extends Uint8Array | Int32Array>(values: T, length: number): T {
  const bigger = new (values.constructor as new (length: number) => T)(length);
  bigger.set(values);
  return bigger;
}
