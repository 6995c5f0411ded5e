#!/usr/bin/env python3
"""Float MLP peer for BoolNet's benchmarks (PyTorch, CPU).

Model: 784-1024-1024-10 fully connected, ReLU, cross-entropy; the float reference BoolNet's Boolean
MLPs are compared against. Data: Fashion-MNIST read directly from the IDX files (raw or gzip, detected
by the gzip magic), pixels scaled to [0, 1].

Modes (each prints JSON, one object per line, on stdout):
  --mode train  one line per epoch: training seconds (the optimisation loop only), mean training loss,
                test accuracy; --max-batches limits batches per epoch for quick timing.
  --mode infer  batch-1 latency (median, p99 over --runs calls after --warmup) and batch-N throughput
                (images/s, --throughput-batch, default 1000) of the same model in eval mode.

Threads: --threads (default 2) sets torch.set_num_threads and, before torch is imported, the
OpenMP/OpenBLAS/MKL thread counts, so all of PyTorch's pools match. OMP_WAIT_POLICY is PASSIVE by
default: Debian's PyTorch runs element-wise ops on an OpenMP pool and matrix products on OpenBLAS's
own pthreads, and with the default spinning OpenMP threads steal the cores from OpenBLAS; measured
on the 2-core machine under load, a training step went from ~860 ms (spinning) to ~65-140 ms (passive).

Examples:
  python3 pytorch_mlp.py --epochs 1
  python3 pytorch_mlp.py --epochs 1 --max-batches 100 --optimizer sgd --lr 0.05
  python3 pytorch_mlp.py --mode infer
"""
import argparse
import gzip
import json
import os
import platform
import struct
import sys
import time

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["train", "infer"], default="train")
    parser.add_argument("--data", default=DEFAULT_DATA, help="folder with the four (Fashion-)MNIST IDX files")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--max-batches", type=int, default=0, help="stop each epoch after this many batches (0: all)")
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (default 1e-3 for adam, 0.05 for sgd with momentum 0.9)")
    parser.add_argument("--hidden", type=int, default=1024, help="width of the two hidden layers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--omp-wait-policy", choices=["passive", "active"], default="passive",
                        help="OpenMP idle threads sleep (passive, default) or spin (active); see the module notes")
    parser.add_argument("--runs", type=int, default=2000, help="infer: timed batch-1 calls")
    parser.add_argument("--warmup", type=int, default=200, help="infer: untimed batch-1 calls first")
    parser.add_argument("--throughput-batch", type=int, default=1000)
    parser.add_argument("--throughput-runs", type=int, default=30)
    arguments = parser.parse_args(argv)
    if arguments.threads < 1 or arguments.batch_size < 1 or arguments.epochs < 0:
        parser.error("--threads and --batch-size must be positive, --epochs non-negative")
    return arguments


class DataError(Exception):
    """A data file that cannot be used; the message names the file."""


def find_idx(folder, base):
    for name in (base, base + ".gz", base.replace("-idx", ".idx"), base.replace("-idx", ".idx") + ".gz"):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    raise DataError(f"{os.path.join(folder, base)}[.gz]: not found (install dataset-fashion-mnist or pass --data DIR)")


def read_idx(path):
    """Reads an IDX file (raw or gzip by magic) into a numpy array, strictly."""
    import numpy as np
    with open(path, "rb") as handle:
        raw = handle.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise DataError(f"{path}: corrupt gzip stream: {error}")
    if len(raw) < 4:
        raise DataError(f"{path}: truncated header")
    zero1, zero2, code, rank = raw[0], raw[1], raw[2], raw[3]
    if zero1 or zero2:
        raise DataError(f"{path}: wrong magic number (not an IDX file)")
    if code not in IDX_TYPES:
        raise DataError(f"{path}: unknown IDX element type code 0x{code:02X}")
    if rank == 0 or len(raw) < 4 + 4 * rank:
        raise DataError(f"{path}: truncated header or zero dimensions")
    dims = struct.unpack(">" + "I" * rank, raw[4:4 + 4 * rank])
    if any(d == 0 or d > 0x7FFFFFFF for d in dims):
        raise DataError(f"{path}: bad dimensions {dims}")
    dtype = np.dtype(IDX_TYPES[code])
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - 4 - 4 * rank
    if actual != expected:
        raise DataError(f"{path}: header declares {expected} data bytes, file has {actual}")
    return np.frombuffer(raw, dtype=dtype, offset=4 + 4 * rank).reshape(dims)


