/**
 * A PlainTensor from a NumPy `.npy` file (format versions 1, 2 and 3), so reference and
 * scoring data can be uploaded as `numpy.save` writes it. Numeric dtypes of either byte
 * order; C order only (a Fortran-ordered array is refused, saying how to fix it).
 */
import { truncateText } from '@sightline/errors';
import { TableInputError } from './feature-table.js';
import type { PlainTensor } from './table-from-tensors.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Most header bytes read (numpy's own headers are a few hundred bytes). */
export const NPY_MAX_HEADER_BYTES = 65_536;

/** Characters of an unreadable header a message quotes. */
export const NPY_MESSAGE_HEADER_CHARS = 200;

interface Reader {
  readonly bytes: number;
  read(view: DataView, offset: number, littleEndian: boolean): number;
}

const READERS: Readonly<Record<string, Reader>> = {
  f8: { bytes: 8, read: (v, o, le) => v.getFloat64(o, le) },
  f4: { bytes: 4, read: (v, o, le) => v.getFloat32(o, le) },
  i8: { bytes: 8, read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  i4: { bytes: 4, read: (v, o, le) => v.getInt32(o, le) },
  i2: { bytes: 2, read: (v, o, le) => v.getInt16(o, le) },
  i1: { bytes: 1, read: (v, o) => v.getInt8(o) },
  u8: { bytes: 8, read: (v, o, le) => Number(v.getBigUint64(o, le)) },
  u4: { bytes: 4, read: (v, o, le) => v.getUint32(o, le) },
  u2: { bytes: 2, read: (v, o, le) => v.getUint16(o, le) },
  u1: { bytes: 1, read: (v, o) => v.getUint8(o) },
  b1: { bytes: 1, read: (v, o) => v.getUint8(o) },
};

/** The array of an .npy file: elements as float64, row-major. */
export interface NpyTensor extends PlainTensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

function npyError(rule: string): TableInputError {
  return new TableInputError('shape', `the .npy file ${rule}`, 'npy');
}

/**
 * The array of an `.npy` file as a float64 tensor named `name`.
 * @throws InvalidArgumentError for a file that is not .npy, an unsupported dtype (object,
 *   string, complex), Fortran order, or data shorter than the shape needs.
 */
export function tensorFromNpy(file: Uint8Array, name = 'npy'): NpyTensor {
  if (file.length < 10 || MAGIC.some((b, i) => file[i] !== b))
    throw npyError('does not start with \\x93NUMPY');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const major = file[6]!;
  if (major < 1 || major > 3) throw npyError(`has format version ${major}; versions 1 to 3 are read`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  if (headerLength > NPY_MAX_HEADER_BYTES || headerStart + headerLength > file.length) {
    throw npyError(`has a header of ${headerLength} bytes, more than it holds or ${NPY_MAX_HEADER_BYTES}`);
  }
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    file.subarray(headerStart, headerStart + headerLength),
  );
  const descr = /'descr'\s*:\s*'([<>|=])([a-zA-Z])(\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeText)
    throw npyError(
      `has a header this reader does not take (a structured dtype?): ${truncateText(header.trim(), NPY_MESSAGE_HEADER_CHARS)}`,
    );
  if (fortran[1] === 'True') throw npyError('is in Fortran order; save np.ascontiguousarray(a)');
  const reader = READERS[`${descr[2]}${descr[3]}`];
  if (reader === undefined)
    throw npyError(`has dtype ${descr[1]}${descr[2]}${descr[3]}; numeric dtypes are read`);
  const shape = shapeText[1]!
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '')
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw npyError(`has shape (${shapeText[1]})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLength;
  if (file.length - dataStart < count * reader.bytes) {
    throw npyError(
      `holds ${file.length - dataStart} data bytes, shape (${shape}) needs ${count * reader.bytes}`,
    );
  }
  const littleEndian = descr[1] !== '>';
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = reader.read(view, dataStart + i * reader.bytes, littleEndian);
  return { name, shape: shape.length === 0 ? [1] : shape, data };
}
