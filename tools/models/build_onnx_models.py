"""Builds the example data set and ONNX models under examples/.

Called by tools/models/src/main.ts (`npm run models`) with Debian's /usr/bin/python3, which
sees python3-sklearn, python3-numpy and python3-onnx. Every step is deterministic: the same
inputs and seeds give the same bytes, so the committed artifacts can be checked by rebuilding.

Subcommands:
  iris-csv      --out FILE                    copy scikit-learn's bundled iris data as a clean CSV
  iris-onnx     --data FILE --out FILE        train logistic regression, write it as ONNX
                [--c C --subset-fraction F --subset-seed S]   (the iris-v2 candidate)
  convnet-onnx  --out FILE --channels a,b,c --image-size N --hidden H --rank R --classes K --seed S
  shap-onnx     --model linear|interaction|threshold --out FILE
                                              a Kernel SHAP fidelity model (10 features -> 1 output)
"""

import argparse
import csv
import importlib.util
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# Opset 13 is old enough for every onnxruntime the model-server may meet and has
# axis-wise Softmax (older opsets flatten to 2-D first).
OPSET = 13
# Pin the IR version rather than taking this onnx release's default, so a newer onnx
# package writes the same bytes.
IR_VERSION = 7
PRODUCER = "sightline-models"

IRIS_HEADER = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
IRIS_FEATURES = 4
IRIS_CLASSES = 3
# Fixed so the trained weights, and so the .onnx bytes, are the same on every rebuild.
IRIS_RANDOM_STATE = 0
IRIS_MAX_ITER = 1000

CONVNET_IN_CHANNELS = 3

# The Kernel SHAP fidelity models (issue 13): 10 features in, one output, fixed coefficients.
# services/explainer/src/methods/testing/fidelity-models.ts holds the same models as plain
# functions; its ONNX test checks that both give the same outputs.
SHAP_FEATURES = 10
SHAP_LINEAR_WEIGHTS = [0.8, -0.5, 0.3, 1.2, -0.9, 0.4, 0.0, 0.6, -0.2, 0.7]
SHAP_LINEAR_BIAS = 0.1
SHAP_INTERACTION_WEIGHTS = [0.5, -0.3, 0.2, 0.6, -0.4, 0.3, 0.1, -0.2, 0.4, 0.25]
# (row, column, value) of the upper-triangular A in x^T A x.
SHAP_INTERACTION_PAIRS = [(0, 1, 0.1), (2, 3, -0.08), (4, 5, 0.06), (1, 6, 0.05)]
SHAP_INTERACTION_TRIPLE = ([7, 8, 9], 0.04)
SHAP_THRESHOLD_CUTS = [0.0, 0.5, -0.5, 0.0, 1.0, -1.0, 0.2, -0.2, 0.3, 0.0]
SHAP_THRESHOLD_VALUES = [0.5, -0.4, 0.3, 0.6, -0.3, 0.2, 0.4, -0.5, 0.3, 0.2]
SHAP_THRESHOLD_JOINT = ([0, 1], 0.3)


def sklearn_iris_path():
    """The iris CSV that Debian's python3-sklearn ships (no download needed).

    Found without importing sklearn, whose import alone takes a second or more.
    """
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("iris-csv: scikit-learn is not installed (apt-get install python3-sklearn)")
    return os.path.join(spec.submodule_search_locations[0], "datasets", "data", "iris.csv")


def write_iris_csv(out_path):
    # The bundled file's first line is "150,4,setosa,versicolor,virginica" (counts and class
    # names), not a header; the rows keep their original decimal spelling, copied verbatim.
    with open(sklearn_iris_path(), newline="") as f:
        rows = list(csv.reader(f))
    meta, body = rows[0], rows[1:]
    n_rows, n_features = int(meta[0]), int(meta[1])
    if len(body) != n_rows or any(len(r) != n_features + 1 for r in body):
        raise SystemExit(f"unexpected iris.csv shape in {sklearn_iris_path()}")
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(IRIS_HEADER)
        for r in body:
            w.writerow([v.strip() for v in r])