def load_split(folder, prefix):
    import numpy as np
    images = read_idx(find_idx(folder, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(find_idx(folder, f"{prefix}-labels-idx1-ubyte"))
    if images.shape[0] != labels.shape[0]:
        raise DataError(f"{folder}: {images.shape[0]} {prefix} images but {labels.shape[0]} labels")
    if labels.max() >= 10:
        raise DataError(f"{folder}: {prefix} label {labels.max()} out of range 0..9")
    x = images.reshape(images.shape[0], -1).astype(np.float32) / 255.0
    return x, labels.astype(np.int64)


def build_model(torch, inputs, hidden, classes=10):
    nn = torch.nn
    return nn.Sequential(
        nn.Linear(inputs, hidden), nn.ReLU(),
        nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, classes))


def reference_gflops(torch, repeats=20):
    """GFLOP/s of a 100x1024 by 1024x1024 float32 matmul now: a load gauge to quote timings against."""
    a, b = torch.rand(100, 1024), torch.rand(1024, 1024)
    for _ in range(3):
        a @ b
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return round(2 * 100 * 1024 * 1024 * repeats / (time.perf_counter() - started) / 1e9, 2)


def environment(torch, arguments):
    return {
        "kind": "environment", "reference_matmul_gflops": reference_gflops(torch), "peer": "pytorch_mlp", "torch": torch.__version__, "python": platform.python_version(),
        "threads": torch.get_num_threads(), "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpu_count": os.cpu_count(), "hidden": arguments.hidden,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }


def emit(record):
    print(json.dumps(record), flush=True)


def evaluate(torch, model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.inference_mode():
        for start in range(0, x.shape[0], batch):
            logits = model(x[start:start + batch])
            correct += int((logits.argmax(dim=1) == y[start:start + batch]).sum())
    model.train()
    return correct / x.shape[0]


def train(torch, arguments):
    train_x, train_y = load_split(arguments.data, "train")
    test_x, test_y = load_split(arguments.data, "t10k")
    train_x, train_y = torch.from_numpy(train_x), torch.from_numpy(train_y)
    test_x, test_y = torch.from_numpy(test_x), torch.from_numpy(test_y)
    model = build_model(torch, train_x.shape[1], arguments.hidden)
    if arguments.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=arguments.lr or 1e-3)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=arguments.lr or 0.05, momentum=0.9)
    loss_function = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(arguments.seed)
    count = train_x.shape[0]
    for epoch in range(1, arguments.epochs + 1):
        order = torch.randperm(count, generator=generator)
        batches = (count + arguments.batch_size - 1) // arguments.batch_size
        if arguments.max_batches > 0:
            batches = min(batches, arguments.max_batches)
        total_loss = 0.0
        started = time.perf_counter()
        for b in range(batches):
            index = order[b * arguments.batch_size:(b + 1) * arguments.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_function(model(train_x[index]), train_y[index])
            loss.backward()
            optimizer.step()
            total_loss += float(loss)
        seconds = time.perf_counter() - started
        evaluation_started = time.perf_counter()
        accuracy = evaluate(torch, model, test_x, test_y)
        emit({
            "kind": "epoch", "epoch": epoch, "seconds": round(seconds, 4),
            "seconds_per_batch": round(seconds / max(batches, 1), 6), "batches": batches,
            "batch_size": arguments.batch_size, "optimizer": arguments.optimizer,
            "train_loss": round(total_loss / max(batches, 1), 6), "test_accuracy": accuracy,
            "eval_seconds": round(time.perf_counter() - evaluation_started, 4),
            "threads": torch.get_num_threads(), "load_average": [round(x, 2) for x in os.getloadavg()],
        })


def infer(torch, arguments):
    torch.manual_seed(arguments.seed)
    model = build_model(torch, 784, arguments.hidden).eval()
    single = torch.rand(1, 784)
    block = torch.rand(arguments.throughput_batch, 784)
    with torch.inference_mode():
        for _ in range(arguments.warmup):
            model(single)
        latencies = []
        for _ in range(arguments.runs):
            started = time.perf_counter_ns()
            model(single)
            latencies.append(time.perf_counter_ns() - started)
        for _ in range(3):
            model(block)
        started = time.perf_counter()
        for _ in range(arguments.throughput_runs):
            model(block)
        elapsed = time.perf_counter() - started
    latencies.sort()
    percentile = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] / 1000.0
    emit({
        "kind": "infer", "model": f"784-{arguments.hidden}-{arguments.hidden}-10 float32",
        "threads": torch.get_num_threads(), "batch1_runs": arguments.runs,
        "batch1_median_us": round(percentile(0.5), 2), "batch1_p99_us": round(percentile(0.99), 2),
        "batch1_min_us": round(latencies[0] / 1000.0, 2),
        "throughput_batch": arguments.throughput_batch,
        "throughput_images_per_second": round(arguments.throughput_batch * arguments.throughput_runs / elapsed, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    })


def main(argv=None):
    arguments = parse_arguments(argv)
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(arguments.threads)
    os.environ["OMP_WAIT_POLICY"] = arguments.omp_wait_policy.upper()
    import torch
    torch.set_num_threads(arguments.threads)
    emit(environment(torch, arguments))
    try:
        if arguments.mode == "train":
            train(torch, arguments)
        else:
            infer(torch, arguments)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
