"""LLM benchmark: Encore's generation path vs bare llama-cpp-python, and how many LLM explanations of
100 real recommendations the grounding checker accepts.

    nice .venv/bin/python bench/llm.py --json               # bundled SmolLM2-135M, 100 picks
    nice .venv/bin/python bench/llm.py --model F.gguf --picks 40 --json

(a) speed: the same model file, prompts and sampling (greedy) through `LLMRuntime.generate` and
    through a bare `Llama.create_chat_completion(stream=True)`, alternating, median time to first
    token and tokens/s, and their ratio (target >= 0.9);
(b) acceptance: realistic picks with Reasons built from ../shared/datasets (Last.fm + MovieLens, see
    bench/llm_data.py), explained by Encore's constrained path (grammar slots; the default for models
    under 1B) and by the free-text path (checked rewrite of the template draft); share accepted by
    the checker, seconds per explanation, and how many of the free answers a names-and-numbers-only
    checker would have let through. 20 explanations are included for a person to judge.
GPU: not measured here (no GPU on this machine). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def naive_check(text: str, ev) -> bool:
    """The checker the issue warns about: only capitalised words and numbers must be in the evidence."""
    blob = json.dumps(ev.to_list(), ensure_ascii=False).lower()
    words = re.findall(r"\b[A-Z][\w']+|\d+", text)
    return bool(text.strip()) and all(w.lower() in blob for w in words[1:])


def speed(runtime, evs, repeats: int) -> dict:
    import llama_cpp

    from core.explain.prompts import explain_messages

    bare = llama_cpp.Llama(model_path=runtime.model_path, n_ctx=runtime.n_ctx, n_threads=runtime.n_threads,
                           n_threads_batch=runtime.n_threads, n_gpu_layers=runtime.n_gpu_layers, verbose=False)
    runtime.load()
    rows = {"encore": [], "bare": []}
    for i in range(repeats):
        messages = explain_messages(evs[i % len(evs)], free=True)
        order = ("encore", "bare") if i % 2 == 0 else ("bare", "encore")
        for side in order:
            start = time.perf_counter()
            first, n = None, 0
            if side == "bare":
                bare.reset()  # no prompt-prefix reuse across runs, on either side
                for chunk in bare.create_chat_completion(messages=messages, max_tokens=48, temperature=0.0,
                                                         top_p=0.9, top_k=40, repeat_penalty=1.1, seed=0,
                                                         stream=True):
                    if chunk["choices"][0]["delta"].get("content"):
                        first = first or time.perf_counter() - start
                        n += 1
                total = time.perf_counter() - start
            else:
                runtime.load().reset()
                gen = runtime.generate(messages, max_tokens=48, temperature=0.0, seed=0)
                first, n, total = gen.first_token_s, gen.tokens, gen.seconds
            rows[side].append((first or total, (n - 1) / (total - first) if first and n > 1 else 0.0, n))
    bare.close()
    out = {}
    for side, vals in rows.items():
        out[side] = {"ttft_s": round(statistics.median(v[0] for v in vals), 4),
                     "tokens_per_s": round(statistics.median(v[1] for v in vals), 1),
                     "tokens": round(statistics.mean(v[2] for v in vals), 1)}
    out["ratio_tokens_per_s"] = round(out["encore"]["tokens_per_s"] / max(out["bare"]["tokens_per_s"], 1e-9), 3)
    out["ratio_ttft"] = round(out["bare"]["ttft_s"] / max(out["encore"]["ttft_s"], 1e-9), 3)
    out["runs"] = repeats
    return out


def acceptance(runtime, evs, mode: str) -> dict:
    from core.explain.service import llm_explanation
    from core.explain.templates import template_explanation

    accepted, seconds, naive, results = 0, [], 0, []
    problems: dict[str, int] = {}
    for ev in evs:  # no reset: reusing the shared prompt prefix is part of Encore's path
        start = time.perf_counter()
        text, verdict, gen = llm_explanation(runtime, ev, mode)
        seconds.append(time.perf_counter() - start)
        accepted += verdict.ok
        if mode == "free" and gen is not None:
            raw = gen.text.strip()
            naive += naive_check(raw, ev)
        for p in verdict.problems[:1]:
            key = re.sub(r"'[^']*'|\d+", "X", p)
            problems[key] = problems.get(key, 0) + 1
        results.append({"item": ev.facts.get("title"), "kind": ev.kind,
                        "reasons": [r.kind for r in ev.top_reasons()],
                        "llm": text, "accepted": verdict.ok, "problems": verdict.problems[:2],
                        "shown": text if verdict.ok else template_explanation(ev)})
    out = {"picks": len(evs), "accepted": accepted, "share": round(accepted / max(len(evs), 1), 3),
           "seconds_median": round(statistics.median(seconds), 3),
           "seconds_p90": round(sorted(seconds)[int(0.9 * (len(seconds) - 1))], 3),
           "top_rejections": dict(sorted(problems.items(), key=lambda kv: -kv[1])[:6])}
    if mode == "free":
        out["naive_checker_would_accept"] = naive
    return out, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="", help="a GGUF file (default: the bundled SmolLM2-135M)")
    parser.add_argument("--picks", type=int, default=100)
    parser.add_argument("--free-picks", type=int, default=40, help="picks for the free-text path")
    parser.add_argument("--speed-runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (Path(__file__).resolve().parents[2] / "shared" / "datasets").is_dir():
        print(json.dumps({"skipped": "../shared/datasets not found"}))
        return 0
    from llm_data import recommendations

    from core.explain.runtime import LLMRuntime

    runtime = LLMRuntime(args.model, n_ctx=2048, n_threads=args.threads, use_probe=False)
    runtime.load()
    evs = recommendations(args.picks)
    report = {"model": runtime.name, "threads": runtime.n_threads, "cpu_count": os.cpu_count(),
              "gpu": "not measured: no GPU on this machine", "load_seconds": round(runtime.load_seconds, 3),
              "speed": speed(runtime, evs, args.speed_runs)}
    report["constrained"], shown = acceptance(runtime, evs, "constrained")
    report["free"], free_rows = acceptance(runtime, evs[: args.free_picks], "free")
    report["examples"] = [{k: r[k] for k in ("item", "reasons", "accepted", "shown")} for r in shown[:20]]
    report["free_examples"] = [{k: r[k] for k in ("item", "llm", "accepted", "problems")} for r in free_rows[:8]]
    if not args.json:
        for r in shown[:20]:
            print(f"[{'LLM' if r['accepted'] else 'template'}] {r['item']}: {r['shown']}", file=sys.stderr)
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
