#!/usr/bin/env bash
# A careless or hostile user's run of the ptq tool, from the shell (Linux): missing, linked, empty and special
# files, outputs that collide with inputs, resource bombs, malformed data, bad options, weight compression, SIGTERM, SIGKILL. Each case prints
# ok or BAD (the exit code is not one expected, or a stack trace was printed), its exit code and the first error line.
# Usage: tests/hostile/run.sh   (builds the tool; works in a temporary folder it prints)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
dotnet build "$root/src/PtqSharp.Cli" -c Release -v q -nologo >/dev/null || exit 1
PTQ="dotnet $root/src/PtqSharp.Cli/bin/Release/net10.0/ptq.dll"
S=$root/samples/fashion-mnist
W=$(mktemp -d); echo "working in $W"; cd $W
cp $S/model.onnx m.onnx; mkdir cal; cp $S/calibration/*.png cal/ 2>/dev/null | true; ls cal | head -0
Q="quantize --mean 72.9 --scale 90 --subset-size 16 --latency-aware false"
n=0
case_() { # name expected-codes command...
  local name=$1 exp=$2; shift 2; n=$((n+1))
  local out; out=$(timeout 120 "$@" 2>&1); local rc=$?
  local line; line=$(grep -m1 -E "error|cancelled" <<<"$out" | cut -c1-150)
  local trace=""; grep -q "   at " <<<"$out" && trace=" STACKTRACE"
  local ok=BAD; [[ " $exp " == *" $rc "* ]] && [ -z "$trace" ] && ok=ok
  printf '%-4s %-44s rc=%-3s %s%s | %s\n' "$ok" "$name" "$rc" "" "$trace" "$line"
}
case_ "model missing" "2" $PTQ $Q --model nope.onnx --data cal --output o.onnx
case_ "model is folder" "2" $PTQ $Q --model cal --data cal --output o.onnx
mkfifo fifo.onnx; case_ "model is fifo" "2" $PTQ $Q --model fifo.onnx --data cal --output o.onnx
case_ "model is /dev/zero" "2" $PTQ $Q --model /dev/zero --data cal --output o.onnx
ln -s nothing dangling.onnx; case_ "model dangling link" "2" $PTQ $Q --model dangling.onnx --data cal --output o.onnx
: > empty.onnx; case_ "model empty" "2" $PTQ $Q --model empty.onnx --data cal --output o.onnx
head -c 5000 /dev/urandom > rand.onnx; case_ "model random bytes" "2" $PTQ $Q --model rand.onnx --data cal --output o.onnx
case_ "output == model" "2" $PTQ $Q --model m.onnx --data cal --output m.onnx
ln -s m.onnx mlink.onnx; case_ "output symlink to model" "2" $PTQ $Q --model m.onnx --data cal --output mlink.onnx
case_ "output via .. to model" "2" $PTQ $Q --model m.onnx --data cal --output cal/../m.onnx
case_ "output inside data folder" "2" $PTQ $Q --model m.onnx --data cal --output cal/o.onnx
cp m.onnx r.layers.csv; case_ "report csv == model" "2" $PTQ $Q --model r.layers.csv --data cal --output r.onnx --report
ln m.onnx hard.onnx; case_ "output hard link to model (kept)" "0" $PTQ $Q --model m.onnx --data cal --output hard.onnx
cmp -s m.onnx $S/model.onnx && echo "     model unchanged after hard-link output" || echo "BAD  model changed"
mkdir ro; chmod 555 ro; [ "$(id -u)" = 0 ] && echo "     (root writes to read-only folders: the next case exits 0)"; case_ "output folder read-only" "2 6 $([ "$(id -u)" = 0 ] && echo 0)" $PTQ $Q --model m.onnx --data cal --output ro/o.onnx
case_ "output in missing folder" "0 2" $PTQ $Q --model m.onnx --data cal --output newdir/sub/o.onnx
case_ "ignore pattern catastrophic" "0 2" $PTQ $Q --model m.onnx --data cal --output o2.onnx --ignore-patterns '(a+)+$'
case_ "ignore pattern invalid" "2" $PTQ $Q --model m.onnx --data cal --output o3.onnx --ignore-patterns '(['
mkdir loop; cp cal/00*.png loop/ 2>/dev/null; ln -s ../loop loop/self; case_ "data with link loop" "0" $PTQ $Q --model m.onnx --data loop --output o4.onnx
case_ "data missing" "2" $PTQ $Q --model m.onnx --data nodata --output o5.onnx
mkdir emptydata; case_ "data empty folder" "2" $PTQ $Q --model m.onnx --data emptydata --output o5.onnx
mkdir bomb; printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00N \x00\x00N \x08\x00\x00\x00\x00' > bomb/a.png; case_ "png bomb 20000x20000" "2" $PTQ $Q --model m.onnx --data bomb --output o6.onnx
mkdir trunc; f=$(ls cal | head -1); head -c 300 cal/$f > trunc/a.png; case_ "truncated png" "2" $PTQ $Q --model m.onnx --data trunc --output o7.onnx
mkdir fifodata; cp cal/$f fifodata/; mkfifo fifodata/b.png; case_ "fifo in data folder" "2" $PTQ $Q --model m.onnx --data fifodata --output o8.onnx
mkdir textdata; echo hello > textdata/a.png; case_ "text named png" "2" $PTQ $Q --model m.onnx --data textdata --output o9.onnx
case_ "batch size overflow" "1 2" $PTQ benchmark --model m.onnx --batch-size 99999999999
case_ "batch size huge" "2" $PTQ benchmark --model m.onnx --batch-size 2000000000
case_ "subset size negative" "1 2" $PTQ $Q --model m.onnx --data cal --output o10.onnx --subset-size -5
case_ "unknown option" "1" $PTQ $Q --model m.onnx --data cal --output o10.onnx --frobnicate
case_ "unknown device" "1 2" $PTQ $Q --model m.onnx --data cal --output o10.onnx --target-device TPU
echo '{"bad json' > bad.json; case_ "config bad json" "2" $PTQ quantize --config bad.json
case_ "config is folder" "2" $PTQ quantize --config cal
case_ "labels missing" "2" $PTQ evaluate --model m.onnx --data cal --labels nolabels.csv --mean 72.9 --scale 90
printf 'file,label\n0000.png,99\n' > badlabels.csv; case_ "labels out of range" "2" $PTQ evaluate --model m.onnx --data cal --labels badlabels.csv --mean 72.9 --scale 90
python3 -c "
import struct
h=b\"{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000,), }\"
h=h+b' '*(118-len(h))+b'\n'
open('big.npy','wb').write(b'\x93NUMPY\x01\x00'+struct.pack('<H',len(h))+h+b'\0'*64)
h=b\"{'descr': '<f4', 'fortran_order': True, 'shape': (1,1,28,28), }\"
h=h+b' '*(118-len(h))+b'\n'
open('fortran.npy','wb').write(b'\x93NUMPY\x01\x00'+struct.pack('<H',len(h))+h+b'\0'*3136)
h=b\"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\"
h=h+b' '*(118-len(h))+b'\n'
open('pickle.npy','wb').write(b'\x93NUMPY\x01\x00'+struct.pack('<H',len(h))+h+b'\x80\x04N.')
import zipfile
z=zipfile.ZipFile('bomb.npz','w',zipfile.ZIP_DEFLATED)
h=b\"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,28,28000), }\"
h=h+b' '*(118-len(h))+b'\n'
z.writestr('x.npy', b'\x93NUMPY\x01\x00'+struct.pack('<H',len(h))+h+b'\0'*(4*28*28000)); z.close()
"
for f in big fortran pickle; do mkdir np_$f; cp $f.npy np_$f/; case_ "npy $f" "2" $PTQ $Q --model m.onnx --data np_$f --output o11.onnx; done
mkdir np_bomb; cp bomb.npz np_bomb/; case_ "npz larger than model input" "2" $PTQ $Q --model m.onnx --data np_bomb --output o12.onnx
case_ "debug csv == model" "2" $PTQ debug --model m.onnx --quantized o.onnx --data cal --mean 72.9 --scale 90 --csv m.onnx
case_ "aa output collides with data" "2" $PTQ $Q --model m.onnx --data cal --validation $S/validation --method accuracy-aware --output cal/x.onnx
case_ "compress: output == model" "2" $PTQ compress-weights --model m.onnx --output m.onnx
case_ "compress: bad mode" "2" $PTQ compress-weights --model m.onnx --output cw.onnx --mode int3
case_ "compress: bad group" "2" $PTQ compress-weights --model m.onnx --output cw.onnx --group-size 24
case_ "compress: data missing" "2" $PTQ compress-weights --model m.onnx --output cw.onnx --data nodata
case_ "compress: gptq without data" "2" $PTQ compress-weights --model m.onnx --output cw.onnx --mode int4-asym --gptq
case_ "compress: awq without data" "2" $PTQ compress-weights --model m.onnx --output cw.onnx --mode int4-asym --awq
case_ "compress: random bytes model" "2" $PTQ compress-weights --model rand.onnx --output cw.onnx
mkdir ext; $PTQ $Q --model m.onnx --data cal --output ext/x.onnx --external-data --quiet >/dev/null 2>&1
cp -r ext ext_short; truncate -s -100 ext_short/x.onnx.data; case_ "external data short" "2" $PTQ benchmark --model ext_short/x.onnx --runs 1
cp -r ext ext_missing; rm ext_missing/x.onnx.data; case_ "external data missing" "2" $PTQ evaluate --model ext_missing/x.onnx --compare m.onnx --data cal --metric cosine --mean 72.9 --scale 90
cp -r ext ext_short2; truncate -s -100 ext_short2/x.onnx.data; case_ "quantize: external data short" "2" $PTQ $Q --model ext_short2/x.onnx --data cal --output o13.onnx
mkdir full; if mount -t tmpfs -o size=8k tmpfs full 2>/dev/null; then
  case_ "output folder without room (8 KiB)" "6" $PTQ $Q --model m.onnx --data cal --output full/o.onnx
  echo "     files left in the full folder: $(ls -A full | wc -l)"; umount full
else echo "     (no tmpfs mount here: the no-room case needs root)"; fi
case_ "json: usage error" "1" $PTQ quantize --json --bogus
case_ "provider missing" "2" $PTQ inspect m.onnx --provider CUDA
( $PTQ quantize --model m.onnx --data cal --mean 72.9 --scale 90 --output sig.onnx --validation $S/validation --method accuracy-aware --metric cosine --max-drop 0 > sig.log 2>&1 & p=$!; sleep 2; kill -TERM $p 2>/dev/null; wait $p; echo "rc=$?" >> sig.log ) ; echo "     SIGTERM after 2 s: $(tail -1 sig.log), $(grep -c cancelled sig.log) cancelled message, $(ls -a | grep -c '^sig\.\(onnx\|fully\|acc\)') outputs written"
# SIGKILL (the out-of-memory killer) leaves the run's scratch folder; the next run deletes folders of ended processes once an hour old.
mkdir kill-tmp
( TMPDIR=$W/kill-tmp $PTQ quantize --model m.onnx --data cal --mean 72.9 --scale 90 --output kill.onnx --validation $S/validation --method accuracy-aware --metric cosine --max-drop 0 > kill.log 2>&1 & p=$!; sleep 2; kill -KILL $p 2>/dev/null; wait $p 2>/dev/null )
left=$(ls kill-tmp | grep -c '^ptq-'); touch -d '2 hours ago' kill-tmp/ptq-* 2>/dev/null
TMPDIR=$W/kill-tmp $PTQ $Q --model m.onnx --data cal --output kill2.onnx > /dev/null 2>&1
echo "     SIGKILL after 2 s: $left temporary folder(s) left; after the next run: $(ls kill-tmp | grep -c '^ptq-')"
rm -rf kill-tmp
ls -la $W | grep -E "tmp|ptq" || echo "     no temporary files left in the working folder"
echo "cases: $n"
