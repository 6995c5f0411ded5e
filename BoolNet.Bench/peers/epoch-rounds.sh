#!/bin/bash
# epoch-rounds.sh BOOLNET_DLL MODEL [ROUNDS] : alternating 1-epoch timing, BoolNet (metrics.json epoch seconds) vs PyTorch float MLP
dll=$1; model=$2; n=${3:-5}
for r in $(seq 1 $n); do
  rm -rf /tmp/er; dotnet "$dll" train --model $model --epochs 1 --threads 2 --seed 1 --out /tmp/er > /tmp/er.log 2>&1
  b=$(python3 -c "import json;d=json.load(open('/tmp/er/metrics.json'));print(d['epochs'][0]['seconds'])")
  p=$(/usr/bin/python3 "$(dirname "$0")/pytorch_mlp.py" --epochs 1 --threads 2 2>/dev/null | python3 -c "import sys,json;l=[json.loads(x) for x in sys.stdin if x.strip().startswith('{')];print([x for x in l if x.get('kind')=='epoch'][-1]['seconds'])")
  echo "round $r: boolnet $b s, pytorch $p s, ratio $(python3 -c "print(round($b/$p,3))" 2>/dev/null)"
done
