/**
 * A large ONNX model written by hand (protobuf encoded here; no onnx package needed): one
 * FP32 initializer `W` of `floats` elements and a Gather node, `y = W[idx]`, so the model
 * loads and answers with its size set by the initializer alone.
 */

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

type Field = Buffer;

const tagged = (field: number, wire: number) => Buffer.from(varint(field * 8 + wire));
const int = (field: number, value: number): Field =>
  Buffer.concat([tagged(field, 0), Buffer.from(varint(value))]);
const bytes = (field: number, value: Buffer): Field =>
  Buffer.concat([tagged(field, 2), Buffer.from(varint(value.length)), value]);
const str = (field: number, value: string): Field => bytes(field, Buffer.from(value, 'utf8'));
const msg = (field: number, ...parts: Field[]): Field => bytes(field, Buffer.concat(parts));

const FLOAT = 1;
const INT64 = 7;

/** ValueInfoProto of a tensor with a fixed shape. */
function valueInfo(field: number, name: string, elemType: number, dims: readonly number[]): Field {
  const shape = dims.map((d) => msg(1, int(1, d)));
  return msg(field, str(1, name), msg(2, msg(1, int(1, elemType), msg(2, ...shape))));
}

/** The model's bytes: about `4 * floats` bytes. Input `idx` INT64 [1], output `y` FP32 [1]. */
export function bigOnnxModel(floats: number, fill = 0.5): Buffer {
  const weights = Buffer.alloc(floats * 4);
  for (let i = 0; i < floats; i++) weights.writeFloatLE(fill + (i % 1000) / 1000, i * 4);
  const node = msg(1, str(1, 'W'), str(1, 'idx'), str(2, 'y'), str(3, 'gather'), str(4, 'Gather'));
  const initializer = msg(5, int(1, floats), int(2, FLOAT), str(8, 'W'), bytes(9, weights));
  const graph = msg(
    7,
    node,
    str(2, 'big'),
    initializer,
    valueInfo(11, 'idx', INT64, [1]),
    valueInfo(12, 'y', FLOAT, [1]),
  );
  return Buffer.concat([int(1, 8), str(2, 'sightline-bench'), graph, msg(8, str(1, ''), int(2, 13))]);
}
