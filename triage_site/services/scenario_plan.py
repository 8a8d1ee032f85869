"""What a scenario sends, before anything is sent: arrival times, urgency levels and call texts.

No database and no clock: a plan is a pure function of the scenario's numbers and its seed, so
the engine and the simulator run of one scenario see the same calls, and a test sees them too.
Draws happen in a fixed order per call (arrival, level, text) from one ``random.Random``.

The simulator needs token counts the engine would measure. They are estimated, not tokenized
(no model needs to be installed, and a seed gives the same numbers on any machine):

- prompt tokens: ``PROMPT_TOKENS_PER_WORD`` per word of the system prompt plus the transcript,
  plus ``CHAT_TEMPLATE_TOKENS`` for the chat template's markers;
- output tokens: the response model's real reply length (``inference.reply_lengths``): a
  corpus call's own, measured on the engine; a generated call's drawn from the real lengths of
  its level. The scheduler's prediction is the given length predictor's (the site passes the
  configured one, learned by default), so the simulator sees the same signal as the engine.
  The lengths are the chat workload's (the call as the user's message): the engine target answers
  with the call's card in the prompt, and SmolLM2 runs those replies to the cap, so the two targets
  differ there (``inference/reply_lengths.py`` says why the card prompt has no length to learn).
"""

from __future__ import annotations

import bisect
import importlib.util
import itertools
import math
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from inference.levels import NUM_LEVELS
from inference.prompts import system_prompt
from inference.reply_lengths import ReplyLengthSource, read_table
from inference.triage.evaluation import read_jsonl
from scheduling.request import Request
from scheduling.workloads import check_priority_mix

POISSON, BURSTS = "poisson", "bursts"
CORPUS, GENERATED = "corpus", "generated"
CORPUS_SPLIT = "test.jsonl"
"""Corpus calls come from the test split: the classifier never trained on them."""

PROMPT_TOKENS_PER_WORD = 1.3
"""English words to BPE tokens (SmolLM2's and Llama-style tokenizers give about 1.2-1.4)."""
CHAT_TEMPLATE_TOKENS = 12


@dataclass(frozen=True)
class Arrivals:
    """How calls arrive: Poisson at ``rate_per_s``, or ``burst_size`` calls every ``burst_gap_s``.
    Arrivals stop at ``duration_s`` or after ``num_calls`` (exactly one is given), and never
    exceed ``max_calls``."""

    process: str
    max_calls: int
    rate_per_s: float | None = None
    burst_size: int | None = None
    burst_gap_s: float | None = None
    duration_s: float | None = None
    num_calls: int | None = None

    def __post_init__(self) -> None:
        if self.process not in (POISSON, BURSTS):
            raise ValueError(f"arrival process must be {POISSON!r} or {BURSTS!r}, got {self.process!r}")
        if (self.duration_s is None) == (self.num_calls is None):
            raise ValueError("give exactly one of duration_s or num_calls")
        if self.process == POISSON and not (self.rate_per_s and 0 < self.rate_per_s < math.inf):
            raise ValueError(f"rate_per_s must be a finite number > 0, got {self.rate_per_s!r}")
        if self.process == BURSTS:
            if not (self.burst_size and self.burst_size >= 1):
                raise ValueError(f"burst_size must be >= 1, got {self.burst_size!r}")
            if not (self.burst_gap_s and 0 < self.burst_gap_s < math.inf):
                raise ValueError(f"burst_gap_s must be a finite number > 0, got {self.burst_gap_s!r}")
        if self.max_calls < 1:
            raise ValueError(f"max_calls must be >= 1, got {self.max_calls!r}")

    @property
    def limit(self) -> int:
        return min(self.max_calls, self.num_calls) if self.num_calls is not None else self.max_calls

    def times_s(self, rng: random.Random) -> list[float]:
        """Arrival times in seconds from the start, ascending (draws from ``rng`` for Poisson)."""
        times: list[float] = []
        if self.process == POISSON:
            now = 0.0
            while len(times) < self.limit:
                now += rng.expovariate(self.rate_per_s)
                if self.duration_s is not None and now >= self.duration_s:
                    break
                times.append(now)
            return times
        for burst in itertools.count():
            at_s = burst * self.burst_gap_s  # a product, so no drift from summing
            if self.duration_s is not None and at_s >= self.duration_s:
                break
            times.extend([at_s] * min(self.burst_size, self.limit - len(times)))
            if len(times) >= self.limit:
                break
        return times

    def is_capped(self, num_planned: int) -> bool:
        """True when ``max_calls`` cut the arrivals short."""
        return num_planned >= self.max_calls and (self.num_calls is None or self.num_calls > self.max_calls)


@dataclass(frozen=True)
class PlannedCall:
    arrival_s: float
    level: int
    """The corpus label (or template level): the call's true urgency, as the simulator's priority."""
    text: str


