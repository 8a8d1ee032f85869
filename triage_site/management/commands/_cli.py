"""What `calibrate` and `fidelity` share: one-line argument errors, argument types, loading the model.

Django's parser prints the usage block before an error when run from a shell, and raises
``CommandError`` with exit code 1 under ``call_command``; the project's rule is one line
naming the problem and exit code 2 either way.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from django.core.management.base import CommandError, CommandParser

from scheduling.cli import checked

EXIT_USAGE = 2


def make_errors_one_line(parser: CommandParser) -> CommandParser:
    """Make ``parser.error`` print ``prog: error: message`` and exit 2 (raise under call_command)."""
    def error(message: str) -> NoReturn:
        if parser.called_from_command_line:
            parser.exit(EXIT_USAGE, f"{parser.prog}: error: {message}\n")
        raise CommandError(message, returncode=EXIT_USAGE)
    parser.error = error  # type: ignore[method-assign]
    return parser


@checked
def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise ValueError(f"must be >= 1, got {value}")
    return value


@checked
def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):  # NaN fails too
        raise ValueError(f"must be a finite number > 0, got {text!r}")
    return value


THREADS_HELP = ("torch CPU threads (default 1: on a shared CPU more threads spin against other "
                "processes and a step can take 20x longer; use the same count for calibrate and fidelity)")


CLOCK_HELP = ("wall: real time (default); cpu: this process's CPU time, steadier on a CPU shared "
              "with other jobs (calibrate and fidelity should use the same)")


def use_threads(num_threads: int) -> None:
    import torch

    torch.set_num_threads(num_threads)


def check_device(device: str | None) -> str:
    """The device to run on (CUDA when available); a clear error for one torch cannot use."""
    import torch

    from inference.model_store import pick_device

    device = pick_device(device)
    try:
        parsed = torch.device(device)
    except RuntimeError:
        raise CommandError(f"unknown device {device!r}; use cpu, cuda or cuda:N",
                           returncode=EXIT_USAGE) from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise CommandError(f"device {device!r} asked for, but CUDA is not available here",
                           returncode=EXIT_USAGE)
    return device


def load_model(model_dir: Path, device: str):
    """(model, tokenizer) from a local transformers directory, or a one-line CommandError."""
    from inference.model_store import load_causal_lm

    try:
        return load_causal_lm(model_dir, device)
    except (OSError, ValueError) as exc:  # FileNotFoundError: not converted yet
        raise CommandError(f"cannot load a causal LM from {model_dir}: {str(exc).splitlines()[0]} "
                           f"(`make models` builds the default one)", returncode=EXIT_USAGE) from None
