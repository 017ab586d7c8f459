"""A real server for the tests: `news-search serve` (gunicorn) on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(
        self,
        index: Path,
        log: Path,
        command: list[str] | None = None,
        cwd: Path = ROOT,
        wait_for: int = 200,
        workers: int = 2,
    ) -> None:
        """Start the server; ready when ``/api/health`` answers ``wait_for``."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._out = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [*(command or [sys.executable, "-m", "search.cli"]), "serve", "--index", str(index),
             "--port", str(self.port), "--workers", str(workers)],
            cwd=cwd, stdout=self._out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited: {log.read_text()}")
            try:
                if requests.get(self.url + "/api/health", timeout=1).status_code == wait_for:
                    return
            except (requests.ConnectionError, requests.Timeout):  # a worker opening the index
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not answer within 30 s")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self._out.close()
        return code
