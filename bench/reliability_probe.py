"""The outside tester's probes (issue "Reliability and security"), against a running server.

Starts daphne on a checkout's embedded default (SQLite file of its own, the in-process engine
generating with the real model, ``DJANGO_DEBUG=0``) and replays, over HTTP, what the tester
found: a lone surrogate in an earlier chat message (does the engine survive, do later calls
finish, does ``/healthz`` tell the truth?), NUL bytes, another user's token reading a call,
offsets past 2**63, a 3 MB body, 30 wrong passwords, 200 wrong tokens, a token sent with the
wrong scheme (is it in the log?). Prints one line per probe: what the server did, what is
expected, and whether it held.

    python bench/reliability_probe.py [--root PATH]     # about a minute here

``--root`` serves another checkout (e.g. an older commit in a ``git worktree``) with this
checkout's probes, for the "before" column.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx2 as httpx

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from api_load_bench import free_port, server_env, start_server  # noqa: E402
from common import machine  # noqa: E402

TEXT = "My husband collapsed, he is not breathing and his lips are blue."
SETUP = """
from django.contrib.auth import get_user_model
from django.core.management import call_command
from triage_site.api.tokens import api_token_create
call_command('migrate', verbosity=0)
users = get_user_model().objects
tokens = []
for name, staff in (('probe-dispatcher', True), ('probe-alice', False), ('probe-bob', False)):
    user = users.create_user(name, password='a-long-probe-password', is_staff=staff)
    tokens.append(api_token_create(user=user, name='probe')[1])
