#!/usr/bin/env python3
"""Hostile-input fuzz harness: runs the built `boolnet` on damaged and hostile inputs in child processes.

Each case runs `dotnet boolnet.dll ARGS` under an address-space cap (prlimit --as) and a timeout, and is
classified as: rejected cleanly (exit 1, one "error: ..." line, no stack trace, no .NET type name, no
control characters), crashed (any other non-zero exit, a signal or a stack trace), hung (timeout),
over the RSS limit (peak resident memory from wait4, 512 MiB by default), unclear message (exit 1 but a
type name, raw bytes or no "error:" line), or accepted (exit 0). An accepted case is explained when the
mutation is legitimate (the case carries the reason, e.g. "a valid model with other weights"); any other
acceptance is counted as accepted silently. Families: model files (raw damage, and field edits with a
fixed checksum), checkpoints (raw damage, header JSON edits and body flips with a fixed checksum), IDX
(headers, truncation, trailing data, gzip damage, labels, through predict and through train's reader),
images (PNG, JPEG, GIF, BMP: declared sizes, bad CRC, cuts, flips), special paths, and command-line values.

Usage: python3 scripts/fuzz.py [--cases N] [--seed S] [--timeout S] [--rss-mib M] [--keep DIR]
  --cases: cases per family (CI: 6, about a minute; 100+ for a thorough run). Build first:
  dotnet build BoolNet.sln -c Release. Exit status 1 when anything crashed, hung, went over memory,
  printed an unclear message or was accepted silently.

The JPEG and GIF samples are python.jpg and python.gif from CPython's test suite (PSF licence).
"""
import argparse
import base64
import gzip
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "BoolNet.Cli", "bin", "Release", "net10.0", "boolnet.dll")
FASHION = "/usr/share/datasets/fashion-mnist"

JPEG_SAMPLE = (
    "/9j/4AAQSkZJRgABAQEAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDREN"
    "Dg8QEBEQCgwSExIQEw8QEBD/2wBDAQMDAwQDBAgEBAgQCwkLEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ"
    "EBAQEBAQEBAQEBAQEBD/wAARCAAQABADASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABwQF/8QAJBAAAQQBBAICAwAA"
    "AAAAAAAAAQIDBAYFBwgSExEiABQJMTL/xAAVAQEBAAAAAAAAAAAAAAAAAAAABv/EACMRAAECBQMFAAAAAAAAAAAAAAECEQME"
    "BQYhABIxFRZhgeH/2gAMAwEAAhEDEQA/ABSm0mobc8HmExLUlRzzEWPkJWW+ulrsaUVAseUgslSlH9LKuPryIKuWPZdskzXm"
    "m3fX5m2nF4GlVxx/HOpx4ks51+MiU/Iaad7UcUo4tILoS4kqcWkezS0hO/HvuRp0rO6hWnWO1UisZVuFi4GFeyEpmGepa5S5"
    "SWVPuciFKRFLgSrwetnyPIB+Vb4N9mKhQMzo5po9XLdDs9d6ZVix2VEhiL9kuNPxw2gEKcDQ/rs8AuA8VAe0vdl7VOYn+27f"
    "lGAUgmITjbhSmCg3BYlyeWDkMolvw4KOp1KM6iCNvngZHwetf//Z"
)
GIF_SAMPLE = (
    "R0lGODlhEAAQAPZkAOu7GOu+IfPBGvrHGf3LG//MHOvCKv/PI//PJP/QJf/QJv/TLf3SL//TLv/TL+vFNOjHPf/TMP/UMP3V"
    "Nv/WN/rTOf/XOP/XOf/XOvnVPv/YOuzORf3ZQf/aQf/aQv/bQv/bQ//bRP3dSv/eS//fTf3eTv/fTv/iVf/jV//jWP/mYf/n"
    "Yf/nYvLhbvXjb/3pav/rbDJghzZmkDZnkTVokjZpkzZplDdoljdqljlsljhslzltmTpvmzpwnDtwnDtwnTxxnj1zoD1zoj10"
    "oT50oj51oz92pUB4pkB4p0F5qEJ7qkN8q0N9rUN9rkR9rUR+rUV/r0aAsEaAsUaBskeBskiDtEiEtUiFtkmFt0qHuUqGukuI"
    "u0yJvEyKvE2LvkyKv06NwE+NwVCPw1KRxv///wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACH5BAEAAGUAIf8LSW1hZ2VNYWdpY2sHZ2FtbWE9MAAsAAAA"
    "ABAAEAAAB6iAZYJlYVpSTEZAN4OMgl1kUkpEPTiNjFeRRD44NZZlX1dMRDkyOTiVjGNhXFVQR0A8NadlJyMZZWJfVFBKsDW/"
    "MWUjHROfV1SSQKczwRvEC2XHS0edjR0XCwdlh0czZS0vLCcmHRoLCARlTJJlLjAsKSYhFxEIBQKCQj5l7/Hl5wUKWIJnAsID"
    "AwEAAPAUb16EBAI9lZF3QUICMukklqnwsMAAjSAHBQIAOw=="
)


# ---------------------------------------------------------------- checksums and formats

