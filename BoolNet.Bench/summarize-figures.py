"""Summarises kernel-figures.sh output: best and median of the per-run figures per (isa, shape, op, threads)."""
import json
import statistics
import sys
from collections import defaultdict

runs = defaultdict(list)
for line in sys.stdin:
    line = line.strip()
    if not line.startswith("{"):
        continue
    record = json.loads(line)
    key = (record["isa"], f'{record["m"]}x{record["k"]}x{record["n"]}', record["op"], record["threads"])
    runs[key].append(record)

print("isa     shape          op  thr  wall-gops median/best  cpu-gops median/best  load")
for key in sorted(runs, key=lambda k: (k[1], k[2], k[3], k[0])):
    rs = runs[key]
    wall = [r["gops"] for r in rs]
    best = [r["best_gops"] for r in rs]
    cpu = [r["cpu_gops"] for r in rs]
    load = [r["load_average"] for r in rs]
    print(f"{key[0]:7} {key[1]:14} {key[2]:3} {key[3]:3}  {statistics.median(wall):8.1f} / {max(best):7.1f}"
          f"      {statistics.median(cpu):8.1f} / {max(cpu):7.1f}   {statistics.median(load):.1f}")
