#!/bin/bash
# GPU smoke check for the model-server, run on a GPU node from a repository checkout whose
# dependencies are installed and built (`npm ci && npx nx run-many -t build`). It reports
# what the node offers (driver, CUDA libraries), whether onnxruntime-node can open a CUDA
# session, runs the model-server's runtime and model-manager tests there, and serves the
# examples with `device: auto` plus a copy of iris pinned to `device: gpu`.
# Output goes to stdout and to $OUT/gpu-smoke-check.log (OUT defaults to /tmp).
OUT=${OUT:-/tmp}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu-smoke-check.log") 2>&1
step() { echo; echo "=== $* ($(date +%T))"; }
GRPC_PORT=${GRPC_PORT:-18001}
HTTP_PORT=${HTTP_PORT:-19001}

step node and GPU
node -v
nvidia-smi -L 2>&1
ls /dev/nvidia* 2>&1 | head -5
env | grep -i '^nvidia_visible'

step CUDA libraries on the node
for lib in libcudart.so libcublasLt.so libcudnn.so libcufft.so libcurand.so; do
  echo "$lib: $(find / -xdev -name "$lib*" 2>/dev/null | head -4 | tr '\n' ' ')"
done
ls node_modules/onnxruntime-node/bin/napi-v6/linux/x64/

step onnxruntime-node CUDA session
node -e "
const ort = require('onnxruntime-node');
ort.InferenceSession.create('examples/models/iris/1/model.onnx', { executionProviders: ['cuda'] })
  .then((s) => console.log('CUDA session created, inputs', s.inputNames))
  .catch((e) => console.log('CUDA session failed:', e.message.split('\n')[0]));"

step model-server runtime tests
(cd services/model-server && timeout 300 node ../../node_modules/vitest/vitest.mjs run src/runtime src/model 2>&1 | tail -25)

step serve: examples on auto, iris-gpu on gpu
repo=$(mktemp -d)
cp -r examples/models/iris examples/models/convnet "$repo/"
cp -r examples/models/iris "$repo/iris-gpu"
sed -i 's/^device: auto/device: gpu/' "$repo/iris-gpu/config.yaml"
node tools/cli/dist/main.js serve model-server --grpc-port "$GRPC_PORT" --http-port "$HTTP_PORT" \
  --repository "$repo" > "$OUT/model-server.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "localhost:$HTTP_PORT/readyz" > /dev/null && break; sleep 0.2; done
for model in iris iris-gpu; do
  node tools/cli/dist/main.js infer --address "127.0.0.1:$GRPC_PORT" --model "$model" \
    --input '[[5.1,3.5,1.4,0.2]]' | tr -d ' \n'
  echo
done
curl -s "localhost:$HTTP_PORT/metrics" | grep '^sightline_model_info'
kill -TERM "$server"
wait "$server"
grep -E '"(gpuDetected|backend|reason)"' "$OUT/model-server.log" | cut -c1-400
rm -rf "$repo"
step done
