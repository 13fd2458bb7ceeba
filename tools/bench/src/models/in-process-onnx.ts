import ort from 'onnxruntime-node';
import { type ModelSignature, sampleInput, signatureOf } from './onnx-signature.js';

/** An onnxruntime-node session in this process with one input tensor built once. */
export interface InProcessModel {
  readonly signature: ModelSignature;
  /** One `session.run` on the prebuilt input; what the served benchmarks are compared to. */
  readonly call: () => Promise<void>;
  close(): Promise<void>;
}

/**
 * Loads `modelPath` with onnxruntime-node's defaults (CPU, the library's thread pools),
 * as the model-server's runtime does, and prepares a `batch`-row input.
 */
export async function loadInProcessModel(modelPath: string, batch = 1): Promise<InProcessModel> {
  const session = await ort.InferenceSession.create(modelPath);
  const signature = signatureOf(session, batch);
  const input = new ort.Tensor('float32', sampleInput(signature.inputShape), [...signature.inputShape]);
  const feeds = { [signature.inputName]: input };
  return {
    signature,
    call: async () => {
      await session.run(feeds);
    },
    close: () => session.release(),
  };
}

/** Reads a model's signature for `batch` rows without keeping the session. */
export async function readSignature(modelPath: string, batch = 1): Promise<ModelSignature> {
  const model = await loadInProcessModel(modelPath, batch);
  await model.close();
  return model.signature;
}
