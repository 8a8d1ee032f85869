"""Settings for bench/api_load_bench.py's server: the checkout's own embedded default (SQLite,
in-memory channel layer) on the bench's database file, or (``--deployed``: no file given) the
deployment configuration the environment describes; optionally with generation off.

Importable from any checkout of the project (the bench serves an older one to measure "before"),
so it only touches names every version has.
"""

from __future__ import annotations

import os

from triage_site.settings.local import *  # noqa: F403
from triage_site.settings.local import DATABASES

if os.environ.get("LOAD_BENCH_DB"):
    DATABASES["default"]["NAME"] = os.environ["LOAD_BENCH_DB"]
if os.environ.get("LOAD_BENCH_SQLITE_DEFAULTS") == "1":
    DATABASES["default"].pop("OPTIONS", None)  # SQLite as Django opens it: rollback journal, 5 s timeout
if os.environ.get("LOAD_BENCH_GENERATION_OFF") == "1":
    TRIAGE_GENERATION = "off"  # calls are stored and rated, not answered
