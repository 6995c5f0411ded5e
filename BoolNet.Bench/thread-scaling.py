#!/usr/bin/env python3
"""Thread scaling of a training epoch, per phase, with the serial fraction of each phase.

  python3 BoolNet.Bench/thread-scaling.py [--threads 1,2] [--rounds 5] [--model bold-mlp-int8]
                                          [--dll BoolNet.Cli/bin/Release/net10.0/boolnet.dll]
                                          [--project 4,8,16] [-- extra train options]

Runs `boolnet train --epochs 1` once per thread count per round, the order rotating from round to
round (a shared machine's load then hits every count alike), reads the phase times of metrics.json
(forward, backward, update, evaluation; "other" is the rest of the epoch: batch gathering, the loss,
the step loop) and prints per thread count the median over rounds, the speed-up against the first
count, and per phase the Karp-Flatt serial fraction

    e = (p T_p / T_1 - 1) / (p - 1)         (Karp and Flatt, CACM 33(5), 1990)

the share of a phase's one-thread time that behaves as if it did not run in parallel (spinning,
waiting for the slowest thread, memory traffic that does not scale count as serial). With e per
phase, Amdahl's law T_n = T_1 (e + (1 - e) / n) projects the epoch to the --project counts. The
weights must not depend on the thread count: the script checks that every run printed the same
weights sha256.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

PHASES = ["forward", "backward", "update", "other", "epoch", "evaluation"]


def run(dll, model, threads, extra, folder):
    command = ["dotnet", dll, "train", "--model", model, "--epochs", "1", "--threads", str(threads),
               "--seed", "1", "--out", folder, "--force"] + extra
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"error: {' '.join(command)} exited with {result.returncode}:\n{result.stderr[-2000:]}")
    sha = re.search(r"weights sha256 ([0-9a-f]{16})", result.stdout)
    with open(os.path.join(folder, "metrics.json")) as stream:
        epoch = json.load(stream)["epochs"][-1]
    phases = {"forward": epoch["forward_seconds"], "backward": epoch["backward_seconds"],
              "update": epoch["update_seconds"], "epoch": epoch["seconds"],
              "evaluation": epoch["evaluation_seconds"]}
    phases["other"] = max(0.0, phases["epoch"] - phases["forward"] - phases["backward"] - phases["update"])
    return phases, sha.group(1) if sha else "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--model", default="bold-mlp-int8")
    parser.add_argument("--dll", default="BoolNet.Cli/bin/Release/net10.0/boolnet.dll")
    parser.add_argument("--project", default="4,8,16")
    parser.add_argument("extra", nargs="*", help="after --: more train options")
    args = parser.parse_args()
    counts = [int(t) for t in args.threads.split(",")]
    projected = [int(t) for t in args.project.split(",") if t]
    if not os.path.exists(args.dll):
        sys.exit(f"error: {args.dll} not found (dotnet build -c Release first)")
    times = {t: {phase: [] for phase in PHASES} for t in counts}
    shas = set()
    with tempfile.TemporaryDirectory() as scratch:
        for r in range(args.rounds):
            order = counts[r % len(counts):] + counts[:r % len(counts)]
            line = []
            for t in order:
                phases, sha = run(args.dll, args.model, t, args.extra, os.path.join(scratch, f"t{t}"))
                shas.add(sha)
                for phase in PHASES:
                    times[t][phase].append(phases[phase])
                line.append(f"{t}t {phases['epoch']:.2f}s")
            load = os.getloadavg()[0]
            print(f"round {r + 1}: " + ", ".join(line) + f"  (load {load:.1f})", flush=True)
    median = {t: {phase: statistics.median(times[t][phase]) for phase in PHASES} for t in counts}
    base = counts[0]
    print(f"\n{args.model}, median of {args.rounds} rounds, seconds (speed-up against {base} thread"
          f"{'s' if base > 1 else ''})")
    print(f"{'phase':<11}" + "".join(f"{str(t) + (' thread' if t == 1 else ' threads'):>15}" for t in counts))
    for phase in PHASES:
        cells = []
        for t in counts:
            value = median[t][phase]
            ratio = median[base][phase] / value if value > 0 else float("nan")
            cells.append(f"{value:7.2f} {ratio:5.2f}x" if t != base else f"{value:7.2f}      ")
        print(f"{phase:<11}" + "".join(f"{c:>15}" for c in cells))
    if base == 1 and len(counts) > 1:
        p = counts[-1]
        print(f"\nserial fraction e (Karp-Flatt, 1 -> {p} threads) and Amdahl projection, seconds")
        print(f"{'phase':<11}{'e':>7}" + "".join(f"{str(n) + ' thr':>9}" for n in projected))
        totals = {n: 0.0 for n in projected}
        for phase in ["forward", "backward", "update", "other"]:
            t1, tp = median[1][phase], median[p][phase]
            e = (p * tp / t1 - 1) / (p - 1) if t1 > 0 else 0.0
            e = min(1.0, max(0.0, e))
            cells = []
            for n in projected:
                tn = t1 * (e + (1 - e) / n)
                totals[n] += tn
                cells.append(f"{tn:9.2f}")
            print(f"{phase:<11}{e:7.2f}" + "".join(cells))
        epoch1 = median[1]["epoch"]
        print(f"{'epoch':<11}{'':>7}" + "".join(f"{totals[n]:9.2f}" for n in projected))
        print(f"{'speed-up':<11}{'':>7}" + "".join(f"{epoch1 / totals[n]:8.2f}x" for n in projected))
    print(f"\nweights sha256 of every run: {', '.join(sorted(shas))}"
          + ("" if len(shas) == 1 else "  DIFFERENT: the thread count changed the weights"))
    return 0 if len(shas) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