def _crc_table(poly):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc_table(0x82F63B78)


def crc32c(data):
    c = 0xFFFFFFFF
    t = _CRC32C
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def seal_model(body):
    """A model file from everything before the footer: length field and CRC-32C fixed."""
    body = bytearray(body)
    struct.pack_into("<Q", body, 16, len(body) + 8)
    return bytes(body) + struct.pack("<II", crc32c(body), 0x2E4D4E42)


def parse_model(data):
    """[(kind, input, output, [(name, type, value)], [(name, type, dims, bytes)])], metadata list."""
    pos = 32
    count = struct.unpack_from("<I", data, 24)[0]
    meta, layers = [], []

    def string():
        nonlocal pos
        n = struct.unpack_from("<I", data, pos)[0]
        pos += 4
        s = data[pos:pos + n].decode("utf-8")
        pos += n
        return s

    for s in range(count):
        tag, _, length = struct.unpack_from("<IIQ", data, pos)
        pos += 16
        end = pos + length
        if s == 0:
            for _ in range(struct.unpack_from("<I", data, pos)[0] if True else 0):
                pass
            n = struct.unpack_from("<I", data, pos)[0]
            pos += 4
            for _ in range(n):
                meta.append([string(), string()])
        else:
            kind = string()
            shapes = struct.unpack_from("<6i", data, pos)
            pos += 24
            attributes, tensors = [], []
            for _ in range(struct.unpack_from("<I", data, pos)[0] if True else 0):
                break
            n = struct.unpack_from("<I", data, pos)[0]
            pos += 4
            for _ in range(n):
                name = string()
                t = data[pos]
                pos += 1
                if t == 1:
                    v = struct.unpack_from("<q", data, pos)[0]
                    pos += 8
                elif t == 2:
                    v = struct.unpack_from("<d", data, pos)[0]
                    pos += 8
                else:
                    v = string()
                attributes.append([name, t, v])
            n = struct.unpack_from("<I", data, pos)[0]
            pos += 4
            for _ in range(n):
                name = string()
                t, rank = data[pos], data[pos + 1]
                pos += 2
                dims = list(struct.unpack_from(f"<{rank}I", data, pos))
                pos += 4 * rank
                pos += (8 - pos % 8) % 8
                elements = 1
                for d in dims[:-1]:
                    elements *= d
                if t == 1:
                    size = elements * ((dims[-1] + 63) // 64) * 8
                else:
                    size = elements * dims[-1] * (1 if t == 2 else 4)
                tensors.append([name, t, dims, bytearray(data[pos:pos + size])])
                pos += size
                pos += (8 - pos % 8) % 8
            layers.append([kind, list(shapes[:3]), list(shapes[3:]), attributes, tensors])
        pos = end + (8 - end % 8) % 8
    return meta, layers


def write_model(meta, layers):
    out = bytearray(b"\x89BNM\r\n\x1a\n" + struct.pack("<HHIQII", 1, 0, 0, 0, 1 + len(layers), 0))

    def string(s):
        b = s.encode("utf-8")
        out.extend(struct.pack("<I", len(b)) + b)

    def pad():
        out.extend(b"\0" * ((8 - len(out) % 8) % 8))

    def section(tag, fill):
        out.extend(struct.pack("<IIQ", tag, 0, 0))
        start = len(out)
        fill()
        struct.pack_into("<Q", out, start - 8, len(out) - start)
        pad()

    def fill_meta():
        out.extend(struct.pack("<I", len(meta)))
        for k, v in meta:
            string(k)
            string(v)

    section(0x4154454D, fill_meta)
    for kind, shape_in, shape_out, attributes, tensors in layers:
        def fill_layer():
            string(kind)
            out.extend(struct.pack("<6i", *shape_in, *shape_out))
            out.extend(struct.pack("<I", len(attributes)))
            for name, t, v in attributes:
                string(name)
                out.append(t)
                if t == 1:
                    out.extend(struct.pack("<q", v))
                elif t == 2:
                    out.extend(struct.pack("<d", v))
                else:
                    string(v)
            out.extend(struct.pack("<I", len(tensors)))
            for name, t, dims, payload in tensors:
                string(name)
                out.extend(bytes([t, len(dims)]) + struct.pack(f"<{len(dims)}I", *dims))
                pad()
                out.extend(payload)
                pad()
        section(0x5259414C, fill_layer)
    return seal_model(out)


def split_checkpoint(data):
    """(header JSON text, body bytes) of a version-2 checkpoint."""
    pos, length, shift = 28, 0, 0
    while True:
        b = data[pos]
        pos += 1
        length |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            break
    return data[pos:pos + length].decode("utf-8"), data[pos + length:-8]


def join_checkpoint(header, body):
    text = header.encode("utf-8")
    prefix, n = bytearray(), len(text)
    while True:
        b = n & 0x7F
        n >>= 7
        prefix.append(b | (0x80 if n else 0))
        if not n:
            break
    data = bytearray(b"BOOLNET-CHECKPOINT-2" + b"\0" * 8 + prefix + text + body)
    struct.pack_into("<Q", data, 20, len(data) + 8)
    return bytes(data) + struct.pack("<II", crc32c(data), 0x2E434E42)


def idx_bytes(dims, payload, element=0x08):
    return bytes([0, 0, element, len(dims)]) + b"".join(struct.pack(">I", d & 0xFFFFFFFF) for d in dims) + payload


def png_bytes(width, height, pixels, fix_crc=True):
    def chunk(tag, body):
        crc = zlib.crc32(tag + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", crc if fix_crc else crc ^ 1)
    raw = b"".join(b"\0" + pixels[y * width:(y + 1) * width] for y in range(height)) if pixels else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def blank_gzip(count):
    """gzip of an IDX of COUNT blank 28x28 images, compressed in pieces (the harness stays small: a
    child's peak RSS includes the harness's at fork)."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    head = idx_bytes([count, 28, 28], b"")
    parts, zeros = [compressor.compress(head)], b"\0" * 784 * 1000
    left = count * 784
    while left:
        piece = zeros[:min(left, len(zeros))]
        parts.append(compressor.compress(piece))
        left -= len(piece)
    parts.append(compressor.flush())
    return b"".join(parts)


def flip(data, rng, count=1):
    data = bytearray(data)
    for _ in range(count):
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    return bytes(data)


# ---------------------------------------------------------------- running one case

class Case:
    def __init__(self, family, name, args, legit=None):
        self.family, self.name, self.args, self.legit = family, name, args, legit


OUTCOMES = ["rejected cleanly", "crashed", "hung", "over RSS", "unclear message", "accepted (explained)", "accepted silently"]


def run_case(case, work, timeout, rss_limit, address_space):
    out_path, err_path = os.path.join(work, "stdout"), os.path.join(work, "stderr")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1", DOTNET_NOLOGO="1")
        command = ["prlimit", f"--as={address_space}", "dotnet", CLI] + case.args
        process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=work,
                                   env=env, start_new_session=True)
        start, timed_out = time.monotonic(), False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                timed_out = True
                os.killpg(process.pid, 9)
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.02)
        process.returncode = 0  # reaped here; keeps Popen from waiting again
    stderr = open(err_path, "rb").read()
    stdout = open(out_path, "rb").read()
    rss = usage.ru_maxrss * 1024
    code = os.waitstatus_to_exitcode(status)
    text = stderr.decode("utf-8", "replace")
    if timed_out:
        outcome = "hung"
    elif code not in (0, 1) or b"Unhandled exception" in stderr or b"\n   at " in stderr or b"PAL_SEH" in stderr:
        outcome = "crashed"
    elif rss > rss_limit:
        outcome = "over RSS"
    elif code == 1:
        lines = [line for line in text.splitlines() if line.strip()]
        bad = (not lines or not lines[0].startswith("error: ") or "System." in text or "`1" in text
               or any(ord(c) < 32 and c not in "\n\t\r" for c in text))
        outcome = "unclear message" if bad else "rejected cleanly"
    else:
        outcome = "accepted (explained)" if case.legit else "accepted silently"
    first = (text.strip().splitlines() or [stdout.decode("utf-8", "replace").strip()[:120]] or [""])[0]
    return outcome, code, rss, first


# ---------------------------------------------------------------- fixtures

def fixtures(work):
    """Trains a tiny model once: checkpoint, exported model, small IDX files, images."""
    f = {}
    data = os.path.join(work, "data")
    os.makedirs(data, exist_ok=True)
    for split, count in (("train", 200), ("t10k", 100)):
        with gzip.open(os.path.join(FASHION, f"{split}-images-idx3-ubyte.gz")) as s:
            head = s.read(16)
            images = s.read(count * 784)
        with gzip.open(os.path.join(FASHION, f"{split}-labels-idx1-ubyte.gz")) as s:
            s.read(8)
            labels = s.read(count)
        f[f"{split}-images"] = idx_bytes([count, 28, 28], images)
        f[f"{split}-labels"] = idx_bytes([count], labels)
        with gzip.open(os.path.join(data, f"{split}-images-idx3-ubyte.gz"), "wb") as out:
            out.write(f[f"{split}-images"])
        with gzip.open(os.path.join(data, f"{split}-labels-idx1-ubyte.gz"), "wb") as out:
            out.write(f[f"{split}-labels"])
    f["data"] = data
    run = os.path.join(work, "run")
    subprocess.run(["dotnet", CLI, "train", "--model", "bold-mlp-small", "--hidden", "32,32", "--epochs", "2",
                    "--threads", "1", "--data", data, "--out", run, "--force"],
                   check=True, stdout=subprocess.DEVNULL, cwd=work)
    model = os.path.join(work, "model.bnm")
    subprocess.run(["dotnet", CLI, "export", run, "-o", model], check=True, stdout=subprocess.DEVNULL, cwd=work)
    f["checkpoint"] = open(os.path.join(run, "checkpoint.bin"), "rb").read()
    f["model"] = open(model, "rb").read()
    f["png"] = png_bytes(28, 28, f["t10k-images"][16:16 + 784])
    f["jpeg"] = base64.b64decode("".join(JPEG_SAMPLE))
    f["gif"] = base64.b64decode("".join(GIF_SAMPLE))
    f["bmp"] = bmp_bytes(4, 4)
    return f


def bmp_bytes(width, height, declared_width=None, declared_height=None):
    row = (width * 3 + 3) // 4 * 4
    pixels = b"\x80" * (row * height)
    header = struct.pack("<2sIHHI", b"BM", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, declared_width or width, declared_height or height, 1, 24, 0, len(pixels), 0, 0, 0, 0)
    return header + info + pixels


# ---------------------------------------------------------------- case generators

class Generator:
    def __init__(self, work, f, rng):
        self.work, self.f, self.rng, self.serial = work, f, rng, 0

    def file(self, data, suffix):
        self.serial += 1
        path = os.path.join(self.work, "cases", f"{self.serial:05d}{suffix}")
        with open(path, "wb") as out:
            out.write(data)
        return path

    def model_command(self, path):
        r = self.rng.randrange(3)
        images = self.file(self.f["t10k-images"], ".idx")
        if r == 0:
            return ["summary", path]
        if r == 1:
            return ["predict", path, images, "--threads", "1"]
        return ["bench", path, "--seconds", "0.05", "--batch", "16", "--threads", "1"]

    def raw_damage(self, data):
        r, rng = self.rng.randrange(4), self.rng
        if r == 0:
            return flip(data, rng, rng.choice([1, 1, 2, 8])), "bit flip"
        if r == 1:
            return data[:rng.randrange(len(data))], "truncated"
        if r == 2:
            return data + bytes(rng.randrange(256) for _ in range(rng.choice([1, 7, 64]))), "bytes appended"
        i = rng.randrange(len(data))
        return data[:i] + bytes([rng.randrange(256)]) * rng.choice([1, 4, 8]) + data[i + 8:], "bytes overwritten"

    # model files -----------------------------------------------------------------------------------
    def model_raw(self):
        data, what = self.raw_damage(self.f["model"])
        return Case("model file, raw damage", what, self.model_command(self.file(data, ".bnm")))

    def model_fields(self):
        rng = self.rng
        meta, layers = parse_model(self.f["model"])
        layer = rng.choice(layers)
        kind, shape_in, shape_out, attributes, tensors = layer
        legit, r = None, rng.randrange(12)
        if r == 0 and attributes:
            a = rng.choice(attributes)
            if a[0].startswith("training-"):
                legit = "training-* counts are informational (summary's training memory); any count 0..2^48 is legal"
            a[2] = (rng.choice([0, -1, 1, 2, 17, 65, 4096, 2**31, 2**63 - 1, -2**63]) if a[1] == 1 else
                    rng.choice([math.nan, math.inf, -math.inf, 0.0, -1.0, 1e300, 5e-324]) if a[1] == 2 else
                    rng.choice(["", "x", "bits", "real", "bytes", "\u0000", "é" * 300]))
            what = f"attribute {a[0]} = {a[2]!r}"[:60]
        elif r == 1 and attributes:
            a = rng.choice(attributes)
            attributes.remove(a)
            what = f"attribute {a[0]} removed"
            if a[0].startswith("training-") or a[0] == "source":
                legit = "an informational attribute (training-* counts, source) is optional: absent means unknown"
        elif r == 2:
            attributes.append([rng.choice(["colour", "bias2", "order2"]), 1, 1])
            what = "unknown attribute added"
        elif r == 3 and tensors:
            t = rng.choice(tensors)
            tensors.remove(t)
            what = f"tensor {t[0]} removed"
            if t[0] == "bias":
                legit = "bias is optional (FORMAT.md): a model without it is another valid model"
        elif r == 4 and tensors:
            t = rng.choice(tensors)
            t[0] = t[0] + "x"
            what = f"tensor {t[0]} renamed"
        elif r == 5:
            floats = [t for t in tensors if t[1] == 4]
            if not floats:
                return self.model_fields()
            t = rng.choice(floats)
            i = rng.randrange(len(t[3]) // 4)
            value = rng.choice([math.nan, math.inf, -math.inf])
            struct.pack_into("<f", t[3], 4 * i, value)
            what = f"{t[0]}[{i}] = {value}"
        elif r == 6 and tensors:
            t = rng.choice(tensors)
            i = rng.randrange(len(t[3]))
            t[3][i] ^= 1 << rng.randrange(8)
            what = f"{t[0]} data bit flipped"
            legit = "a valid model with other weights (bits, int8 and int32 values all legal; a float flip to NaN is refused)"
        elif r == 7:
            shape = rng.choice([shape_in, shape_out])
            shape[rng.randrange(3)] = rng.choice([0, -1, 2, 4096, 1 << 24, 2**31 - 1])
            what = f"shape edited to {shape}"
        elif r == 8:
            layer[0] = rng.choice(["relu", "max-pool", "flatten", "threshold", "boolean-dense", "float-dense", "nonsense"])
            what = f"kind {kind} -> {layer[0]}"
        elif r == 9:
            if rng.randrange(2):
                layers.remove(layer)
                what = "layer removed"
            else:
                layers.insert(layers.index(layer), [kind, list(shape_in), list(shape_out), list(attributes), list(tensors)])
                what = "layer duplicated"
        elif r == 10:
            meta.append([rng.choice(["note", "classes", "x" * 40]), rng.choice(["", "a,b", "é\u2028"])])
            what = f"metadata {meta[-1][0][:10]} added"
            legit = None if meta[-1][0] == "classes" else "metadata is free text; an extra key changes no output"
        else:
            return self.crafted_model()
        return Case("model file, valid checksum", what, self.model_command(self.file(write_model(meta, layers), ".bnm")), legit)

    def crafted_model(self):
        """The issue's tiny models: one relu over 1x1x2^24 and a max-pool over 4096x4096."""
        rng = self.rng
        r = rng.randrange(3)
        if r == 0:
            layers = [["relu", [1, 1, 1 << 24], [1, 1, 1 << 24], [["input", 3, "real"]], []]]
            what = "relu over 1x1x2^24"
        elif r == 1:
            window, side = rng.choice([(2, 2048), (64, 64)])
            layers = [["max-pool", [4096, 4096, 1], [side, side, 1], [["window", 1, window], ["input", 3, "real"]], []],
                      ["flatten", [side, side, 1], [1, 1, side * side], [["bits", 1, 0], ["input", 3, "real"]], []]]
            what = f"max-pool {window} over 4096x4096, flatten"
            return Case("model file, valid checksum", what, self.model_command(self.file(write_model([], layers), ".bnm")),
                        "a valid model within the memory budget (batches that exceed it are refused)")
        else:
            layers = [["max-pool", [4096, 4096, 1], [1, 1, 1], [["window", 1, 4096], ["input", 3, "real"]], []]]
            what = "max-pool over 4096x4096"
        return Case("model file, valid checksum", what, self.model_command(self.file(write_model([], layers), ".bnm")))

    # checkpoints -----------------------------------------------------------------------------------
    def checkpoint_command(self, path):
        r = self.rng.randrange(4)
        if r == 0:
            return ["evaluate", path, "--limit", "50", "--threads", "1", "--data", self.f["data"]]
        if r == 1:
            return ["export", path, "-o", os.path.join(self.work, "cases", f"export{self.serial}.bnm")]
        if r == 2:
            return ["summary", path]
        out = os.path.join(self.work, "cases", f"resume{self.serial}")
        return ["train", "--resume", path, "--out", out, "--threads", "1", "--data", self.f["data"]]

    def checkpoint_raw(self):
        data, what = self.raw_damage(self.f["checkpoint"])
        return Case("checkpoint, raw damage", what, self.checkpoint_command(self.file(data, ".bin")))

    def checkpoint_fields(self):
        rng = self.rng
        header, body = split_checkpoint(self.f["checkpoint"])
        legit = None
        if rng.randrange(4) == 0:
            body = bytearray(body)
            i = rng.randrange(len(body))
            body[i] ^= 1 << rng.randrange(8)
            text, what = header, f"body byte {i} flipped"
            legit = "a valid checkpoint with other weights or optimizer state (counts and non-finite values are refused)"
        else:
            doc = json.loads(header)
            paths = []

            def walk(node, path):
                paths.append(path)
                if isinstance(node, dict):
                    for k, v in node.items():
                        walk(v, path + [k])
                elif isinstance(node, list):
                    for i, v in enumerate(node[:3]):
                        walk(v, path + [i])
            walk(doc, [])
            path = rng.choice(paths[1:])
            parent = doc
            for p in path[:-1]:
                parent = parent[p]
            value = rng.choice([None, "DELETE", 0, -1, -2**31, 2**31 - 1, 10**30, 1e308, "NaN", "Infinity", "", "zzz", [], {}, True])
            if value == "DELETE":
                if isinstance(parent, dict):
                    del parent[path[-1]]
                else:
                    parent.pop(path[-1])
            else:
                parent[path[-1]] = value
            text = json.dumps(doc)
            if value in ("NaN", "Infinity"):
                text = text.replace(f'"{value}"', value)  # a bare literal, as an attacker would write it
            what = f"{'.'.join(map(str, path))} = {value!r}"[:60]
            legit = informational(path, value)
        return Case("checkpoint, valid checksum", what, self.checkpoint_command(self.file(join_checkpoint(text, bytes(body)), ".bin")), legit)

    # IDX -------------------------------------------------------------------------------------------
    def idx(self):
        rng = self.rng
        images, labels = self.f["t10k-images"], self.f["t10k-labels"]
        legit, r = None, rng.randrange(9)
        if r == 0:
            dims = [rng.choice([0, 1, 100, 2**31, 2**32 - 1, 65536]), rng.choice([28, 0, 65536]), rng.choice([28, 1, 65536])]
            data, what = idx_bytes(dims, images[16:]), f"dims {dims}"
        elif r == 1:
            data, what = images[:rng.randrange(len(images))], "truncated"
        elif r == 2:
            data, what = images + b"\0" * rng.choice([1, 100]), "trailing bytes"
        elif r == 3:
            data, what = bytes([0, 0, rng.choice([0x09, 0x0B, 0x0D, 0x08]), rng.choice([0, 1, 2, 5, 255])]) + images[4:], "type or rank byte"
        elif r == 4:
            data, what = gzip.compress(images) + rng.choice([b"\0", b"junk", gzip.compress(b"x")]), "gzip with trailing bytes"
        elif r == 5:
            data, what = flip(gzip.compress(images), rng, 2), "gzip bit flips"
        elif r == 6:
            n = rng.choice([100, 60000, 200000])
            data = blank_gzip(n)
            what = f"gzip of {n} blank images ({len(data)} bytes)"
            legit = "a valid IDX of blank images within predict's 128 MiB budget" if n * 784 <= 1 << 27 else None
        elif r == 7:
            data = gzip.compress(idx_bytes([2**20, 64, 64], b""))
            what = "gzip header declaring 2^20 x 64 x 64"
        else:
            lab = rng.choice([idx_bytes([50], labels[8:58]), idx_bytes([100], bytes([200]) * 100),
                              flip(gzip.compress(labels), rng, 2), labels + b"\0"])
            path = self.file(lab, ".labels")
            return Case("IDX", "label file damaged or mismatched", ["predict", self.file(self.f["model"], ".bnm"),
                        self.file(images, ".idx"), "--labels", path, "--threads", "1"])
        return Case("IDX", what, ["predict", self.file(self.f["model"], ".bnm"), self.file(data, ".idx"), "--threads", "1"], legit)

    def idx_training(self):
        """The training reader on one damaged file of the data folder."""
        rng = self.rng
        folder = os.path.join(self.work, "cases", f"data{self.serial}")
        self.serial += 1
        shutil.copytree(self.f["data"], folder)
        name = rng.choice(sorted(os.listdir(folder)))
        path = os.path.join(folder, name)
        raw = gzip.decompress(open(path, "rb").read())
        damage, what = self.raw_damage(raw)
        with open(path, "wb") as out:
            out.write(gzip.compress(damage) if rng.randrange(2) else damage)
        legit = None
        if what in ("bit flip", "bytes overwritten") and len(damage) == len(raw) and damage[:8] == raw[:8] and (damage[:12] == raw[:12] or "labels" not in name):
            legit = "pixel or label bytes changed: a valid dataset with other values (labels outside 0..9 are refused)"
        return Case("IDX, train reader", f"{name[:12]} {what}", ["train", "--model", "bold-mlp-small", "--hidden", "16", "--epochs", "1", "--threads", "1",
                    "--data", folder, "--out", os.path.join(folder, "run")], legit)

    # images ----------------------------------------------------------------------------------------
    def image(self):
        rng, f = self.rng, self.f
        legit, r = None, rng.randrange(9)
        if r == 0:
            data, what = png_bytes(28, 28, f["t10k-images"][16:16 + 784], fix_crc=False), "PNG with bad CRC"
        elif r == 1:
            w, h = rng.choice([(23000, 23000), (30000, 30000), (1, 2**31 - 1), (0, 5)])
            data, what = png_bytes(w, h, b"", fix_crc=True), f"PNG declaring {w}x{h}"
        elif r == 2:
            data, what = f["png"][:rng.randrange(8, len(f["png"]))], "PNG cut"
        elif r == 3:
            data, what = f["jpeg"][:rng.randrange(2, len(f["jpeg"]) - 2)], "JPEG cut"
        elif r == 4:
            data = bytearray(f["gif"])
            struct.pack_into("<HH", data, 6, 23000, 23000)
            data, what = bytes(data[:35]), "GIF declaring 23000x23000 (35 bytes)"
        elif r == 5:
            data, what = bmp_bytes(4, 4, rng.choice([30000, -30000, 2**31 - 1]), rng.choice([30000, -30000])), "BMP declaring a huge size"
        elif r == 6:
            source = rng.choice(["png", "jpeg", "gif", "bmp"])
            data, what = flip(f[source], rng, rng.choice([1, 4])), f"{source} bit flips"
            if source != "png":
                legit = "JPEG, GIF and BMP data carry no checksum: a flip that still decodes is another valid image"
        elif r == 7:
            data, what = bytes(rng.randrange(256) for _ in range(rng.choice([0, 3, 100]))), "random bytes"
        else:
            source = rng.choice(["png", "jpeg", "gif", "bmp"])
            data, what = f[source], f"intact {source}"
            legit = "an intact image"
        return Case("image", what, ["predict", self.file(f["model"], ".bnm"), self.file(data, ".img"), "--threads", "1"], legit)

    # paths -----------------------------------------------------------------------------------------
    def special_path(self):
        rng, f = self.rng, self.f
        fifo = os.path.join(self.work, "cases", f"fifo{self.serial}")
        self.serial += 1
        if not os.path.exists(fifo):
            os.mkfifo(fifo)
        empty = self.file(b"", ".empty")
        target = rng.choice(["/dev/zero", fifo, os.path.join(self.work, "cases"), empty, "/nonexistent/x", "/proc/self/mem"])
        model = self.file(f["model"], ".bnm")
        images = self.file(f["t10k-images"], ".idx")
        r = rng.randrange(5)
        args = (["predict", target, images] if r == 0 else ["predict", model, target] if r == 1 else
                ["evaluate", target, "--data", f["data"]] if r == 2 else ["summary", target] if r == 3 else
                ["predict", model, images, "--labels", target])
        return Case("special path", f"{args[0]} on {os.path.basename(target) or target}", args)

    def output_path(self):
        rng, f = self.rng, self.f
        run = os.path.join(self.work, "cases", f"out{self.serial}")
        self.serial += 1
        os.makedirs(run, exist_ok=True)
        checkpoint = os.path.join(run, "checkpoint.bin")
        with open(checkpoint, "wb") as out:
            out.write(f["checkpoint"])
        r = rng.randrange(5)
        if r == 0:
            return Case("output path", "export onto its own checkpoint", ["export", checkpoint, "-o", checkpoint])
        if r == 1:
            return Case("output path", "export -o the run's checkpoint", ["export", run, "-o", checkpoint])
        if r == 2:
            other = self.file(b"precious notes\n", ".txt")
            return Case("output path", "export over a text file", ["export", run, "-o", other])
        if r == 3:
            return Case("output path", "train --out /proc/x", ["train", "--model", "bold-mlp-small", "--epochs", "1", "--threads", "1",
                        "--data", f["data"], "--out", "/proc/boolnet-fuzz"])
        return Case("output path", "train into an existing run", ["train", "--model", "bold-mlp-small", "--epochs", "1", "--threads", "1",
                    "--data", f["data"], "--out", run])

    # command-line values ---------------------------------------------------------------------------
    def cli_value(self):
        rng, f = self.rng, self.f
        command, option, low, high, integer = rng.choice(CLI_RANGES)
        value = rng.choice(["NaN", "Infinity", "-Infinity", "-1", "0", "1", "2", "9", "1e300", "2147483648", "100000000",
                            "abc", "", "0.5", "-0", "1e-300", "\u001b[31m", "1\n2"])
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        valid = math.isfinite(number) and low <= number <= high and (not integer or number == int(number) and "e" not in value and "." not in value)
        if option in ("--planes", "--input-planes", "--first-planes") and number == 1:
            valid = False
        if command == "train":
            args = ["train", "--model", "bold-mlp-small", "--hidden", "16", "--threads", "1", "--data", f["data"],
                    "--out", os.path.join(self.work, "cases", f"cli{self.serial}"), "--force"]
            args = [a for a in args]
            if option != "--epochs":
                args += ["--epochs", "1"]
            if option == "--threads":
                args.remove("--threads"), args.remove("1")
            if option == "--hidden":
                i = args.index("--hidden")
                del args[i:i + 2]
            if option in ("--batch",) and valid and number > 4096:
                valid = False  # would train too long for the harness: treated as must-refuse only when out of range
        elif command == "predict":
            args = ["predict", self.file(f["model"], ".bnm"), self.file(f["t10k-images"], ".idx")]
            if option != "--threads":
                args += ["--threads", "1"]
        elif command == "bench":
            args = ["bench", self.file(f["model"], ".bnm")] + ([] if option == "--seconds" else ["--seconds", "0.05"])
            if option != "--threads":
                args += ["--threads", "1"]
        else:
            args = ["evaluate", os.path.join(self.work, "run"), "--data", f["data"]]
            if option != "--threads":
                args += ["--threads", "1"]
        self.serial += 1
        if option == "--epochs" and valid and number > 2:
            value, number = "2", 2.0
        if option in ("--batch", "--train-limit", "--test-limit", "--limit") and valid and command == "bench":
            pass
        return Case("command-line value", f"{command} {option} {value!r}", args + [option, value],
                    "a value inside the option's range" if valid else None)


# (command, option, minimum, maximum, whole number): the ranges the options state.
CLI_RANGES = [
    ("train", "--epochs", 1, 1e6, True), ("train", "--batch", 1, 65536, True), ("train", "--lr", 1e-300, 1e9, False),
    ("train", "--real-lr", 1e-300, 10, False), ("train", "--threads", 0, 1024, True), ("train", "--train-limit", 0, 2**31 - 1, True),
    ("train", "--test-limit", 0, 2**31 - 1, True), ("train", "--planes", 0, 8, True), ("train", "--beta", 1e-300, 1, False),
    ("train", "--clip", 0, 1e9, False), ("train", "--surrogate-width", 1e-300, 1e6, False), ("train", "--hidden", 1, 65536, True),
    ("train", "--input-bits", 1, 8, True), ("train", "--head-scale", 0, 1e6, False), ("train", "--seed", -2**31, 2**31 - 1, True),
    ("predict", "--top", 1, 65536, True), ("predict", "--limit", 0, 2**31 - 1, True), ("predict", "--threads", 0, 1024, True),
    ("bench", "--batch", 1, 1 << 20, True), ("bench", "--seconds", 1e-300, 3600, False), ("bench", "--threads", 0, 1024, True),
    ("evaluate", "--limit", 0, 2**31 - 1, True), ("evaluate", "--threads", 0, 1024, True),
]


def informational(path, value):
    """Checkpoint header edits that leave a legitimate checkpoint, with the reason (None: must be refused)."""
    if path[:2] == ["settings", "hidden_signal"]:
        return "settings.hidden_signal is derived from the other settings: written for readers, ignored on load"
    if path[0] in ("settings", "options") and len(path) >= 2 and (value == "DELETE" or value == {}):
        return "an absent setting or option takes its default (checkpoints of older versions lack newer fields)"
    if path[0] in ("settings", "options") and isinstance(value, bool):
        return "a yes/no setting given yes or no: a valid checkpoint of that configuration (a network it does not fit is refused)"
    if path[:2] == ["options", "seed"] and isinstance(value, int) and -2**31 <= value < 2**31:
        return "any whole number is a seed"
    if path[:2] in (["options", "train_limit"], ["options", "test_limit"]) and isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31:
        return "a limit of 0 (all) or more images is legal"
    if len(path) >= 3 and path[0] == "history" and path[2] not in ("epoch",):
        return "history is a record of past epochs (losses, timings, diagnostics); an edited figure is still a valid checkpoint"
    if path[:2] == ["options", "threads"] and isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 4096:
        return "threads change speed, never results"
    return None


FAMILIES = ["model_raw", "model_fields", "checkpoint_raw", "checkpoint_fields", "idx", "idx_training", "image",
            "special_path", "output_path", "cli_value"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=6, help="cases per family (default 6: CI size)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60, help="seconds before a case counts as hung")
    parser.add_argument("--rss-mib", type=int, default=512, help="peak resident memory above which a case fails")
    parser.add_argument("--address-space-gib", type=int, default=8, help="prlimit --as cap of each child")
    parser.add_argument("--keep", help="keep the work folder here (default: a temporary folder, removed)")
    parser.add_argument("--verbose", action="store_true", help="print every case")
    args = parser.parse_args()
    if not os.path.exists(CLI):
        sys.exit(f"{CLI} not found: build first (dotnet build BoolNet.sln -c Release)")
    if shutil.which("prlimit") is None:
        sys.exit("prlimit not found (util-linux)")
    work = args.keep or tempfile.mkdtemp(prefix="boolnet-fuzz-")
    os.makedirs(os.path.join(work, "cases"), exist_ok=True)
    started = time.monotonic()
    try:
        f = fixtures(work)
        rng = random.Random(args.seed)
        generator = Generator(work, f, rng)
        counts = {}
        failures, explained = [], {}
        for family in FAMILIES:
            for _ in range(args.cases):
                case = getattr(generator, family)()
                outcome, code, rss, first = run_case(case, work, args.timeout, args.rss_mib << 20, args.address_space_gib << 30)
                row = counts.setdefault(case.family, dict.fromkeys(OUTCOMES, 0))
                row[outcome] += 1
                row["max RSS"] = max(row.get("max RSS", 0), rss)
                if outcome == "accepted (explained)":
                    explained.setdefault(case.legit, []).append(case.name)
                elif outcome != "rejected cleanly":
                    failures.append((case, outcome, code, rss, first))
                if args.verbose:
                    print(f"{outcome:<20} {case.family:<28} {case.name[:40]:<40} {first[:80]}")
        report(counts, failures, explained, time.monotonic() - started)
        return 1 if failures else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def report(counts, failures, explained, seconds):
    # 80 columns: the family in 26, seven counts in 6, "silent" in 7, the peak RSS in 5.
    columns = ["tried", "clean", "crash", "hung", ">RSS", "unclr", "ok", "silent", "MiB"]
    widths = [6] * 7 + [7]
    keys = [None, "rejected cleanly", "crashed", "hung", "over RSS", "unclear message", "accepted (explained)", "accepted silently"]
    print(f"{'family':<26}" + "".join(f"{c:>{w}}" for c, w in zip(columns, widths)) + f"{columns[-1]:>5}")
    total = dict.fromkeys(OUTCOMES, 0)
    peak = 0
    for family, row in counts.items():
        tried = sum(row[o] for o in OUTCOMES)
        cells = [tried] + [row[k] for k in keys[1:]]
        print(f"{family:<26}" + "".join(f"{c:>{w}}" for c, w in zip(cells, widths)) + f"{row['max RSS'] >> 20:>5}")
        for o in OUTCOMES:
            total[o] += row[o]
        peak = max(peak, row["max RSS"])
    cells = [sum(total.values())] + [total[k] for k in keys[1:]]
    print(f"{'total':<26}" + "".join(f"{c:>{w}}" for c, w in zip(cells, widths)) + f"{peak >> 20:>5}")
    print(f"({seconds:.0f} s; clean = rejected with one clear line; ok = accepted, a legitimate input;\n"
          f" MiB = peak RSS of one case)")
    if explained:
        print("accepted, and why that is right:")
        for reason, names in explained.items():
            print(f"  {len(names):>3} x {reason}")
    for case, outcome, code, rss, first in failures:
        print(f"FAIL {outcome}: {case.family}: {case.name} (exit {code}, {rss >> 20} MiB)")
        print(f"     boolnet {' '.join(case.args)}"[:300])
        print(f"     {first[:200]}")


if __name__ == "__main__":
    sys.exit(main())
