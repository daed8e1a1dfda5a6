"""Model files: the bundled GGUF validates; broken, hostile or oversized files give a clear LLMError
and Encore falls back to templates instead of crashing."""

from __future__ import annotations

import struct

import pytest

from core.explain import gguf
from core.explain.gguf import LLMError, check_fits, read_gguf
from core.explain.runtime import LLMRuntime, bundled_model_path, probe


def _header(version=3, tensors=1, kvs=1) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, tensors, kvs)


def _kv_string(key: str, value: str) -> bytes:
    k, v = key.encode(), value.encode()
    return struct.pack("<Q", len(k)) + k + struct.pack("<I", 8) + struct.pack("<Q", len(v)) + v


def _tensor(name="w", dims=(4,), offset=0) -> bytes:
    n = name.encode()
    return (struct.pack("<Q", len(n)) + n + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
            + struct.pack("<I", 0) + struct.pack("<Q", offset))


def test_bundled_model_validates_and_reads_its_chat_template():
    info = read_gguf(bundled_model_path())
    assert info.architecture == "llama" and info.version == 3
    assert "<|im_start|>" in info.chat_template
    assert info.parameters == pytest.approx(0.135)


@pytest.mark.parametrize(("blob", "message"), [
    (b"", "no GGUF signature"),
    (b"PK\x03\x04" + b"\0" * 60, "no GGUF signature"),
    (_header(version=1) + b"\0" * 40, "version 1"),
    (_header(version=99) + b"\0" * 40, "version 99"),
    (_header(tensors=0) + b"\0" * 40, "implausible header"),
    (_header(tensors=10**12) + b"\0" * 40, "implausible header"),
    (_header(kvs=10**9) + b"\0" * 40, "implausible header"),
    (_header() + struct.pack("<Q", 2**62) + b"k" * 40, "string of"),  # key length past the end
    (_header() + _kv_string("general.architecture", "llama")[:-3], "string of|truncated"),
    (_header() + _kv_string("general.architecture", "llama") + _tensor(dims=(1,) * 9), "dimensions"),
    (_header() + _kv_string("general.architecture", "llama") + _tensor(offset=2**50) + b"\0" * 64, "past the end"),
    (_header() + _kv_string("general.name", "x") + _tensor() + b"\0" * 64, "general.architecture"),
])
def test_broken_files_are_refused_with_a_clear_message(tmp_path, blob, message):
    path = tmp_path / "model.gguf"
    path.write_bytes(blob)
    with pytest.raises(LLMError, match=message):
        read_gguf(path)


def test_missing_file(tmp_path):
    with pytest.raises(LLMError, match="cannot open"):
        read_gguf(tmp_path / "nope.gguf")


def test_model_larger_than_free_memory_is_refused(monkeypatch):
    info = read_gguf(bundled_model_path())
    monkeypatch.setattr(gguf, "available_memory", lambda: 64 * 2**20)
    with pytest.raises(LLMError, match="choose a smaller model"):
        check_fits(info)


def test_header_valid_but_unloadable_model_fails_in_the_probe_not_in_encore(tmp_path):
    path = tmp_path / "fake.gguf"  # a valid header and tensor table, but weights llama.cpp cannot use
    path.write_bytes(_header() + _kv_string("general.architecture", "llama") + _tensor(dims=(4, 4)) + b"\0" * 4096)
    read_gguf(path)  # passes the header check...
    with pytest.raises(LLMError, match="fake.gguf"):
        probe(str(path), cache_dir=tmp_path)  # ...and fails (or crashes) in the throw-away process
    with pytest.raises(LLMError):  # remembered: no second subprocess
        probe(str(path), cache_dir=tmp_path, timeout_s=0.001)
    rt = LLMRuntime(str(path), cache_dir=tmp_path)
    with pytest.raises(LLMError):
        rt.load()
    with pytest.raises(LLMError):  # and the runtime stays failed without retrying
        rt.load()


def test_prompt_longer_than_the_context_is_an_llm_error_not_a_crash(tmp_path):
    rt = LLMRuntime(n_ctx=256, cache_dir=tmp_path, use_probe=False)
    with pytest.raises(LLMError, match="failed while answering"):
        rt.generate([{"role": "user", "content": "word " * 400}], max_tokens=4)
    rt.close()
