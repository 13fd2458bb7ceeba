/**
 * BYTES on the raw wire, in Triton's convention: each element is a 4-byte little-endian
 * length followed by that many bytes, elements back to back. Decoding returns views into
 * the incoming buffer (no copies).
 */
import { InvalidArgumentError } from '@sightline/errors';

/** Width of the length prefix in front of each raw BYTES element. */
export const BYTES_LENGTH_PREFIX_BYTES = 4;

/** The largest element the 4-byte length prefix can describe. */
export const MAX_BYTES_ELEMENT_LENGTH = 0xffff_ffff;

/**
 * Splits length-prefixed raw contents into exactly `count` elements. Rejects a prefix or
 * an element that runs past the end, and bytes left over after the last element.
 */
export function decodeLengthPrefixed(bytes: Uint8Array, count: number, label: string): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const elements = new Array<Uint8Array>(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const remaining = bytes.byteLength - offset;
    if (remaining < BYTES_LENGTH_PREFIX_BYTES) {
      throw new InvalidArgumentError(
        `BYTES element ${i} of ${label} needs a ${BYTES_LENGTH_PREFIX_BYTES}-byte length prefix but only ${remaining} bytes remain (shape declares ${count} elements)`,
      );
    }
    const length = view.getUint32(offset, true);
    offset += BYTES_LENGTH_PREFIX_BYTES;
    if (length > bytes.byteLength - offset) {
      throw new InvalidArgumentError(
        `BYTES element ${i} of ${label} declares ${length} bytes but only ${bytes.byteLength - offset} remain`,
      );
    }
    elements[i] = bytes.subarray(offset, offset + length);
    offset += length;
  }
  if (offset !== bytes.byteLength) {
    throw new InvalidArgumentError(
      `${label}: ${bytes.byteLength - offset} bytes of raw contents remain after the ${count} BYTES elements its shape declares`,
    );
  }
  return elements;
}

/** Joins elements into one length-prefixed buffer (the inverse of `decodeLengthPrefixed`). */
export function encodeLengthPrefixed(elements: readonly Uint8Array[], label: string): Uint8Array {
  let total = 0;
  for (let i = 0; i < elements.length; i++) {
    const length = elements[i]!.byteLength;
    if (length > MAX_BYTES_ELEMENT_LENGTH) {
      throw new InvalidArgumentError(
        `BYTES element ${i} of ${label} is ${length} bytes; a raw element holds at most ${MAX_BYTES_ELEMENT_LENGTH}`,
      );
    }
    total += BYTES_LENGTH_PREFIX_BYTES + length;
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const element of elements) {
    view.setUint32(offset, element.byteLength, true);
    offset += BYTES_LENGTH_PREFIX_BYTES;
    out.set(element, offset);
    offset += element.byteLength;
  }
  return out;
}