print(' '.join(tokens))
"""


class Probes:
    def __init__(self, client: httpx.Client, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens
        self.lines: list[tuple[str, str, str, bool]] = []

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def record(self, probe: str, observed: str, expected: str, held: bool) -> None:
        self.lines.append((probe, observed, expected, held))
        print(f"{'held ' if held else 'FAILED'} {probe}: {observed} (expected {expected})", file=sys.stderr)

    def call(self, who: str, text: str = TEXT) -> str:
        response = self.client.post("/api/calls", json={"text": text}, headers=self.auth(who))
        response.raise_for_status()
        return response.json()["public_id"]

    def wait_done(self, public_id: str, who: str, timeout_s: float = 240) -> str:
        deadline = time.monotonic() + timeout_s
        status = "?"
        while time.monotonic() < deadline:
            status = self.client.get(f"/api/calls/{public_id}", headers=self.auth(who)).json()["status"]
            if status in ("done", "failed"):
                return status
            time.sleep(0.5)
        return status

    def surrogate_in_chat(self) -> None:
        in_flight = self.call("dispatcher")
        body = ('{"model": "triage", "max_tokens": 4, "messages": ['
                '{"role": "system", "content": "be brief \\udfff"}, {"role": "user", "content": "hello"}]}')
        response = self.client.post("/v1/chat/completions", content=body.encode(),
                                    headers={**self.auth("dispatcher"), "Content-Type": "application/json"})
        self.record("lone surrogate in a system message to /v1", f"{response.status_code}", "400 naming the message",
                    response.status_code == 400 and "messages" in response.text)
        after = self.call("dispatcher")
        statuses = (self.wait_done(in_flight, "dispatcher"), self.wait_done(after, "dispatcher"))
        self.record("the call in flight and a later call", " and ".join(statuses), "done and done",
                    statuses == ("done", "done"))
        health = self.client.get("/healthz")
        self.record("/healthz after it", str(health.status_code), "200 with the engine running",
                    health.status_code == 200)

    def nul_bytes(self) -> None:
        response = self.client.post("/api/calls", json={"text": "chest pain\u0000"}, headers=self.auth("alice"))
        self.record("NUL in a call's text", str(response.status_code), "422 naming text",
                    response.status_code == 422 and "text" in response.text)

    def other_users_call(self) -> None:
        alices = self.call("alice", "I cut my finger while cooking, it is bleeding a little.")
        read = self.client.get(f"/api/calls/{alices}", headers=self.auth("bob"))
        listed = self.client.get("/api/calls", headers=self.auth("bob")).json()["count"]
        self.record("bob's token reads alice's call / lists calls", f"{read.status_code} / {listed} listed",
                    "404 / 0", read.status_code == 404 and listed == 0)
        staff = self.client.get(f"/api/calls/{alices}", headers=self.auth("dispatcher"))
        self.record("a dispatcher's token reads it", str(staff.status_code), "200", staff.status_code == 200)

    def huge_offset(self) -> None:
        response = self.client.get("/api/calls", params={"offset": 2 ** 63}, headers=self.auth("alice"))
        self.record("offset 2**63", str(response.status_code), "422 naming offset",
                    response.status_code == 422 and "offset" in response.text)

    def big_body(self) -> None:
        response = self.client.post("/api/calls", json={"text": "x" * 3_000_000}, headers=self.auth("alice"))
        self.record("3 MB body", str(response.status_code), "413", response.status_code == 413)

    def wrong_passwords(self) -> None:
        statuses = Counter()
        for _ in range(30):
            self.client.cookies.clear()
            page = self.client.get("/accounts/login/")
            token = page.cookies.get("csrftoken") or self.client.cookies.get("csrftoken")
            response = self.client.post("/accounts/login/", data={
                "username": "probe-alice", "password": "wrong", "csrfmiddlewaretoken": token},
                headers={"Referer": str(self.client.base_url)})
            statuses[response.status_code] += 1
        self.record("30 wrong passwords", ", ".join(f"{n}x {s}" for s, n in sorted(statuses.items())),
                    "locked out after 5 (403/429)", statuses.get(200, 0) <= 5)

    def wrong_tokens(self) -> None:
        statuses = Counter(self.client.get("/api/calls", headers={"Authorization": "Bearer tri_guess"}).status_code
                           for _ in range(200))
        self.record("200 wrong tokens", ", ".join(f"{n}x {s}" for s, n in sorted(statuses.items())),
                    "401 then 429", statuses.get(429, 0) > 0)

    def token_scheme(self, log_path: Path) -> None:
        raw = self.tokens["alice"]
        response = self.client.get("/api/calls", headers={"Authorization": f"Token {raw}"})
        time.sleep(0.5)
        leaked = raw in log_path.read_text() or raw[4:20] in log_path.read_text()
        self.record("a token sent as 'Token ...'", f"{response.status_code}, in the log: {'yes' if leaked else 'no'}",
                    "401, not in the log", response.status_code == 401 and not leaked)

    def call_text_in_log(self, log_path: Path) -> None:
        leaked = "not breathing" in log_path.read_text()
        self.record("call text in the server log", "yes" if leaked else "no", "no", not leaked)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=BENCH_DIR.parent, help="the checkout to serve")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    with tempfile.TemporaryDirectory(prefix="reliability-probe-") as tmp:
        env = server_env(root, Path(tmp) / "db.sqlite3", "default", sqlite_defaults=False)
        made = subprocess.run([sys.executable, "manage.py", "shell", "-c", SETUP], cwd=root, env=env,
                              capture_output=True, text=True, timeout=300)
        if made.returncode != 0:
            raise SystemExit(f"setting up the database failed:\n{made.stderr[-2000:]}")
        tokens = dict(zip(("dispatcher", "alice", "bob"), made.stdout.strip().splitlines()[-1].split()))
        port, log_path = free_port(), Path(tmp) / "daphne.log"
        server = start_server(root, env, port, log_path)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                probes = Probes(client, tokens)
                for probe in (probes.surrogate_in_chat, probes.nul_bytes, probes.other_users_call,
                              probes.huge_offset, probes.big_body):
                    probe()
                probes.token_scheme(log_path)
                probes.wrong_passwords()
                probes.wrong_tokens()  # last: it gets this address rate-limited
                probes.call_text_in_log(log_path)
        finally:
            server.terminate()
            server.wait(timeout=30)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                            text=True).stdout.strip()
    print(f"machine: {machine()}; checkout {root} at {commit}; embedded default, DJANGO_DEBUG=0")
    print("| probe | observed | expected | |")
    print("|---|---|---|---|")
    for probe, observed, expected, held in probes.lines:
        print(f"| {probe} | {observed} | {expected} | {'held' if held else '**failed**'} |")
    print("command: python " + " ".join([str(Path(sys.argv[0])), *(argv if argv is not None else sys.argv[1:])]))
    return 0 if all(held for *_, held in probes.lines) else 1


if __name__ == "__main__":
    sys.exit(main())
