"""Real fleet processes for the fleet tests and benchmark: a RabbitMQ node of our own, and
Celery GPU workers started the way the README starts them.

A node of our own (its own port, data directory and node name) can be stopped and restarted
without touching the machine's broker, and starts empty.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout_s: float, what: str, poll_s: float = 0.1) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll_s)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class OwnRabbitMQ:
    """A RabbitMQ node on a free port with its own data directory; stop() and start() again
    keep its durable queues and persistent messages, as a restarted production broker would."""

    def __init__(self) -> None:
        if shutil.which("rabbitmq-server") is None:
            raise RuntimeError("rabbitmq-server is not installed (Debian package rabbitmq-server)")
        self.port = free_port()
        self.node = f"triage{uuid.uuid4().hex[:8]}@localhost"
        self.base = Path(tempfile.mkdtemp(prefix="triage-rabbitmq-"))
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\nloopback_users = none\n")
        shutil.chown(self.base, user="rabbitmq")  # the server script runs the node as this user
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def start(self, timeout_s: float = 60) -> OwnRabbitMQ:
        env = dict(os.environ, RABBITMQ_NODENAME=self.node, RABBITMQ_CONFIG_FILE=str(self.base / "rabbitmq.conf"),
                   RABBITMQ_DIST_PORT=str(free_port()), RABBITMQ_MNESIA_BASE=str(self.base / "mnesia"),
                   RABBITMQ_LOG_BASE=str(self.base / "log"), RABBITMQ_PID_FILE=str(self.base / "pid"),
                   RABBITMQ_ENABLED_PLUGINS_FILE=str(self.base / "enabled_plugins"))
        self.process = subprocess.Popen(["rabbitmq-server"], env=env, cwd=self.base,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: port_open(self.port), timeout_s, f"RabbitMQ node {self.node} to listen")
        return self

    def stop(self, timeout_s: float = 60) -> None:
        """A clean shutdown (SIGTERM to the Erlang VM), as a service manager stops a broker."""
        pid_file = self.base / "pid"
        if pid_file.is_file():
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
        if self.process is not None:
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        wait_until(lambda: not port_open(self.port), timeout_s, "RabbitMQ to close its port")
        self.process = None

    def remove(self) -> None:
        if self.process is not None:
            self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def worker_env(*, database_url: str, broker_url: str, redis_url: str, num_seats: int, margin: int,
               models_dir: Path | None = None) -> dict[str, str]:
    """A GPU worker's environment: the deployed configuration, with few seats to fit a CPU."""
    env = dict(os.environ)
    env.pop("TRIAGE_GENERATION", None)
    env.update(DJANGO_SETTINGS_MODULE="triage_site.settings.local", DATABASE_URL=database_url,
               BROKER_URL=broker_url, REDIS_URL=redis_url, TRIAGE_MAX_NUM_SEQS=str(num_seats),
               TRIAGE_FLEET_MARGIN=str(margin), OMP_NUM_THREADS="1")
    if models_dir is not None:
        env["TRIAGE_MODELS_DIR"] = str(models_dir)
    return env


def start_worker(env: dict[str, str], name: str, log_path: Path,
                 extra_args: tuple[str, ...] = ()) -> subprocess.Popen:
    """``celery -A triage_site worker`` as the README starts it (both queues, thread pool)."""
    log = open(log_path, "w")  # noqa: SIM115 - the process owns it until it exits
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "triage_site", "worker", "-n", f"{name}@%h",
         "--without-gossip", "--without-mingle", "--loglevel", "INFO", *extra_args],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)


def worker_ready(log_path: Path) -> bool:
    return " ready." in log_path.read_text(errors="replace")


def stop_worker(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
