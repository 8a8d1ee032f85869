#!/usr/bin/env python3
"""Write independent.jsonl from the hand-written calls in calls.py (standard library only).

Every fifth call of each level is written as a speech-to-text transcript would come out
(``asr_transcript``): lower case, no punctuation, apostrophes lost, a few words misheard.
That noise is a rule written here, unlike anything in the corpus generator; the other calls
are written as typed in calls.py (which already holds typos, run-on speech and so on).

Usage: python inference/data/triage_eval_independent/build.py [--check]
``--check`` exits 1 when independent.jsonl differs from what calls.py gives (used by tests).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calls import CALLS  # noqa: E402

OUT = Path(__file__).resolve().parent / "independent.jsonl"
ASR_EVERY = 5

MISHEARD = (  # whole-word confusions a speech recogniser makes on a phone line
    ("he's", "hes"), ("she's", "shes"), ("can't", "cant"), ("won't", "wont"), ("i'm", "im"),
    ("i've", "ive"), ("isn't", "isnt"), ("there's", "theres"), ("it's", "its"),
    ("to", "too"), ("they're", "there"), ("breathe", "breath"), ("right", "write"),
    ("four", "for"), ("two", "to"), ("been", "bin"), ("would", "wood"),
)


def asr_transcript(text: str) -> str:
    """The call as an automatic transcript: lower case, misheard words, no punctuation."""
    words = text.lower().replace("\u2019", "'").split()
    swaps = dict(MISHEARD)
    words = [swaps.get(w.strip(".,!?;:"), w) for w in words]
    flat = " ".join(words)
    flat = re.sub(r"[^\w\s']", " ", flat).replace("'", "")
    return re.sub(r"\s+", " ", flat).strip()


def rows() -> list[dict]:
    seen_per_level: Counter[int] = Counter()
    out = []
    for index, (level, voice, text) in enumerate(CALLS, start=1):
        seen_per_level[level] += 1
        noisy = seen_per_level[level] % ASR_EVERY == 0
        out.append({"id": f"ind-{index:03d}", "text": asr_transcript(text) if noisy else text,
                    "priority": level, "voice": voice, "noise": "asr" if noisy else "typed"})
    return out


def render() -> str:
    texts = [r["text"] for r in rows()]
    if len(set(texts)) != len(texts):
        raise SystemExit("duplicate text in calls.py")
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = render()
    if args.check:
        return 0 if OUT.is_file() and OUT.read_text(encoding="utf-8") == text else 1
    OUT.write_text(text, encoding="utf-8")
    counts = Counter(r["priority"] for r in rows())
    print(f"wrote {OUT.name}: {sum(counts.values())} calls, per level {dict(sorted(counts.items()))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
