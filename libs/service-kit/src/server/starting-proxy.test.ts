import { UnavailableError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { startingProxy } from './starting-proxy.js';

class Plane {
  constructor(readonly id: string) {}
  readonly label = 'plane';
  whoAmI(): string {
    return this.id;
  }
}

describe('startingProxy', () => {
  it('answers UNAVAILABLE with the message until the part is built, then calls it', () => {
    let part: Plane | undefined;
    const proxy = startingProxy(() => part, 'starting, retry shortly');
    expect(() => proxy.whoAmI()).toThrow(UnavailableError);
    expect(() => proxy.whoAmI()).toThrow('starting, retry shortly');
    part = new Plane('a');
    expect(proxy.whoAmI()).toBe('a');
    expect(proxy.label).toBe('plane');
  });

  it('binds a method once per part, and again for a new part or a replaced method', () => {
    let part = new Plane('a');
    const proxy = startingProxy(() => part, 'starting');
    const first = proxy.whoAmI;
    expect(proxy.whoAmI).toBe(first);
    expect(first()).toBe('a');

    part = new Plane('b');
    const second = proxy.whoAmI;
    expect(second).not.toBe(first);
    expect(second()).toBe('b');

    part.whoAmI = () => 'replaced';
    expect(proxy.whoAmI()).toBe('replaced');
  });
});
