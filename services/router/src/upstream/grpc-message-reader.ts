/**
 * Reads the one length-prefixed message of a unary response from its DATA chunks
 * (gRPC over HTTP/2: 1-byte compressed flag, 4-byte big-endian length, the message).
 */
import { status } from '@grpc/grpc-js';
import { UnaryCallError } from './grpc-call-status.js';

/** Bytes of the prefix before every message. */
export const GRPC_FRAME_PREFIX_BYTES = 5;

/** `message` with its uncompressed-frame prefix, in one buffer ready to write. */
export function frameMessage(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(GRPC_FRAME_PREFIX_BYTES + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, GRPC_FRAME_PREFIX_BYTES);
  return frame;
}

/**
 * Collects a unary response body. Every rule fails as soon as it can be seen, so a call
 * can be cancelled before a too-large or compressed body is read in full.
 */
export class UnaryMessageReader {
  private readonly chunks: Buffer[] = [];
  private received = 0;
  /** Prefix plus message length, once the prefix is in. */
  private frameBytes = -1;

  /** @param maxMessageBytes largest message accepted (RESOURCE_EXHAUSTED above). */
  constructor(private readonly maxMessageBytes: number) {}

  /** Takes one DATA chunk; throws {@link UnaryCallError} when the body breaks a rule. */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (this.frameBytes < 0 && this.received >= GRPC_FRAME_PREFIX_BYTES) {
      const head = this.chunks[0]!.length >= GRPC_FRAME_PREFIX_BYTES ? this.chunks[0]! : this.joined();
      const flag = head[0];
      if (flag === 1) {
        // We never send grpc-accept-encoding, so a compressed answer breaks the protocol.
        throw new UnaryCallError(
          status.INTERNAL,
          'Received compressed message but "grpc-encoding" header was identity',
        );
      }
      if (flag !== 0) throw new UnaryCallError(status.INTERNAL, `Received invalid compressed flag ${flag}`);
      const length = head.readUInt32BE(1);
      if (length > this.maxMessageBytes) {
        throw new UnaryCallError(
          status.RESOURCE_EXHAUSTED,
          `Received message larger than max (${length} vs ${this.maxMessageBytes})`,
        );
      }
      this.frameBytes = GRPC_FRAME_PREFIX_BYTES + length;
    }
    if (this.frameBytes >= 0 && this.received > this.frameBytes) {
      throw new UnaryCallError(status.INTERNAL, 'Too many responses received');
    }
  }

  /** The message, once the stream ended with an OK status. */
  finish(): Buffer {
    if (this.received === 0) throw new UnaryCallError(status.INTERNAL, 'No message received');
    if (this.frameBytes < 0 || this.received < this.frameBytes) {
      const length = this.frameBytes < 0 ? 0 : this.frameBytes - GRPC_FRAME_PREFIX_BYTES;
      throw new UnaryCallError(
        status.INTERNAL,
        `Received a truncated message (${Math.max(0, this.received - GRPC_FRAME_PREFIX_BYTES)} of ${length} bytes)`,
      );
    }
    return this.joined().subarray(GRPC_FRAME_PREFIX_BYTES);
  }

  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks.splice(0, this.chunks.length, Buffer.concat(this.chunks));
    return this.chunks[0]!;
  }
}
