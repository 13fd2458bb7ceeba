/**
 * `--image FILE.png` for `sightline explain`: which model input is the image, how its per-row
 * shape is laid out (from the ModelMetadata unless `--layout` says), the PNG decoded into that
 * layout as one instance row, and the contract's ImageInput naming it.
 */
import { explainerV1 } from '@sightline/contracts';
import type { TensorMetadata } from '@sightline/sdk';
import { isDatatype, type Tensor } from '@sightline/tensor';
import { UsageError } from '../frame/usage-error.js';
import { decodePngImage, type ImageTensorLayout, pngSize } from '../images/png-image.js';
import { toTensor } from '../inputs/to-tensor.js';

export const IMAGE_LAYOUTS = ['channels-last', 'channels-first', 'grayscale'] as const;

const LAYOUT_ENUM: Readonly<Record<ImageTensorLayout, explainerV1.ImageLayout>> = {
  'channels-last': explainerV1.ImageLayout.IMAGE_LAYOUT_CHANNELS_LAST,
  'channels-first': explainerV1.ImageLayout.IMAGE_LAYOUT_CHANNELS_FIRST,
  grayscale: explainerV1.ImageLayout.IMAGE_LAYOUT_GRAYSCALE,
};

const isChannels = (d: number | undefined) => d === 1 || d === 3;

/**
 * The layout of an image input's per-row shape: `[h, w]` grayscale, `[c, h, w]` channels first
 * when only the first dimension is 1 or 3, else `[h, w, c]` channels last (TF.js).
 * @throws UsageError when the shape is no image (or --layout does not fit it).
 */
export function imageLayoutOf(
  perRow: readonly number[],
  input: string,
  override?: ImageTensorLayout,
): ImageTensorLayout {
  const fits = (layout: ImageTensorLayout) =>
    layout === 'grayscale'
      ? perRow.length === 2 || (perRow.length === 3 && perRow[2] === 1)
      : perRow.length === 3 && isChannels(layout === 'channels-first' ? perRow[0] : perRow[2]);
  const layout =
    override ??
    (perRow.length === 2
      ? 'grayscale'
      : isChannels(perRow[0]) && !isChannels(perRow[2])
        ? 'channels-first'
        : 'channels-last');
  if (!fits(layout)) {
    throw new UsageError(
      `input ${JSON.stringify(input)}: per-row shape [${perRow.join(', ')}] is not a ${layout} image${override ? ' (--layout)' : ''}; an image is [height, width], [height, width, 1 or 3] or [1 or 3, height, width]`,
    );
  }
  return layout;
}

/** The image input: the one named, else the model's only input. */
export function imageInputOf(
  inputs: readonly TensorMetadata[],
  name: string | undefined,
  model: string,
): TensorMetadata {
  if (name !== undefined) {
    const input = inputs.find((i) => i.name === name);
    if (!input)
      throw new UsageError(
        `--image-input: model ${JSON.stringify(model)} has no input ${JSON.stringify(name)}; its inputs are ${inputs.map((i) => JSON.stringify(i.name)).join(', ')}`,
      );
    return input;
  }
  if (inputs.length !== 1)
    throw new UsageError(
      `--image: model ${JSON.stringify(model)} has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); name the image with --image-input`,
    );
  return inputs[0]!;
}

/** One image row ready to explain. */
export interface ImageInstance {
  readonly tensor: Tensor;
  /** The row's values and per-row shape, for the heatmap's underlay. */
  readonly values: Float32Array;
  readonly shape: readonly number[];
  readonly layout: ImageTensorLayout;
  /** The contract's ImageInput for the request. */
  readonly image: { tensor: string; layout: explainerV1.ImageLayout };
}

/**
 * Decodes a PNG into the image input's layout and checks its size against the input's shape.
 * @throws UsageError naming the file when it is no PNG, or not the size the model takes.
 */
export function imageInstance(
  file: Buffer,
  label: string,
  input: TensorMetadata,
  options: { readonly layout?: ImageTensorLayout; readonly range?: 'unit' | 'byte' },
): ImageInstance {
  const perRow = input.shape.slice(1);
  const layout = imageLayoutOf(perRow, input.name, options.layout);
  const channels = layout === 'grayscale' ? 1 : layout === 'channels-first' ? perRow[0] : perRow[2];
  const expected = layout === 'grayscale' ? perRow.slice(0, 2) : perRow;
  const sizeMismatch = (got: readonly number[]) =>
    new UsageError(
      `${label}: a ${got.join(' × ')} image, but input ${JSON.stringify(input.name)} takes [${perRow.join(', ')}] per row (${layout})`,
    );
  // From the PNG's header, before decoding: a small file may declare a huge image.
  const declared = pngSize(file);
  const [height, width] = layout === 'channels-first' ? [perRow[1], perRow[2]] : [perRow[0], perRow[1]];
  if (
    declared &&
    ((height !== undefined && height >= 0 && height !== declared.height) ||
      (width !== undefined && width >= 0 && width !== declared.width))
  ) {
    const c = channels === 1 ? 1 : 3;
    throw sizeMismatch(
      layout === 'channels-first'
        ? [c, declared.height, declared.width]
        : layout === 'grayscale'
          ? [declared.height, declared.width]
          : [declared.height, declared.width, c],
    );
  }
  const decoded = decodePngImage(file, label, {
    layout,
    channels: channels === 1 ? 1 : 3,
    ...(options.range ? { range: options.range } : {}),
  });
  const got = decoded.shape;
  const same = expected.length <= got.length && expected.every((d, i) => d < 0 || d === got[i]);
  if (!same) throw sizeMismatch(got);
  // A [h, w, 1] grayscale input keeps its trailing 1.
  const shape = layout === 'grayscale' && perRow.length === 3 ? [...decoded.shape, 1] : decoded.shape;
  const tensor = toTensor(
    { storedAs: 'FP32', shape: [1, ...shape], data: { kind: 'number', values: decoded.values } },
    input.name,
    isDatatype(input.datatype) ? { declared: input.datatype } : {},
  );
  return {
    tensor,
    values: decoded.values,
    shape,
    layout,
    image: { tensor: input.name, layout: LAYOUT_ENUM[layout] },
  };
}
