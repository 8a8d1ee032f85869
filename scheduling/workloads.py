"""Where requests come from: the reference burst, Poisson arrivals, and CSV trace replay.

Every generator returns a list sorted by (arrival_time_s, request_id) with ids
0..n-1 in that order, and draws only from the ``random.Random`` it is given, so
the same seed always gives the same workload.
"""

from __future__ import annotations

import bisect
import csv
import itertools
import math
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from scheduling.predictors import GIVEN_PREDICTIONS_KEY
from scheduling.request import NUM_PRIORITIES, Request

LENGTH_DIST_FORMS = "uniform:LO:HI, const:N, exp:MEAN, lognormal:MEDIAN:SIGMA"


def _require_int(value: int, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


# --- Length distributions -------------------------------------------------------------


class LengthDist(Protocol):
    """A distribution of token counts; every sample is an int >= 1."""

    def sample(self, rng: random.Random) -> int: ...


@dataclass(frozen=True, slots=True)
class Uniform:
    """Uniform integers in lo..hi inclusive (the reference's prompt and output lengths)."""

    lo: int
    hi: int

    def __post_init__(self) -> None:
        _require_int(self.lo, "lo", 1)
        _require_int(self.hi, "hi", self.lo)

    def sample(self, rng: random.Random) -> int:
        return rng.randint(self.lo, self.hi)

    def __str__(self) -> str:
        return f"uniform:{self.lo}:{self.hi}"


@dataclass(frozen=True, slots=True)
class Const:
    """Always ``n`` tokens: isolates scheduling from length variance."""

    n: int

    def __post_init__(self) -> None:
        _require_int(self.n, "n", 1)

    def sample(self, rng: random.Random) -> int:
        return self.n

    def __str__(self) -> str:
        return f"const:{self.n}"


@dataclass(frozen=True, slots=True)
class Exponential:
    """``ceil(Exp(mean))``: geometric, memoryless lengths (the M/M/1 textbook case).

    Rounding up keeps every sample >= 1 and makes the mean about ``mean + 0.5``.
    """

    mean: float

    def __post_init__(self) -> None:
        if not 0.0 < self.mean < math.inf:
            raise ValueError(f"mean must be a finite number > 0, got {self.mean!r}")

    def sample(self, rng: random.Random) -> int:
        return max(1, math.ceil(rng.expovariate(1.0 / self.mean)))

    def __str__(self) -> str:
        return f"exp:{self.mean:g}"


@dataclass(frozen=True, slots=True)
class LogNormal:
    """``max(1, round(LogNormal))`` with the given median: the heavy tail of real chat lengths."""

    median: float
    sigma: float

    def __post_init__(self) -> None:
        if not 0.0 < self.median < math.inf:
            raise ValueError(f"median must be a finite number > 0, got {self.median!r}")
        if not 0.0 <= self.sigma < math.inf:
            raise ValueError(f"sigma must be a finite number >= 0, got {self.sigma!r}")

    def sample(self, rng: random.Random) -> int:
        return max(1, round(rng.lognormvariate(math.log(self.median), self.sigma)))

    def __str__(self) -> str:
        return f"lognormal:{self.median:g}:{self.sigma:g}"


REFERENCE_PROMPT_TOKENS = Uniform(1, 499)
REFERENCE_OUTPUT_TOKENS = Uniform(1, 498)


def parse_length_dist(text: str) -> LengthDist:
    """Parse a CLI string such as ``uniform:1:499`` or ``lognormal:200:1.0``."""
    kind, *args = text.strip().split(":")
    makers = {"uniform": (Uniform, (int, int)), "const": (Const, (int,)),
              "exp": (Exponential, (float,)), "lognormal": (LogNormal, (float, float))}
    if kind not in makers or len(args) != len(makers[kind][1]):
        raise ValueError(f"bad length distribution {text!r}: expected one of {LENGTH_DIST_FORMS}")
    cls, types = makers[kind]
    try:
        return cls(*(_parse_number(arg, t) for arg, t in zip(args, types)))
    except ValueError as exc:
        raise ValueError(f"bad length distribution {text!r}: {exc} "
                         f"(accepted forms: {LENGTH_DIST_FORMS})") from None


def _parse_number(text: str, kind: type) -> int | float:
    if kind is int:
        if not re.fullmatch(r"[+-]?[0-9]+", text.strip()):
            raise ValueError(f"{text!r} is not an integer")
        return int(text)
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


# --- Priority mix ---------------------------------------------------------------------


def parse_priority_mix(text: str) -> tuple[float, ...]:
    """Parse ``w0,w1,w2,w3,w4`` (weights of urgency levels 0..4) into normalised probabilities."""
    parts = text.split(",")
    try:
        weights = [float(part) for part in parts]
    except ValueError:
        raise ValueError(f"bad priority mix {text!r}: expected {NUM_PRIORITIES} comma-separated "
                         f"numbers, e.g. 0.1,0.2,0.3,0.2,0.2") from None
    try:
        return check_priority_mix(weights)
    except ValueError as exc:
        raise ValueError(f"bad priority mix {text!r}: {exc}") from None


def check_priority_mix(weights: Sequence[float]) -> tuple[float, ...]:
    """Validate weights of urgency levels 0..4 and return them normalised to sum 1."""
    if len(weights) != NUM_PRIORITIES:
        raise ValueError(f"expected {NUM_PRIORITIES} weights (levels 0..{NUM_PRIORITIES - 1}), "
                         f"got {len(weights)}")
    if not all(0.0 <= w < math.inf for w in weights):
        raise ValueError("weights must be finite numbers >= 0")
    total = math.fsum(weights)
    if total <= 0.0:
        raise ValueError("weights must not all be zero")
    return tuple(w / total for w in weights)


class _PrioritySampler:
    """Draws an urgency level: uniform like the reference, or from a validated mix."""

    def __init__(self, priority_mix: Sequence[float] | None) -> None:
        self._cum = (None if priority_mix is None
                     else list(itertools.accumulate(check_priority_mix(priority_mix))))

    def sample(self, rng: random.Random) -> int:
        if self._cum is None:
            return rng.randrange(NUM_PRIORITIES)
        # Guard the last bucket against cumulative rounding slightly below 1.
        return min(bisect.bisect_right(self._cum, rng.random()), NUM_PRIORITIES - 1)


# --- Generators -----------------------------------------------------------------------


def seed_burst(
    rng: random.Random,
    *,
    user_request_gap_s: float,
    max_concurrent_user_requests: int,
    num_epochs: int = 20,
    priority_mix: Sequence[float] | None = None,
    prompt_tokens: LengthDist = REFERENCE_PROMPT_TOKENS,
    output_tokens: LengthDist = REFERENCE_OUTPUT_TOKENS,
) -> list[Request]:
    """The published reference workload: ``num_epochs`` bursts at times i * gap.

    Each epoch brings Uniform{0..max_concurrent_user_requests} requests; each request
    independently gets a priority Uniform{0..4} (or from ``priority_mix``) and its
    prompt and output lengths (Uniform{1..499} and Uniform{1..498} by default).
    """
    if not 0.0 <= user_request_gap_s < math.inf:
        raise ValueError(f"user_request_gap_s must be a finite number >= 0, "
                         f"got {user_request_gap_s!r}")
    _require_int(max_concurrent_user_requests, "max_concurrent_user_requests", 0)
    _require_int(num_epochs, "num_epochs", 1)
    priorities = _PrioritySampler(priority_mix)
    requests: list[Request] = []
    for epoch in range(num_epochs):
        arrival_time_s = epoch * user_request_gap_s  # a product, so no drift from summing
        for _ in range(rng.randint(0, max_concurrent_user_requests)):
            requests.append(_draw(rng, len(requests), arrival_time_s, priorities,
                                  prompt_tokens, output_tokens))
    return requests


def poisson(
    rng: random.Random,
    *,
    rate_per_s: float,
    duration_s: float | None = None,
    num_requests: int | None = None,
    priority_mix: Sequence[float] | None = None,
    prompt_tokens: LengthDist = REFERENCE_PROMPT_TOKENS,
    output_tokens: LengthDist = REFERENCE_OUTPUT_TOKENS,
) -> list[Request]:
    """Poisson arrivals (exponential gaps of mean 1 / rate), the open-loop load of queueing theory.

    Give exactly one of ``duration_s`` (every arrival in [0, duration_s)) or
    ``num_requests`` (exactly that many). The first arrival is one gap after time 0.
    """
    if not 0.0 < rate_per_s < math.inf:
        raise ValueError(f"rate_per_s must be a finite number > 0, got {rate_per_s!r}")
    if (duration_s is None) == (num_requests is None):
        raise ValueError("poisson needs exactly one of duration_s or num_requests, "
                         f"got duration_s={duration_s!r}, num_requests={num_requests!r}")
    if duration_s is not None and not 0.0 <= duration_s < math.inf:
        raise ValueError(f"duration_s must be a finite number >= 0, got {duration_s!r}")
    if num_requests is not None:
        _require_int(num_requests, "num_requests", 0)
    priorities = _PrioritySampler(priority_mix)
    requests: list[Request] = []
    arrival_time_s = 0.0
    while num_requests is None or len(requests) < num_requests:
        arrival_time_s += rng.expovariate(rate_per_s)
        if duration_s is not None and arrival_time_s >= duration_s:
            break
        requests.append(_draw(rng, len(requests), arrival_time_s, priorities,
                              prompt_tokens, output_tokens))
    return requests


def _draw(rng: random.Random, request_id: int, arrival_time_s: float,
          priorities: _PrioritySampler, prompt_tokens: LengthDist,
          output_tokens: LengthDist) -> Request:
    """One request; draws in a fixed order (priority, prompt, output) so seeds stay reproducible."""
    priority = priorities.sample(rng)
    return Request(request_id=request_id, arrival_time_s=arrival_time_s,
                   prompt_tokens=prompt_tokens.sample(rng),
                   output_tokens=output_tokens.sample(rng), priority=priority)


# --- Trace replay ---------------------------------------------------------------------

REQUIRED_COLUMNS = ("arrival_time_s", "prompt_tokens", "output_tokens", "priority")
OPTIONAL_COLUMNS = ("predicted_priority", "predicted_output_tokens")
_MAX_SHOWN_CHARS = 40


class TraceError(ValueError):
    """A trace file that cannot be replayed; the one-line message names file, line and problem."""


_Fail = Callable[[str], TraceError]
"""Builds the error for a problem on the line being read."""
_Row = tuple[float, dict[str, int], frozenset[str]]
"""(arrival time, the Request's integer fields, names of the given predictions)."""


def read_trace_csv(path: str | Path) -> list[Request]:
    """Read a request trace: a CSV with a header naming at least ``REQUIRED_COLUMNS``.

    Optional ``predicted_priority`` / ``predicted_output_tokens`` cells, when not
    empty, become the request's predictions and are recorded in
    ``extra[GIVEN_PREDICTIONS_KEY]`` so ``apply_predictions`` keeps them. Other
    columns are ignored. Rows are sorted by arrival time (stably, so equal times
    keep file order) and numbered 0..n-1 in that order.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file, strict=True)  # a stray quote is an error, not data

            def fail(problem: str) -> TraceError:
                return TraceError(f"{path} line {max(reader.line_num, 1)}: {problem}")

            rows = _read_rows(reader, fail)
    except OSError as exc:
        raise TraceError(f"{path}: cannot read trace: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise TraceError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    rows.sort(key=lambda row: row[0])
    requests = []
    for request_id, (arrival_time_s, fields, given) in enumerate(rows):
        request = Request(request_id=request_id, arrival_time_s=arrival_time_s, **fields)
        if given:
            request.extra[GIVEN_PREDICTIONS_KEY] = given
        requests.append(request)
    return requests


def _read_rows(reader: Iterator[list[str]], fail: _Fail) -> list[_Row]:
    """Validate the header and every row; blank lines are skipped, not requests."""
    try:
        non_blank = (cells for cells in reader if any(cell.strip() for cell in cells))
        header = next(non_blank, None)
        if header is None:
            raise fail(f"empty file, expected a header with columns {','.join(REQUIRED_COLUMNS)}")
        column = _column_index(header, fail)
        rows = []
        for cells in non_blank:
            if len(cells) != len(header):
                raise fail(f"expected {len(header)} fields like the header, got {len(cells)}")
            rows.append(_parse_row(cells, column, fail))
    except csv.Error as exc:
        raise fail(f"malformed CSV: {exc}") from None
    if not rows:
        raise fail("no requests after the header")
    return rows


def _column_index(header: list[str], fail: _Fail) -> dict[str, int]:
    names = [name.strip() for name in header]
    duplicates = sorted({name for name in names if names.count(name) > 1 and name})
    if duplicates:
        raise fail(f"duplicate column(s) {','.join(duplicates)}")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise fail(f"missing column(s) {','.join(missing)}; "
                   f"the header must name {','.join(REQUIRED_COLUMNS)}")
    return {name: names.index(name) for name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS
            if name in names}


def _parse_row(cells: list[str], column: dict[str, int], fail: _Fail) -> _Row:
    def cell(name: str) -> str:
        return cells[column[name]].strip()

    arrival = cell("arrival_time_s")
    try:
        arrival_time_s = float(arrival)
    except ValueError:
        arrival_time_s = math.nan
    if not 0.0 <= arrival_time_s < math.inf:
        raise fail(f"arrival_time_s must be a finite number >= 0, got {_show(arrival)}")
    fields = {
        "prompt_tokens": _parse_int(cell("prompt_tokens"), "prompt_tokens", 1, None, fail),
        "output_tokens": _parse_int(cell("output_tokens"), "output_tokens", 1, None, fail),
        "priority": _parse_int(cell("priority"), "priority", 0, NUM_PRIORITIES - 1, fail),
    }
    given = []
    for name, hi in (("predicted_priority", NUM_PRIORITIES - 1), ("predicted_output_tokens", None)):
        if name in column and cell(name):
            fields[name] = _parse_int(cell(name), name, 1 if hi is None else 0, hi, fail)
            given.append(name)
    return arrival_time_s, fields, frozenset(given)


def _parse_int(text: str, name: str, lo: int, hi: int | None, fail: _Fail) -> int:
    value = int(text) if re.fullmatch(r"[+-]?[0-9]+", text) else None
    if value is None or value < lo or (hi is not None and value > hi):
        expected = f"in {lo}..{hi}" if hi is not None else f">= {lo}"
        raise fail(f"{name} must be an integer {expected}, got {_show(text)}")
    return value


def _show(text: str) -> str:
    """The offending cell, quoted and cut short, so the message stays one readable line."""
    if len(text) > _MAX_SHOWN_CHARS:
        text = text[:_MAX_SHOWN_CHARS] + "..."
    return repr(text)
