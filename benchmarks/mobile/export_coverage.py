"""Exports the mobile coverage models of the benchmark's `mobile` mode to ONNX.

torchvision architectures with random weights (seeded), whose BatchNorm statistics are re-estimated on
real images (Fashion-MNIST, resized to 224x224, grey replicated to RGB, ImageNet normalisation) so
activations have realistic ranges, plus small LSTM and GRU text classifiers. Run with Debian's
interpreter (benchmarks/mobile/run.sh installs python3-torch, python3-torchvision, dataset-fashion-mnist):
    /usr/bin/python3 benchmarks/mobile/export_coverage.py OUT_DIR
Writes OUT_DIR/<name>.onnx (opset 13, input "input" [1,3,224,224] or "tokens" [1,32] int64).
"""
import gzip, os, sys
import numpy as np
import torch
import torch.nn as nn
import torchvision

OUT = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/.data/mobile"
DATA = "/usr/share/datasets/fashion-mnist"
MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(3, 1, 1)


def images(count, offset):
    """Fashion-MNIST training images as normalised [count, 3, 224, 224] tensors (nearest-neighbour 8x upscale)."""
    with gzip.open(os.path.join(DATA, "train-images-idx3-ubyte.gz")) as f:
        raw = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[offset:offset + count]
    big = raw.repeat(8, axis=1).repeat(8, axis=2).astype(np.float32) / 255.0
    rgb = np.repeat(big[:, None], 3, axis=1)
    return torch.from_numpy((rgb - MEAN) / STD)


def reestimate_batchnorm(model, batches=16, batch=32):
    """Cumulative BatchNorm statistics over real images, so random weights see realistic activations."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        for b in range(batches):
            model(images(batch, 20000 + b * batch))
    model.eval()


class TextClassifier(nn.Module):
    """Embedding, one recurrent layer, a linear head on the last hidden state: the shape of small text models."""

    def __init__(self, cell):
        super().__init__()
        self.embedding = nn.Embedding(5000, 128)
        self.rnn = cell(128, 256, batch_first=True)
        self.head = nn.Linear(256, 10)

    def forward(self, tokens):
        out, _ = self.rnn(self.embedding(tokens))
        return self.head(out[:, -1])


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    vision = {
        "mobilenet_v3_small": torchvision.models.mobilenet_v3_small,
        "mobilenet_v3_large": torchvision.models.mobilenet_v3_large,
        "efficientnet_b0": torchvision.models.efficientnet_b0,
        "mnasnet1_0": torchvision.models.mnasnet1_0,
        "shufflenet_v2_x1_0": torchvision.models.shufflenet_v2_x1_0,
    }
    for name, build in vision.items():
        path = os.path.join(OUT, name + ".onnx")
        if os.path.exists(path):
            continue
        model = build(weights=None)
        reestimate_batchnorm(model)
        torch.onnx.export(model, images(1, 0), path, opset_version=13, input_names=["input"], output_names=["logits"])
        print("wrote", path)
    for name, cell in {"lstm_text": nn.LSTM, "gru_text": nn.GRU}.items():
        path = os.path.join(OUT, name + ".onnx")
        if os.path.exists(path):
            continue
        model = TextClassifier(cell).eval()
        tokens = torch.randint(0, 5000, (1, 32))
        torch.onnx.export(model, tokens, path, opset_version=13, input_names=["tokens"], output_names=["logits"])
        print("wrote", path)


if __name__ == "__main__":
    main()
