/**
 * The open-item index against a plain scan: after any sequence of adds (new or re-added
 * items) and deletes, its size and lowest item are the scan's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OpenIndex } from './open-index.js';

interface Item {
  readonly itemId: string;
  readonly reason: { readonly score: number };
}

const operation = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), id: fc.nat(30), score: fc.integer({ min: -5, max: 5 }) }),
  fc.record({ kind: fc.constant('delete' as const), id: fc.nat(30) }),
);

describe('OpenIndex', () => {
  it('gives the size and lowest item a scan gives', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 400 }), (operations) => {
        const index = new OpenIndex<Item>();
        const plain = new Map<string, Item>();
        for (const op of operations) {
          const itemId = `i${op.id}`;
          if (op.kind === 'add') {
            const item = { itemId, reason: { score: op.score } };
            plain.set(itemId, item);
            index.add(item);
          } else {
            plain.delete(itemId);
            index.delete(itemId);
          }
          let lowest: Item | undefined;
          for (const item of plain.values())
            if (
              !lowest ||
              item.reason.score < lowest.reason.score ||
              (item.reason.score === lowest.reason.score && item.itemId > lowest.itemId)
            )
              lowest = item;
          expect(index.size).toBe(plain.size);
          expect(index.lowest()).toBe(lowest);
        }
      }),
    );
  });
});
