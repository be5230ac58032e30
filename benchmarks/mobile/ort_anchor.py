"""onnxruntime's own quantizer on the mobile benchmark's models: the anchor PtqSharp must beat.

quantize_static with QDQ format, per-channel int8 weights, uint8 activations, MinMax calibration, on the
same calibration samples the benchmark uses (written by `PtqSharp.Benchmarks mobile` as .npy files, or
the PNG pages of the PP-OCR detector). Runs with onnxruntime's Python package (no PyPI here):
    ../shared/tools/ort-python benchmarks/mobile/ort_anchor.py DATA_DIR
For each DATA_DIR/mobile/anchor/<name>.json job ({"model", "calibration", "input", "png": {...}?}) writes
DATA_DIR/mobile/anchor/<name>.ort.onnx, which the benchmark then times and scores like PtqSharp's own models.
"""
import onnx.reference  # noqa: F401 (Debian's onnxruntime needs onnx's schemas registered first)
import glob, json, os, sys, time
import numpy as np
import onnx
from onnx import version_converter
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process


class Reader(CalibrationDataReader):
    def __init__(self, job):
        files = sorted(glob.glob(os.path.join(job["calibration"], "*.npy")) + glob.glob(os.path.join(job["calibration"], "*.png")))[: job.get("count", 300)]
        self.items = iter(files)
        self.job = job

    def get_next(self):
        path = next(self.items, None)
        if path is None:
            return None
        if path.endswith(".npy"):
            x = np.load(path)
        else:
            from PIL import Image
            png = self.job["png"]
            img = np.asarray(Image.open(path).convert("RGB"), np.float32)[:, :, ::-1]  # BGR
            x = ((img - np.array(png["mean"], np.float32)) / np.array(png["scale"], np.float32)).transpose(2, 0, 1)[None].copy()
        return {self.job["input"]: x}


def main():
    root = sys.argv[1]
    for path in sorted(glob.glob(os.path.join(root, "mobile", "anchor", "*.json"))):
        job = json.load(open(path))
        out = path[:-5] + ".ort.onnx"
        if os.path.exists(out):
            continue
        pre = path[:-5] + ".pre.onnx"
        started = time.time()
        model = job["model"]
        # quantize_static upgrades opset 9 and 10 models only to 11, then writes per-channel DequantizeLinear (axis
        # needs opset 13) that ONNX Runtime refuses to load: give it a copy converted by onnx's version converter.
        if next(o.version for o in onnx.load(model, load_external_data=False).opset_import if o.domain in ("", "ai.onnx")) < 13:
            upgraded = path[:-5] + ".opset13.onnx"
            onnx.save(version_converter.convert_version(onnx.load(model), 13), upgraded)
            model = upgraded
        try:
            quant_pre_process(model, pre, skip_symbolic_shape=True)
            source = pre
        except Exception as e:  # the ORT preprocessor refuses some graphs; quantize the original then
            print("pre-process skipped:", e)
            source = model
        quantize_static(source, out, Reader(job), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        print(f"{os.path.basename(out)}: {time.time() - started:.1f} s")


if __name__ == "__main__":
    main()
