"""Reads a TensorFlow 1 checkpoint (tensor bundle: `.index` + `.data-00000-of-00001`) into numpy arrays.

No TensorFlow and no protobuf library: the `.index` file is a LevelDB-style SSTable whose values are
`BundleEntryProto` messages (dtype, shape, shard, offset, size), and the `.data` shard holds the raw
little-endian tensor bytes at those offsets. That is all that is needed to read trained weights.

Format references: tensorflow/core/util/tensor_bundle/tensor_bundle.{h,cc} and its .proto,
tensorflow/core/lib/io/{format,block}.cc (which follow LevelDB's table format).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from typing import Any

import numpy as np

_TABLE_MAGIC = 0xDB4775248B80FB57
_FOOTER_LEN = 48  # two block handles (varints, padded to 40 bytes) + 8-byte magic
_BLOCK_TRAILER_LEN = 5  # compression type byte + masked crc32c
# tensorflow/core/framework/types.proto DataType values -> numpy (little-endian)
_DTYPES: dict[int, np.dtype[Any]] = {
    1: np.dtype("<f4"),  # DT_FLOAT
    2: np.dtype("<f8"),  # DT_DOUBLE
    3: np.dtype("<i4"),  # DT_INT32
    4: np.dtype("u1"),  # DT_UINT8
    5: np.dtype("<i2"),  # DT_INT16
    6: np.dtype("i1"),  # DT_INT8
    9: np.dtype("<i8"),  # DT_INT64
    10: np.dtype("?"),  # DT_BOOL
    19: np.dtype("<f2"),  # DT_HALF
}


class CheckpointError(ValueError):
    """The files are not a readable TensorFlow tensor bundle."""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Decodes a base-128 varint at pos; returns (value, next position)."""
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise CheckpointError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise CheckpointError("varint too long")


def _proto_fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Yields (field number, wire type, value) of a protobuf message: ints for varint/fixed, bytes else."""
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            yield field, wire, value
        elif wire == 1:
            yield field, wire, struct.unpack_from("<Q", buf, pos)[0]
            pos += 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            yield field, wire, buf[pos:pos + length]
            pos += length
        elif wire == 5:
            yield field, wire, struct.unpack_from("<I", buf, pos)[0]
            pos += 4
        else:
            raise CheckpointError(f"unsupported protobuf wire type {wire}")


def _block(data: bytes, offset: int, size: int) -> bytes:
    if offset + size + _BLOCK_TRAILER_LEN > len(data):
        raise CheckpointError("block outside the index file")
    if data[offset + size] != 0:
        raise CheckpointError("compressed index blocks are not supported")
    return data[offset:offset + size]


def _block_entries(block: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Yields (key, value) of one SSTable block (prefix-compressed keys, restart array at the end)."""
    if len(block) < 4:
        raise CheckpointError("short block")
    num_restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    end = len(block) - 4 - 4 * num_restarts
    pos, key = 0, b""
    while pos < end:
        shared, pos = _varint(block, pos)
        non_shared, pos = _varint(block, pos)
        value_len, pos = _varint(block, pos)
        key = key[:shared] + block[pos:pos + non_shared]
        pos += non_shared
        yield key, block[pos:pos + value_len]
        pos += value_len


def _table_entries(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Yields every (key, value) of an SSTable file, in key order."""
    if len(data) < _FOOTER_LEN or struct.unpack_from("<Q", data, len(data) - 8)[0] != _TABLE_MAGIC:
        raise CheckpointError("not an SSTable (bad magic)")
    footer = data[len(data) - _FOOTER_LEN:]
    _, pos = _varint(footer, 0)  # metaindex handle: unused
    _, pos = _varint(footer, pos)
    index_offset, pos = _varint(footer, pos)
    index_size, _ = _varint(footer, pos)
    for _, handle in _block_entries(_block(data, index_offset, index_size)):
        offset, pos = _varint(handle, 0)
        size, _ = _varint(handle, pos)
        yield from _block_entries(_block(data, offset, size))


def _ints(message: bytes, number: int) -> list[int]:
    """The integer (varint or fixed) values of one field of a protobuf message."""
    return [v for f, _, v in _proto_fields(message) if f == number and isinstance(v, int)]


def _messages(message: bytes, number: int) -> list[bytes]:
    """The length-delimited values (sub-messages) of one field of a protobuf message."""
    return [v for f, _, v in _proto_fields(message) if f == number and isinstance(v, bytes)]


def _entry(value: bytes) -> tuple[int, tuple[int, ...], int, int, int]:
    """BundleEntryProto {dtype = 1, shape = 2, shard_id = 3, offset = 4, size = 5, slices = 7}
    -> (dtype, shape, shard_id, offset, size); TensorShapeProto {repeated Dim dim = 2 {int64 size = 1}}."""
    if _messages(value, 7):
        raise CheckpointError("partitioned (sliced) variables are not supported")
    shape = tuple(size for shape_msg in _messages(value, 2) for dim in _messages(shape_msg, 2)
                  for size in _ints(dim, 1))

    def first(number: int) -> int:
        found = _ints(value, number)
        return found[0] if found else 0

    return first(1), shape, first(3), first(4), first(5)


def _is_optimizer_slot(name: str) -> bool:
    """Adam's moment estimates and step powers: saved with the weights, not needed to run the model."""
    return "/Adam" in name or name.split("/")[-1] in ("beta1_power", "beta2_power")


def read_checkpoint(prefix: str, skip_optimizer: bool = True) -> dict[str, np.ndarray]:
    """All tensors of the checkpoint at `prefix` (the path before `.index`), by variable name.

    skip_optimizer leaves out the optimizer's slot variables (Adam moments), two thirds of the bytes.
    """
    with open(prefix + ".index", "rb") as fh:
        index = fh.read()
    out: dict[str, np.ndarray] = {}
    shards: dict[int, bytes] = {}
    num_shards = 1
    for key, value in _table_entries(index):
        if key == b"":  # BundleHeaderProto: int32 num_shards = 1
            num_shards = (_ints(value, 1) or [1])[0]
            continue
        name = key.decode("utf-8")
        if skip_optimizer and _is_optimizer_slot(name):
            continue
        dtype_code, shape, shard, offset, size = _entry(value)
        dtype = _DTYPES.get(dtype_code)
        if dtype is None:
            raise CheckpointError(f"{name}: unsupported dtype {dtype_code}")
        if shard not in shards:
            with open(_shard_path(prefix, shard, num_shards), "rb") as fh:
                shards[shard] = fh.read()
        blob = shards[shard]
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if size != count * dtype.itemsize or offset + size > len(blob):
            raise CheckpointError(f"{name}: size {size} does not fit shape {shape} in the data file")
        out[name] = np.frombuffer(blob, dtype=dtype, count=count, offset=offset).reshape(shape).copy()
    if not out:
        raise CheckpointError(f"no tensors in {prefix}.index")
    return out


def _shard_path(prefix: str, shard: int, num_shards: int) -> str:
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"


def checkpoint_stamp(prefix: str) -> str:
    """A key that changes when the checkpoint changes: size and mtime of the index and first data shard."""
    parts = []
    for path in (prefix + ".index", _shard_path(prefix, 0, 1)):
        st = os.stat(path)
        parts.append(f"{os.path.basename(path)}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)
