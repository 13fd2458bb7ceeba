/**
 * Messages between the main thread and an ONNX runtime worker, and how tensors and errors
 * cross the thread boundary. Typed arrays travel as compact copies whose buffers are
 * transferred (a view on a larger buffer would otherwise clone the whole buffer).
 */
import { type ErrorCode, InternalError, isSightlineError, SightlineError } from '@sightline/errors';
import type { Datatype, Tensor, TensorSpec } from '@sightline/tensor';
import type { DeviceKind, ModelConfig } from '../model/types.js';

const typedArraySlice = (
  Object.getPrototypeOf(Uint8Array.prototype) as { slice: (this: ArrayBufferView) => ArrayBufferView }
).slice;

/** What the worker is started with. */
export interface WorkerInit {
  readonly config: ModelConfig;
  readonly versionDir: string;
  readonly device: DeviceKind;
  readonly gpuDetected: boolean;
}

/** A tensor on the wire between threads. */
export interface WireTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: Tensor['data'];
}

/** A serialised error: the family's code survives the hop. */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
}

export type ToWorker =
  | {
      readonly type: 'run';
      readonly id: number;
      readonly inputs: WireTensor[];
      readonly outputNames: readonly string[];
    }
  | { readonly type: 'dispose' };

export type FromWorker =
  | {
      readonly type: 'loaded';
      readonly inputs: readonly TensorSpec[];
      readonly outputs: readonly TensorSpec[];
      readonly backend: string;
    }
  | { readonly type: 'load-failed'; readonly error: WireError }
  | { readonly type: 'result'; readonly id: number; readonly outputs: WireTensor[] }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError }
  | {
      readonly type: 'log';
      readonly level: 'info' | 'warn' | 'error';
      readonly fields: Record<string, unknown>;
      readonly message: string;
    }
  | { readonly type: 'disposed' };

/**
 * Packs tensors for postMessage; BYTES elements are cloned. Fixed-width data is transferred
 * (listed in `transfer`): with `copy`, always a compact copy, since the caller's arrays may
 * be views on buffers others still use (request buffers); with `own`, the arrays themselves
 * when they span their whole buffer (the sender gives them up, as the worker does with the
 * outputs it just computed).
 */
export function packTensors(
  tensors: Iterable<Tensor>,
  ownership: 'copy' | 'own',
): { tensors: WireTensor[]; transfer: ArrayBuffer[] } {
  const packed: WireTensor[] = [];
  const transfer: ArrayBuffer[] = [];
  for (const tensor of tensors) {
    if (tensor.datatype === 'BYTES') {
      packed.push({ name: tensor.name, datatype: tensor.datatype, shape: tensor.shape, data: tensor.data });
      continue;
    }
    const view = tensor.data as Exclude<Tensor['data'], Uint8Array[]>;
    const spansBuffer =
      view.byteOffset === 0 &&
      view.byteLength === view.buffer.byteLength &&
      view.buffer instanceof ArrayBuffer;
    // %TypedArray%.prototype.slice, a true copy even when `view` is a Buffer (whose own
    // slice() is a view on the same memory, which transferring would detach).
    const owned = ownership === 'own' && spansBuffer ? view : (typedArraySlice.call(view) as typeof view);
    packed.push({ name: tensor.name, datatype: tensor.datatype, shape: tensor.shape, data: owned });
    transfer.push(owned.buffer as ArrayBuffer);
  }
  return { tensors: packed, transfer };
}

/** Wire tensors back into domain tensors (typed arrays arrive as their own types). */
export function unpackTensors(tensors: readonly WireTensor[]): Map<string, Tensor> {
  const map = new Map<string, Tensor>();
  for (const t of tensors) map.set(t.name, t as Tensor);
  return map;
}

export function toWireError(error: unknown): WireError {
  if (isSightlineError(error)) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

export function fromWireError(error: WireError): SightlineError {
  return error.code === 'INTERNAL'
    ? new InternalError(error.message)
    : new SightlineError(error.code, error.message);
}
