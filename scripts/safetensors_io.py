"""Safetensors files for the PyTorch oracles, without the safetensors package (Debian has none).

read(path) returns a file's tensors and metadata, checking its header and offsets as nash's reader does;
write(path, tensors, metadata) writes them in nash's layout (names sorted, metadata sorted, header padded with
spaces to a multiple of 8) through a temporary file and a rename, so that the bytes of a file nash wrote and
re-encoded here are identical. Scripts in scripts/ import it directly; bench/ adds scripts/ to sys.path.
"""
import json
import math
import os
import struct
import tempfile

import torch

DTYPES = {
    "F32": torch.float32,
    "F64": torch.float64,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}


def no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError(f"duplicate key {k!r} in header")
        d[k] = v
    return d


def read(path):
    """Returns the tensors and the metadata of the safetensors file path, checking lengths and contiguous offsets."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: {len(data)} bytes, too short")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{path}: header length {n} exceeds the file")
    header = json.loads(data[8 : 8 + n].decode("utf-8"), object_pairs_hook=no_duplicates)
    metadata = header.pop("__metadata__", None) or {}
    buf = memoryview(data)[8 + n :]
    tensors, expect = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"])):
        begin, end = info["data_offsets"]
        if info["dtype"] not in DTYPES:
            raise ValueError(f"{path}: tensor {name!r}: unknown dtype {info['dtype']!r}")
        dtype, shape = DTYPES[info["dtype"]], info["shape"]
        if begin != expect:
            raise ValueError(f"{path}: tensor {name!r}: data_offsets [{begin},{end}] are not contiguous")
        numel = math.prod(shape)
        size = torch.empty((), dtype=dtype).element_size()
        if end - begin != numel * size:
            raise ValueError(f"{path}: tensor {name!r}: data_offsets [{begin},{end}] do not fit shape {shape}")
        if numel == 0:
            tensors[name] = torch.empty(shape, dtype=dtype)
        else:
            tensors[name] = torch.frombuffer(bytearray(buf[begin:end]), dtype=dtype).reshape(shape)
        expect = end
    if expect != len(buf):
        raise ValueError(f"{path}: {len(buf) - expect} bytes after the last tensor")
    return tensors, metadata


def encode(tensors, metadata=None):
    """Returns the bytes of tensors and metadata in nash's layout."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: metadata[k] for k in sorted(metadata)}
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        raw = t.numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(chunks)


def write(path, tensors, metadata=None):
    """Writes tensors and metadata to path through a temporary file; returns the number of bytes."""
    data = encode(tensors, metadata)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix="." + os.path.basename(path) + ".tmp-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return len(data)
