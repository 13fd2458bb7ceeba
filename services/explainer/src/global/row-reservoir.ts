/**
 * A seeded uniform sample of at most `capacity` items from a stream of unknown length
 * (Vitter's Algorithm R): every item seen has the same chance, capacity / seen, of being kept,
 * and memory stays at `capacity` items however many events a range holds.
 */
import type { SeededRandom } from '@sightline/stats';

export class RowReservoir<T> {
  private readonly kept: T[] = [];
  private count = 0;

  constructor(
    private readonly capacity: number,
    private readonly random: SeededRandom,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`RowReservoir: capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** Items offered so far. */
  get seen(): number {
    return this.count;
  }

  /**
   * Offers one item: kept outright while there is room, else in place of a kept one with
   * chance capacity / seen. `make` builds it only when it is kept (a copy of one row out of a
   * large event costs nothing for the rows passed over).
   */
  offer(make: () => T): void {
    this.count += 1;
    if (this.kept.length < this.capacity) {
      this.kept.push(make());
      return;
    }
    const slot = this.random.nextInt(this.count);
    if (slot < this.capacity) this.kept[slot] = make();
  }

  /** The sample (every item when no more than `capacity` were offered). */
  items(): readonly T[] {
    return this.kept;
  }
}
