"""The response model's real reply lengths: generated on our engine, kept as a small table.

The length predictor learns from what the response model actually answers, so the answers have
to be generated. That costs minutes of CPU per hundred calls, too much for every set-up, so the
derived table (row id, prompt and output tokens, why the reply ended) is shipped in git under
``inference/data/reply_lengths/`` and the reply texts are cached outside the checkout
(``inference.build_cache.cache_root()``). Generation is resumable: rows already in the table are
skipped, and each batch is appended as soon as it is done.

The prompt is the chat workload: the call's text as the user's one message, answered by the LM
under its own chat template, which is what an OpenAI-compatible client sending the call would
get. (The site's card-grounded prompt is not used: SmolLM2-135M runs every such reply to the
160-token cap, 40 of 40 in ``response_eval``, so its lengths carry nothing to learn.)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from inference.build_cache import cache_root
from inference.triage.evaluation import LabelledCall

TABLE_DIR = Path(__file__).resolve().parent / "data" / "reply_lengths"
FINISH_REASONS = ("eos", "length")


@dataclass(frozen=True, slots=True)
class ReplyLength:
    """One generated reply, reduced to what the scheduler can learn from."""

    id: str
    priority: int
    prompt_tokens: int
    output_tokens: int
    finish_reason: str


def chat_messages_for(call_text: str) -> list[dict[str, str]]:
    """The chat workload's messages for a call: its text as the user's only turn."""
    return [{"role": "user", "content": call_text}]


def table_path(model_name: str, max_new_tokens: int) -> Path:
    return TABLE_DIR / f"{model_name}-cap{max_new_tokens}.jsonl"


def texts_cache_path(model_name: str, max_new_tokens: int) -> Path:
    """Where the reply texts go: outside git, next to the built models' cache."""
    return cache_root() / "replies" / f"{model_name}-cap{max_new_tokens}.jsonl"


def read_table(path: Path) -> list[ReplyLength]:
    """The table's rows; a malformed line is an error naming the file and the line."""
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = ReplyLength(**json.loads(line))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}:{number}: not a reply-length row: {exc}") from None
        if row.finish_reason not in FINISH_REASONS or row.output_tokens < 1 or row.prompt_tokens < 1:
            raise ValueError(f"{path}:{number}: bad values {asdict(row)}")
        rows.append(row)
    return rows


def with_output_tokens(rows: Sequence[LabelledCall], table: Iterable[ReplyLength]) -> list[LabelledCall]:
    """``rows`` with ``output_tokens`` filled from the table by row id (a row's own value wins)."""
    by_id = {entry.id: entry.output_tokens for entry in table}
    return [row if row.output_tokens is not None or row.id not in by_id
            else LabelledCall(row.text, row.priority, by_id[row.id], row.id) for row in rows]


def generate_missing(rows: Sequence[LabelledCall], *, model: Any, tokenizer: Any, table: Path,
                     texts_cache: Path, max_new_tokens: int, batch_size: int = 24,
                     progress: Callable[[int, int, float], None] | None = None) -> int:
    """Generate replies for the rows not yet in ``table`` (greedy, on our engine), appending each
    batch to the table and the texts cache. Returns how many were generated."""
    from inference.cards.evaluation import generate_replies
    from inference.prompts import render_chat

    if any(row.id is None for row in rows):
        raise ValueError("every row needs an 'id' to be matched with its reply length")
    done = {entry.id for entry in read_table(table)} if table.is_file() else set()
    todo = [row for row in rows if row.id not in done]
    table.parent.mkdir(parents=True, exist_ok=True)
    texts_cache.parent.mkdir(parents=True, exist_ok=True)
    for offset in range(0, len(todo), batch_size):
        batch = todo[offset:offset + batch_size]
        prompts = [render_chat(tokenizer, chat_messages_for(row.text)) for row in batch]
        replies, wall_s = generate_replies(model, tokenizer, prompts, [row.priority for row in batch],
                                           max_new_tokens=max_new_tokens, max_num_seqs=batch_size,
                                           max_num_batched_tokens=2048)
        with open(table, "a", encoding="utf-8") as lengths, open(texts_cache, "a", encoding="utf-8") as texts:
            for row, prompt, reply in zip(batch, prompts, replies):
                entry = ReplyLength(row.id, row.priority, len(tokenizer(prompt)["input_ids"]),
                                    reply.num_output_tokens, reply.finish_reason)
                lengths.write(json.dumps(asdict(entry)) + "\n")
                texts.write(json.dumps({"id": row.id, "reply": reply.text}) + "\n")
        if progress is not None:
            progress(offset + len(batch), len(todo), wall_s)
    return len(todo)


@dataclass(frozen=True)
class ReplyLengthSource:
    """True output lengths for simulated calls: a call's own real reply length when its reply was
    generated (looked up by text), else a draw from the real lengths of its level."""

    by_text: dict[str, int]
    by_level: tuple[tuple[int, ...], ...]

    @classmethod
    def from_table(cls, table: Sequence[ReplyLength], corpus_rows: Sequence[LabelledCall]) -> ReplyLengthSource:
        from inference.levels import NUM_LEVELS

        if not table:
            raise ValueError("the reply-length table is empty: run 'python manage.py generate_replies'")
        text_of = {row.id: row.text for row in corpus_rows}
        by_level = tuple(tuple(e.output_tokens for e in table if e.priority == lv) or
                         tuple(e.output_tokens for e in table) for lv in range(NUM_LEVELS))
        return cls({text_of[e.id]: e.output_tokens for e in table if e.id in text_of}, by_level)

    def output_tokens(self, text: str, level: int, rng: Any) -> int:
        """The real length of this call's reply, else a seeded draw from its level's real lengths."""
        known = self.by_text.get(text)
        return known if known is not None else rng.choice(self.by_level[level])
