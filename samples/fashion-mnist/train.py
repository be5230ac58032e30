"""Trains the shipped sample: a small CNN on Fashion-MNIST, exported to ONNX.

Run with Debian's interpreter (apt-get install python3-torch python3-pil dataset-fashion-mnist):
    /usr/bin/python3 samples/fashion-mnist/train.py

Writes, next to this script:
    model.onnx                  FP32 classifier, input "image" [N,1,28,28], output "logits" [N,10]
    calibration/*.png           400 unlabeled training images the network never trained on
    validation/<k>_<name>/*.png 500 labeled test images, 50 per class (folder order = class index)
Input normalisation: x = (pixel - 72.9) / 90.0, pixel in 0..255 (README: --mean 72.9 --scale 90).
"""
import gzip, os, shutil
import numpy as np
import torch
import torch.nn as nn
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "/usr/share/datasets/fashion-mnist"
CLASSES = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"]
MEAN, SCALE = 72.9, 90.0
HOLD_OUT = 2000  # the last training images: never trained on, calibration comes from here


def idx(name, offset):
    with gzip.open(os.path.join(DATA, name)) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        def block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())
        self.stem = block(1, 16)
        self.pool1 = nn.MaxPool2d(2)
        self.b2 = block(16, 32)
        self.pool2 = nn.MaxPool2d(2)
        self.res = nn.Sequential(nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32))
        self.relu = nn.ReLU()
        self.b3 = block(32, 64)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.pool1(self.stem(x))
        x = self.pool2(self.b2(x))
        x = self.relu(x + self.res(x))
        x = self.gap(self.b3(x))
        return self.fc(torch.flatten(x, 1))


def main():
    torch.manual_seed(0)
    np.random.seed(0)
    x_train = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    y_train = idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64)
    x_test = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    y_test = idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64)

    def tensor(x):
        return (torch.from_numpy(x.astype(np.float32)) - MEAN).div(SCALE).unsqueeze(1)

    xt, yt = tensor(x_train[:-HOLD_OUT]), torch.from_numpy(y_train[:-HOLD_OUT])
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    for epoch in range(4):
        net.train()
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), 128):
            b = perm[i:i + 128]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(net(xt[b]), yt[b])
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            acc = (net(tensor(x_test)).argmax(1).numpy() == y_test).mean()
        print(f"epoch {epoch}: loss {loss.item():.3f} test top-1 {acc:.4f}")

    torch.onnx.export(net, torch.zeros(1, 1, 28, 28), os.path.join(HERE, "model.onnx"),
                      input_names=["image"], output_names=["logits"], opset_version=13,
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})

    cal = os.path.join(HERE, "calibration")
    shutil.rmtree(cal, ignore_errors=True)
    os.makedirs(cal)
    start = len(x_train) - HOLD_OUT
    for i in range(400):
        Image.fromarray(x_train[start + i]).save(os.path.join(cal, f"{i:04d}.png"))

    val = os.path.join(HERE, "validation")
    shutil.rmtree(val, ignore_errors=True)
    for k, name in enumerate(CLASSES):
        folder = os.path.join(val, f"{k}_{name}")
        os.makedirs(folder)
        for j, i in enumerate(np.flatnonzero(y_test == k)[:50]):
            Image.fromarray(x_test[i]).save(os.path.join(folder, f"{i:05d}.png"))


if __name__ == "__main__":
    main()
