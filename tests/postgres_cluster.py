"""A throwaway PostgreSQL 15 server for the test run, started from Debian's binaries.

Tests run as root in CI, and PostgreSQL refuses to run as root, so the cluster's files belong
to the `postgres` user and every server command runs as that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("SCORELINK_PG_BIN", "/usr/lib/postgresql/15/bin"))


class ClusterUnavailable(RuntimeError):
    """The machine cannot start a PostgreSQL server (binaries missing or start failed)."""


@dataclass
class PostgresCluster:
    root: Path
    port: int
    options: str = ""

    @property
    def admin_url(self) -> str:
        return self.url("postgres")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def stop_server(self, mode: str = "fast") -> None:
        """Stop the server but keep its files; `immediate` is a crash that needs WAL recovery."""
        _run_as_owner([str(PG_BIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", mode, "stop"])

    def start_server(self) -> None:
        """Start the stopped server again on the same port."""
        _start(self.root, self.options)

    def stop(self) -> None:
        _run_as_owner(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"],
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_as_owner(command: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)  # noqa: S603


def _start(root: Path, options: str) -> None:
    _run_as_owner(
        [
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(root / "data"),
            "-o",
            options,
            "-l",
            str(root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        ]
    )


def start_cluster(*, durable: bool = False) -> PostgresCluster:
    """initdb a fresh cluster in a temporary folder and start it on a free loopback port.

    `durable` keeps PostgreSQL's crash-safety settings (fsync, synchronous commit, full-page
    writes) on, for tests that crash it and count on acknowledged commits surviving.
    """
    if not (PG_BIN / "initdb").exists():
        raise ClusterUnavailable(f"no PostgreSQL binaries in {PG_BIN}")
    root = Path(tempfile.mkdtemp(prefix="scorelink-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    data = root / "data"
    try:
        _run_as_owner(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                *([] if durable else ["--no-sync"]),
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )
        # Durability settings are off because a test cluster is thrown away; the crash tests
        # of the reliability suite start their own cluster with them on.
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        _start(root, options)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        log = root / "server.log"
        detail = log.read_text() if log.exists() else getattr(exc, "stderr", "") or str(exc)
        shutil.rmtree(root, ignore_errors=True)
        raise ClusterUnavailable(f"PostgreSQL did not start: {detail.strip()[-2000:]}") from exc
    return PostgresCluster(root=root, port=port, options=options)
