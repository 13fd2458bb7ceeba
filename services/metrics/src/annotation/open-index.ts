/**
 * The open items of a queue with their count and the lowest-priority one at hand: every
 * offered row to a full queue asks for both, so neither may scan the queue (up to 100,000
 * items). A binary min-heap by (score, item id) with lazy deletion: entries of items that left
 * or stopped being open are skipped when they reach the top, and the heap is rebuilt when
 * such entries outnumber the live ones.
 */

interface OpenItem {
  readonly itemId: string;
  readonly reason: { readonly score: number };
}

function lower(a: OpenItem, b: OpenItem): boolean {
  return a.reason.score < b.reason.score || (a.reason.score === b.reason.score && a.itemId > b.itemId);
}

export class OpenIndex<T extends OpenItem> {
  readonly #open = new Map<string, T>();
  #heap: T[] = [];

  get size(): number {
    return this.#open.size;
  }

  add(item: T): void {
    this.#open.set(item.itemId, item);
    this.#push(item);
  }

  delete(itemId: string): void {
    this.#open.delete(itemId);
    if (this.#heap.length > 2 * this.#open.size + 64) this.#rebuild();
  }

  /** The open item served last: lowest score, then the highest item id. */
  lowest(): T | undefined {
    for (;;) {
      const top = this.#heap[0];
      if (!top) return undefined;
      if (this.#open.get(top.itemId) === top) return top;
      this.#pop();
    }
  }

  #rebuild(): void {
    this.#heap = [];
    for (const item of this.#open.values()) this.#push(item);
  }

  #push(item: T): void {
    const heap = this.#heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!lower(heap[i] as T, heap[parent] as T)) break;
      [heap[i], heap[parent]] = [heap[parent] as T, heap[i] as T];
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (heap.length === 0 || !last) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && lower(heap[left] as T, heap[smallest] as T)) smallest = left;
      if (right < heap.length && lower(heap[right] as T, heap[smallest] as T)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest] as T, heap[i] as T];
      i = smallest;
    }
  }
}
