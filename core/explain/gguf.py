"""Strict GGUF header validation: magic, version, metadata and tensor table, size vs memory."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from core.errors import LLMError  # noqa: E402,F401 - raised here, defined with the other user errors

# GGUF value types -> struct format (fixed-size ones); 8 = string, 9 = array.
_FIXED = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
MAX_KV = 100_000
MAX_TENSORS = 200_000
MAX_STRING = 64 * 1024 * 1024
MAX_ARRAY = 50_000_000
# Metadata we keep (tokenizer arrays are walked for validation but not stored).
_KEEP_PREFIXES = ("general.", "tokenizer.chat_template")


@dataclass(frozen=True)
class GGUFInfo:
    """What the header says about a model file."""

    path: str
    version: int
    tensor_count: int
    file_size: int
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    @property
    def chat_template(self) -> str:
        return str(self.metadata.get("tokenizer.chat_template", ""))

    @property
    def parameters(self) -> float | None:
        """Parameter count in billions, from general.size_label ("135M", "1.5B", "8x7B") when present."""
        label = str(self.metadata.get("general.size_label", "")).upper().strip()
        try:
            if "X" in label:
                experts, size = label.split("X", 1)
                return float(experts) * _size(size)
            return _size(label)
        except ValueError:
            return None


def _size(label: str) -> float:
    if label.endswith("B"):
        return float(label[:-1])
    if label.endswith("M"):
        return float(label[:-1]) / 1000
    if label.endswith("K"):
        return float(label[:-1]) / 1_000_000
    raise ValueError(label)


class _Reader:
    def __init__(self, fh: BinaryIO, size: int, path: str) -> None:
        self.fh, self.size, self.path = fh, size, path

    def fail(self, what: str) -> LLMError:
        return LLMError(f"{self.path} is not a usable GGUF model file ({what}); "
                        "choose another model in Settings, Encore uses template explanations meanwhile")

    def read(self, n: int) -> bytes:
        data = self.fh.read(n)
        if len(data) != n:
            raise self.fail("truncated header")
        return data

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def string(self, limit: int = MAX_STRING) -> str:
        n = self.unpack("<Q")
        if n > limit or self.fh.tell() + n > self.size:
            raise self.fail(f"string of {n} bytes")
        return self.read(n).decode("utf-8", errors="replace")

    def value(self, vtype: int, keep: bool) -> Any:
        if vtype in _FIXED:
            return self.unpack(_FIXED[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            item_type = self.unpack("<I")
            count = self.unpack("<Q")
            if count > MAX_ARRAY or item_type == _ARRAY and count > 1000:
                raise self.fail(f"array of {count} items")
            if item_type in _FIXED:
                width = struct.calcsize(_FIXED[item_type])
                if self.fh.tell() + width * count > self.size:
                    raise self.fail("array past the end of the file")
                self.fh.seek(width * count, os.SEEK_CUR)
                return None
            if item_type not in (_STRING, _ARRAY):
                raise self.fail(f"unknown array type {item_type}")
            for _ in range(count):
                self.value(item_type, keep=False)
            return None
        raise self.fail(f"unknown value type {vtype}")


def read_gguf(path: str | os.PathLike) -> GGUFInfo:
    """Parse and check a GGUF file's header and tensor table; raise LLMError with a clear message."""
    path = os.fspath(path)
    try:
        size = os.path.getsize(path)
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise LLMError(f"cannot open the LLM model file {path}: {exc.strerror or exc}") from exc
    with fh:
        r = _Reader(fh, size, path)
        if size < 32 or r.read(4) != b"GGUF":
            raise r.fail("no GGUF signature; is it a .gguf file?")
        version = r.unpack("<I")
        if version not in (2, 3):
            raise r.fail(f"GGUF version {version} is not supported (2 or 3 expected)")
        tensor_count, kv_count = r.unpack("<Q"), r.unpack("<Q")
        if not 0 < tensor_count <= MAX_TENSORS or kv_count > MAX_KV:
            raise r.fail(f"implausible header: {tensor_count} tensors, {kv_count} metadata keys")
        metadata: dict[str, Any] = {}
        for _ in range(kv_count):
            key = r.string(limit=4096)
            vtype = r.unpack("<I")
            keep = key.startswith(_KEEP_PREFIXES)
            value = r.value(vtype, keep)
            if keep and value is not None:
                metadata[key] = value
        for _ in range(tensor_count):
            r.string(limit=4096)
            n_dims = r.unpack("<I")
            if not 1 <= n_dims <= 4:
                raise r.fail(f"tensor with {n_dims} dimensions")
            for _ in range(n_dims):
                if r.unpack("<Q") > 1 << 40:
                    raise r.fail("tensor dimension too large")
            r.unpack("<I")  # ggml type
            if r.unpack("<Q") > size:
                raise r.fail("tensor data past the end of the file")
        if fh.tell() >= size:
            raise r.fail("no tensor data")
    if "general.architecture" not in metadata:
        raise LLMError(f"{path} has no general.architecture: not a model GGUF")
    return GGUFInfo(path=path, version=version, tensor_count=tensor_count, file_size=size, metadata=metadata)


def available_memory() -> int | None:
    """Bytes of memory available now (Linux /proc/meminfo, else sysconf), None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_fits(info: GGUFInfo, gpu_offload: bool = False) -> None:
    """Refuse a model whose weights cannot fit in memory (CPU) with room to spare."""
    available = available_memory()
    if available is None or gpu_offload:
        return
    needed = int(info.file_size * 1.1) + 256 * 1024 * 1024
    if needed > available:
        raise LLMError(f"the LLM model {os.path.basename(info.path)} needs about {needed / 2**30:.1f} GiB "
                       f"but only {available / 2**30:.1f} GiB of memory is free; choose a smaller model "
                       "(Settings -> LLM model file)")