def read_iris_csv(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != IRIS_HEADER:
            raise SystemExit(f"{path}: expected header {IRIS_HEADER}, got {header}")
        rows = list(reader)
    x = np.array([[float(v) for v in r[:IRIS_FEATURES]] for r in rows], dtype=np.float64)
    y = np.array([int(r[IRIS_FEATURES]) for r in rows], dtype=np.int64)
    return x, y


def save_model(graph, out_path):
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name=PRODUCER,
        producer_version="1",
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "wb") as f:
        f.write(model.SerializeToString())


def build_iris_onnx(data_path, out_path, c=1.0, subset_fraction=1.0, subset_seed=0):
    """Logistic regression on iris. The defaults give the `iris` model; the `iris-v2` candidate
    (the local stack's shadow) is trained on a seeded subset with stronger regularisation, so
    it is a real, different model whose answers differ on a few flowers."""
    from sklearn.linear_model import LogisticRegression

    x, y = read_iris_csv(data_path)
    if subset_fraction < 1.0:
        keep = np.random.default_rng(subset_seed).permutation(len(y))[: int(round(len(y) * subset_fraction))]
        x_fit, y_fit = x[np.sort(keep)], y[np.sort(keep)]
    else:
        x_fit, y_fit = x, y
    # lbfgs on three classes fits the multinomial (softmax) model, which is exactly
    # MatMul + Add + Softmax at inference time.
    clf = LogisticRegression(C=c, solver="lbfgs", max_iter=IRIS_MAX_ITER, random_state=IRIS_RANDOM_STATE)
    clf.fit(x_fit, y_fit)
    accuracy = float(clf.score(x, y))

    weights = clf.coef_.T.astype(np.float32)  # [4, 3]
    bias = clf.intercept_.astype(np.float32)  # [3]
    graph = helper.make_graph(
        nodes=[
            helper.make_node("MatMul", ["input", "weights"], ["logits_no_bias"], name="matmul"),
            helper.make_node("Add", ["logits_no_bias", "bias"], ["logits"], name="add_bias"),
            helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=-1),
        ],
        name="iris_logistic_regression",
        inputs=[helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", IRIS_FEATURES])],
        outputs=[helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", IRIS_CLASSES])],
        initializer=[
            numpy_helper.from_array(weights, "weights"),
            numpy_helper.from_array(bias, "bias"),
        ],
    )
    save_model(graph, out_path)
    print(f"iris: training accuracy {accuracy:.4f}, wrote {out_path}")


def build_convnet_onnx(out_path, channels, image_size, hidden, rank, classes, seed):
    """A small VGG-style network with fixed-seed random weights.

    It is not trained: it exists to cost real CPU time per row, for the dynamic batching
    benchmark. He-normal weights keep activations in a sane range through the ReLUs so the
    logits are finite and vary with the input.
    """
    rng = np.random.default_rng(seed)
    nodes = []
    initializers = []
    prev, c_in, size = "image", CONVNET_IN_CHANNELS, image_size
    for i, c_out in enumerate(channels, start=1):
        fan_in = c_in * 3 * 3
        w = (rng.standard_normal((c_out, c_in, 3, 3)) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        b = np.zeros((c_out,), dtype=np.float32)
        initializers += [numpy_helper.from_array(w, f"conv{i}_w"), numpy_helper.from_array(b, f"conv{i}_b")]
        nodes += [
            helper.make_node(
                "Conv", [prev, f"conv{i}_w", f"conv{i}_b"], [f"conv{i}"], name=f"conv{i}",
                kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1],
            ),
            helper.make_node("Relu", [f"conv{i}"], [f"relu{i}"], name=f"relu{i}"),
            helper.make_node(
                "MaxPool", [f"relu{i}"], [f"pool{i}"], name=f"pool{i}", kernel_shape=[2, 2], strides=[2, 2],
            ),
        ]
        prev, c_in, size = f"pool{i}", c_out, size // 2
    features = c_in * size * size
    nodes.append(helper.make_node("Flatten", [prev], ["flat"], name="flatten", axis=1))
    prev = "flat"
    if hidden > 0:
        # The hidden layer's weight is stored as two low-rank factors and multiplied once when
        # the session loads (onnxruntime folds a MatMul of two initializers into a constant).
        # The file stays small while the runtime weight is large, so batch 1 is a memory-bound
        # matrix-vector product and a batch reads that weight once for all its rows.
        u = (rng.standard_normal((features, rank)) * np.sqrt(1.0 / rank)).astype(np.float32)
        v = (rng.standard_normal((rank, hidden)) * np.sqrt(2.0 / features)).astype(np.float32)
        b = np.zeros((hidden,), dtype=np.float32)
        initializers += [
            numpy_helper.from_array(u, "fc1_u"),
            numpy_helper.from_array(v, "fc1_v"),
            numpy_helper.from_array(b, "fc1_b"),
        ]
        nodes += [
            helper.make_node("MatMul", ["fc1_u", "fc1_v"], ["fc1_w"], name="fc1_weight"),
            helper.make_node("Gemm", [prev, "fc1_w", "fc1_b"], ["fc1"], name="fc1"),
            helper.make_node("Relu", ["fc1"], ["fc1_relu"], name="fc1_relu"),
        ]
        prev, features = "fc1_relu", hidden
    fc_w = (rng.standard_normal((features, classes)) * np.sqrt(1.0 / features)).astype(np.float32)
    fc_b = np.zeros((classes,), dtype=np.float32)
    initializers += [numpy_helper.from_array(fc_w, "fc_w"), numpy_helper.from_array(fc_b, "fc_b")]
    nodes.append(helper.make_node("Gemm", [prev, "fc_w", "fc_b"], ["logits"], name="fc"))
    graph = helper.make_graph(
        nodes=nodes,
        name="convnet",
        inputs=[
            helper.make_tensor_value_info(
                "image", TensorProto.FLOAT, ["batch", CONVNET_IN_CHANNELS, image_size, image_size]
            )
        ],
        outputs=[helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", classes])],
        initializer=initializers,
    )
    save_model(graph, out_path)
    params = sum(int(np.prod(t.dims)) for t in initializers)
    print(
        f"convnet: channels {channels}, image {image_size}, hidden {hidden} (rank {rank}), "
        f"{params} stored parameters, wrote {out_path}"
    )


def f32(values):
    return np.array(values, dtype=np.float32)


def build_shap_onnx(model, out_path):
    """y = w.x + b (linear); w.x + x^T A x + c x7 x8 x9 (interaction);
    v.[x > t] + c [x0 + x1 > 0] (threshold). Input `input` FP32 [batch, 10], output `output`
    FP32 [batch, 1]."""
    n = SHAP_FEATURES
    init = []
    if model == "linear":
        init += [
            numpy_helper.from_array(f32(SHAP_LINEAR_WEIGHTS).reshape(n, 1), "w"),
            numpy_helper.from_array(f32([SHAP_LINEAR_BIAS]), "b"),
        ]
        nodes = [
            helper.make_node("MatMul", ["input", "w"], ["linear"], name="linear"),
            helper.make_node("Add", ["linear", "b"], ["output"], name="bias"),
        ]
    elif model == "interaction":
        a = np.zeros((n, n), dtype=np.float32)
        for i, j, v in SHAP_INTERACTION_PAIRS:
            a[i, j] = v
        triple, c = SHAP_INTERACTION_TRIPLE
        init += [
            numpy_helper.from_array(f32(SHAP_INTERACTION_WEIGHTS).reshape(n, 1), "w"),
            numpy_helper.from_array(a, "a"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
            numpy_helper.from_array(np.array(triple, dtype=np.int64), "triple"),
            numpy_helper.from_array(f32([c]), "c"),
        ]
        nodes = [
            helper.make_node("MatMul", ["input", "w"], ["linear"], name="linear"),
            helper.make_node("MatMul", ["input", "a"], ["xa"], name="xa"),
            helper.make_node("Mul", ["xa", "input"], ["xax"], name="xax"),
            helper.make_node("ReduceSum", ["xax", "axis1"], ["quadratic"], name="quadratic", keepdims=1),
            helper.make_node("Gather", ["input", "triple"], ["triple_x"], name="triple_x", axis=1),
            helper.make_node("ReduceProd", ["triple_x"], ["triple_prod"], name="triple_prod", axes=[1], keepdims=1),
            helper.make_node("Mul", ["triple_prod", "c"], ["triple_term"], name="triple_term"),
            helper.make_node("Add", ["linear", "quadratic"], ["partial"], name="partial"),
            helper.make_node("Add", ["partial", "triple_term"], ["output"], name="sum"),
        ]
    elif model == "threshold":
        joint, c = SHAP_THRESHOLD_JOINT
        init += [
            numpy_helper.from_array(f32(SHAP_THRESHOLD_CUTS), "cuts"),
            numpy_helper.from_array(f32(SHAP_THRESHOLD_VALUES).reshape(n, 1), "v"),
            numpy_helper.from_array(np.array(joint, dtype=np.int64), "joint"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
            numpy_helper.from_array(f32([0.0]), "zero"),
            numpy_helper.from_array(f32([c]), "c"),
        ]
        nodes = [
            helper.make_node("Greater", ["input", "cuts"], ["above"], name="above"),
            helper.make_node("Cast", ["above"], ["steps"], name="steps", to=TensorProto.FLOAT),
            helper.make_node("MatMul", ["steps", "v"], ["per_feature"], name="per_feature"),
            helper.make_node("Gather", ["input", "joint"], ["joint_x"], name="joint_x", axis=1),
            helper.make_node("ReduceSum", ["joint_x", "axis1"], ["joint_sum"], name="joint_sum", keepdims=1),
            helper.make_node("Greater", ["joint_sum", "zero"], ["joint_above"], name="joint_above"),
            helper.make_node("Cast", ["joint_above"], ["joint_step"], name="joint_step", to=TensorProto.FLOAT),
            helper.make_node("Mul", ["joint_step", "c"], ["joint_term"], name="joint_term"),
            helper.make_node("Add", ["per_feature", "joint_term"], ["output"], name="sum"),
        ]
    else:
        raise SystemExit(f"--model: expected linear, interaction or threshold, got {model}")
    graph = helper.make_graph(
        nodes=nodes,
        name=f"shap_{model}",
        inputs=[helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", n])],
        outputs=[helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 1])],
        initializer=init,
    )
    save_model(graph, out_path)
    print(f"shap-{model}: wrote {out_path}")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("iris-csv")
    p.add_argument("--out", required=True)
    p = sub.add_parser("iris-onnx")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength (scikit-learn's C)")
    p.add_argument("--subset-fraction", type=float, default=1.0, help="train on this seeded fraction of the rows")
    p.add_argument("--subset-seed", type=int, default=0)
    p = sub.add_parser("convnet-onnx")
    p.add_argument("--out", required=True)
    # No defaults: tools/models/src/example-models.ts (CONVNET_ARCHITECTURE) is the one source.
    p.add_argument("--channels", required=True, help="output channels per conv stage, e.g. 16,32,64")
    p.add_argument("--image-size", type=int, required=True)
    p.add_argument("--hidden", type=int, required=True, help="hidden dense units, 0 for none")
    p.add_argument("--rank", type=int, required=True, help="rank of the hidden weight's stored factors")
    p.add_argument("--classes", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p = sub.add_parser("shap-onnx")
    p.add_argument("--model", required=True, choices=["linear", "interaction", "threshold"])
    p.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    if args.command == "iris-csv":
        write_iris_csv(args.out)
        print(f"iris-csv: wrote {args.out}")
    elif args.command == "iris-onnx":
        build_iris_onnx(args.data, args.out, args.c, args.subset_fraction, args.subset_seed)
    elif args.command == "shap-onnx":
        build_shap_onnx(args.model, args.out)
    else:
        channels = [int(c) for c in args.channels.split(",") if c]
        if not channels:
            raise SystemExit("--channels: expected at least one channel count")
        if args.image_size % (2 ** len(channels)) != 0:
            raise SystemExit(f"--image-size: {args.image_size} must be divisible by 2^{len(channels)}")
        build_convnet_onnx(args.out, channels, args.image_size, args.hidden, args.rank, args.classes, args.seed)


if __name__ == "__main__":
    main(sys.argv[1:])