def plan_calls(arrivals: Arrivals, urgency_mix: Sequence[float], text_source: str,
               corpus_dir: Path, seed: int) -> list[PlannedCall]:
    """The calls of one run, in arrival order."""
    rng = random.Random(f"scenario:{seed}")
    cumulative = list(itertools.accumulate(check_priority_mix(urgency_mix)))
    texts = _text_picker(text_source, corpus_dir)
    calls = []
    for arrival_s in arrivals.times_s(rng):
        level = min(bisect.bisect_right(cumulative, rng.random()), NUM_LEVELS - 1)
        calls.append(PlannedCall(arrival_s, level, texts(rng, level)))
    return calls


def _text_picker(text_source: str, corpus_dir: Path):
    if text_source == CORPUS:
        by_level = corpus_texts(corpus_dir / CORPUS_SPLIT)
        return lambda rng, level: rng.choice(by_level[level])
    if text_source == GENERATED:
        generator = corpus_generator(corpus_dir / "generate.py")
        return lambda rng, level: generated_text(generator, rng, level)
    raise ValueError(f"text source must be {CORPUS!r} or {GENERATED!r}, got {text_source!r}")


@lru_cache(maxsize=4)
def corpus_texts(path: Path) -> tuple[tuple[str, ...], ...]:
    """Texts of the labelled corpus file, grouped by level 0..4 (file order)."""
    rows = read_jsonl(path)
    by_level = tuple(tuple(r.text for r in rows if r.priority == lvl) for lvl in range(NUM_LEVELS))
    empty = [lvl for lvl, texts in enumerate(by_level) if not texts]
    if empty:
        raise ValueError(f"{path}: no calls of level {empty[0]}")
    return by_level


@lru_cache(maxsize=2)
def corpus_generator(path: Path) -> ModuleType:
    """The corpus generator script, loaded as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("triage_corpus_generate", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"cannot load the corpus generator {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


def generated_text(generator: ModuleType, rng: random.Random, level: int) -> str:
    """A fresh call of ``level`` from any of the generator's templates (any split's)."""
    templates = _templates_by_level(generator)[level]
    template = rng.choice(templates)
    candidates = generator.possible_callers(template)
    caller, _, patient_types = (candidates[0] if len(candidates) == 1 else
                                generator.weighted(rng, [((c, w, p), w) for c, w, p in candidates]))
    locale = "uk" if rng.random() < 0.6 else "us"
    text, _style = generator.render(rng, template, caller, patient_types, locale)
    return text


@lru_cache(maxsize=2)
def _templates_by_level(generator: ModuleType) -> tuple[tuple, ...]:
    templates = [t for t in generator.all_templates() if generator.possible_callers(t)]
    return tuple(tuple(t for t in templates if t.scenario.level == lvl) for lvl in range(NUM_LEVELS))


# --- The simulator's view of a plan ---------------------------------------------------------


def estimated_prompt_tokens(text: str, level: int) -> int:
    words = len(system_prompt(level).split()) + len(text.split())
    return CHAT_TEMPLATE_TOKENS + math.ceil(PROMPT_TOKENS_PER_WORD * words)


def simulator_requests(calls: Sequence[PlannedCall], seed: int, lengths: ReplyLengthSource,
                       predict_lengths: Callable[[list[str], list[int]], list[int]]) -> list[Request]:
    """The plan as simulator requests (ids in arrival order). True lengths come from ``lengths``
    (draws from their own rng, so they never shift the plan's); ``predict_lengths(texts,
    levels)`` is what the scheduler ranks by."""
    rng = random.Random(f"scenario-lengths:{seed}")
    predicted = predict_lengths([call.text for call in calls], [call.level for call in calls]) if calls else []
    return [Request(request_id=request_id, arrival_time_s=call.arrival_s,
                    prompt_tokens=estimated_prompt_tokens(call.text, call.level),
                    output_tokens=lengths.output_tokens(call.text, call.level, rng), priority=call.level,
                    predicted_output_tokens=prediction)
            for request_id, (call, prediction) in enumerate(zip(calls, predicted, strict=True))]


def corpus_reply_lengths(corpus_dir: Path, table: Path) -> ReplyLengthSource:
    """The real reply lengths of the corpus's test-split calls (the ones scenarios draw)."""
    return _reply_lengths(Path(corpus_dir) / CORPUS_SPLIT, Path(table))


@lru_cache(maxsize=2)
def _reply_lengths(corpus_file: Path, table: Path) -> ReplyLengthSource:
    return ReplyLengthSource.from_table(read_table(table), read_jsonl(corpus_file))


LENGTHS_DESCRIPTION = (f"prompt: {PROMPT_TOKENS_PER_WORD} tokens a word of system prompt + "
                       f"transcript + {CHAT_TEMPLATE_TOKENS}; output: the response model's real reply "
                       "lengths (a corpus call's own, else drawn from its level's)")
