#!/bin/bash
# infer-rounds.sh MODEL.bnm [ROUNDS] (BOOLNET_DLL: the boolnet.dll to run) : boolnet bench (batch 1, batch 1000, 2 threads) alternating with the PyTorch float MLP
m=$1; n=${2:-3}; dll=${BOOLNET_DLL:-BoolNet.Cli/bin/Release/net10.0/boolnet.dll}
for r in $(seq 1 $n); do
  b1=$(dotnet "$dll" bench $m --batch 1 --threads 2 --seconds 3 --json 2>/dev/null)
  bk=$(dotnet "$dll" bench $m --batch 1000 --threads 2 --seconds 4 --json 2>/dev/null)
  p=$(/usr/bin/python3 "$(dirname "$0")/pytorch_mlp.py" --mode infer --threads 2 2>/dev/null | grep '"infer"')
  python3 - "$b1" "$bk" "$p" $r <<'PY'
import json,sys
b1=json.loads(sys.argv[1]); bk=json.loads(sys.argv[2]); p=json.loads(sys.argv[3])
def find(d,*keys):
    for k in keys:
        if k in d: return d[k]
    return None
lat=find(b1,'latency_median_us','batch1_median_us','median_us'); thr=find(bk,'images_per_second')
print(f"round {sys.argv[4]}: boolnet b1 {lat} us, b1000 {thr} img/s | pytorch b1 {p['batch1_median_us']} us, b1000 {p['throughput_images_per_second']} img/s | latency {p['batch1_median_us']/lat:.1f}x lower, throughput {thr/p['throughput_images_per_second']:.2f}x")
PY
done
