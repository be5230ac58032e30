#!/usr/bin/env bash
# The real-model suite on a fresh machine: Fashion-MNIST from Debian, ResNet18 from NuGet (restored by the build).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  sudo_cmd=$(command -v sudo || true)
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq dataset-fashion-mnist
fi
dotnet run -c Release --project benchmarks/PtqSharp.Benchmarks -- suite
