"""Probe: does cross-layer equalization (Nagel et al., Data-Free Quantization, 2019) pay off before PtqSharp?

Rescales the channels between two convolutions exactly, so per-tensor activation quantization treats them alike:
for Conv A -> [BatchNormalization] -> [Relu] -> Conv B, where A's output feeds only B (the ReLU commutes with a
positive scale), A's output channel c (or the BatchNormalization's) is divided by s_c and B's input channel c
multiplied by it.
  free: only where B is depthwise. With per-channel weights on both sides neither weight quantizer sees a change,
        and s_c = r_c / max(r) (r_c: channel c's largest |value| on the calibration data) gives every channel of the
        activation the full 8-bit range, i.e. per-channel activation quantization at no cost.
  all:  also where B is dense, balancing activation range against B's weight column range: s_c ~ sqrt(r_c / w_c).
Weights may be initializers or Constant nodes. Writes the equalized FP32 model; quantize it and the original with
`ptq quantize --latency-aware false --subset-size 200 --hold-out 100` and compare the held-out cosine. Run with
onnxruntime's Python package: ../shared/tools/ort-python benchmarks/mobile/equalization_probe.py MODEL NPY_DIR OUT [all]
"""
import onnx.reference  # noqa: F401 (Debian's onnxruntime needs onnx's schemas registered first)
import glob, os, sys
import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

src, calibration, dst = sys.argv[1], sys.argv[2], sys.argv[3]
mode = sys.argv[4] if len(sys.argv) > 4 else "free"
model = onnx.load(src)
graph = model.graph
tensors = {i.name: i for i in graph.initializer}
for n in graph.node:
    if n.op_type == "Constant" and n.attribute[0].name == "value":
        tensors[n.output[0]] = n.attribute[0].t
consumers = {}
for n in graph.node:
    for i in n.input:
        consumers.setdefault(i, []).append(n)
readers = lambda t: consumers.get(t, []) + ([None] if t in {o.name for o in graph.output} else [])


def group(node):
    return next((a.i for a in node.attribute if a.name == "group"), 1)


def array(name):
    return numpy_helper.to_array(tensors[name]).astype(np.float64)


def store(name, values):
    tensors[name].CopyFrom(numpy_helper.from_array(values.astype(np.float32), tensors[name].name))


pairs = []
for a in graph.node:
    if a.op_type != "Conv" or a.input[1] not in tensors or group(a) != 1:
        continue
    tensor, after, norm = a.output[0], readers(a.output[0]), None
    if len(after) == 1 and after[0] is not None and after[0].op_type == "BatchNormalization" and after[0].input[1] in tensors and after[0].input[2] in tensors:
        norm = after[0]
        tensor, after = norm.output[0], readers(norm.output[0])
    if len(after) == 1 and after[0] is not None and after[0].op_type == "Relu":
        tensor, after = after[0].output[0], readers(after[0].output[0])
    if len(after) != 1 or after[0] is None or after[0].op_type != "Conv" or after[0].input[1] not in tensors:
        continue
    b = after[0]
    w = array(b.input[1])
    depthwise = group(b) == w.shape[0] and w.shape[1] == 1
    first = norm or a
    changed = {first.input[1], b.input[1]} | ({first.input[2]} if len(first.input) > 2 and first.input[2] else set())
    shared = [n for n in graph.node if n is not first and n is not b and changed & set(n.input)]
    computed = len(first.input) > 2 and first.input[2] and first.input[2] not in tensors
    if (mode == "free" and not depthwise) or shared or computed:
        continue
    pairs.append((first, b, tensor, depthwise))
print(f"{len(pairs)} pairs ({sum(p[3] for p in pairs)} into depthwise convolutions)")
if not pairs:
    sys.exit(0)

probe = onnx.load(src)
for _, _, t, _ in pairs:
    probe.graph.output.append(helper.make_tensor_value_info(t, onnx.TensorProto.FLOAT, None))
session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
names = [p[2] for p in pairs]
largest = {}
for path in sorted(glob.glob(calibration + "/*.npy"))[:200]:
    for name, value in zip(names, session.run(names, {session.get_inputs()[0].name: np.load(path)})):
        r = np.abs(value).max(axis=(0, 2, 3))
        largest[name] = np.maximum(largest.get(name, r), r)

for a, b, t, depthwise in pairs:
    r = largest[t]
    live = r > 1e-6 * r.max()
    if depthwise:
        s = np.where(live, r / r.max(), 1.0)
    else:
        column = np.abs(array(b.input[1])).max(axis=(0, 2, 3))
        s = np.sqrt(np.where(live, r, 1.0) / np.where(column > 0, column, 1.0))
        s = s / s.max()
    if a.op_type == "BatchNormalization":
        # An unfolded BatchNormalization after A: its scale and shift carry the division.
        store(a.input[1], array(a.input[1]) / s)
        store(a.input[2], array(a.input[2]) / s)
    else:
        store(a.input[1], array(a.input[1]) / s[:, None, None, None])
        if len(a.input) > 2 and a.input[2]:
            store(a.input[2], array(a.input[2]) / s)
    store(b.input[1], array(b.input[1]) * (s[:, None, None, None] if depthwise else s[None, :, None, None]))
os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
onnx.save(model, dst)
print(f"wrote {dst}")
