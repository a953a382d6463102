"""Password throttling for a shared dashboard: per client address and for the whole server.

A sleep after a wrong password slows one browser session only: eight sessions in parallel guessed 3.3
times a second. Here every wrong guess opens a lock-out window for its client address that doubles with
each further failure (1 s, 2 s, 4 s … capped), and too many failures across all addresses in a minute lock
everyone out for a while, so a shared phrase cannot be brute-forced from one machine or from many. A
guess during a lock-out is not even compared. Nothing sleeps: the clock is injected (tests pass a fake
one), and the page says how long to wait. One Throttle per server process (st.cache_resource).
"""
from __future__ import annotations

import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

PER_ADDRESS_BASE_S = 1.0      # the first wrong guess locks its address out this long, doubling after
PER_ADDRESS_MAX_S = 300.0
GLOBAL_WINDOW_S = 60.0        # at most GLOBAL_MAX_FAILURES wrong guesses from everyone in this window...
GLOBAL_MAX_FAILURES = 30      # ...beyond that, everyone waits until the window has room again
FORGET_AFTER_S = 3600.0       # an address that stays quiet this long starts over


def trusted_proxies() -> set[str]:
    """Addresses of the reverse proxies the server's owner put in front: $BATCHSCOPE_TRUSTED_PROXIES
    (comma-separated; "127.0.0.1" for a proxy on the same machine). Empty: no proxy is trusted."""
    return {p.strip() for p in os.environ.get("BATCHSCOPE_TRUSTED_PROXIES", "").split(",") if p.strip()}


def client_key(remote: str | None, forwarded_for: str | None, session: str, trusted: set[str]) -> str:
    """The throttle's unit for one login attempt, from what the server saw.

    ``remote``: the connection's address as Streamlit reports it (None on localhost; uvicorn has already
    replaced it with X-Forwarded-For's last hop when the peer was 127.0.0.1). ``forwarded_for``: the
    X-Forwarded-For header as sent.
    - No trusted proxy: the header is the visitor's own words. Whoever sends one shares a single bucket
      ("forwarded"), so a fresh address per guess buys nothing; everyone else is keyed by address.
    - A trusted proxy: its last X-Forwarded-For hop is the client. A proxy that sends no header leaves
      every visitor behind one address, so each browser session is its own bucket ("session:…"), and the
      server-wide limit bounds the total; one visitor's ten wrong guesses never lock the others out."""
    hops = [h.strip() for h in (forwarded_for or "").split(",") if h.strip()]
    peer = remote or "127.0.0.1"
    if not trusted:
        return "forwarded" if hops else (remote or "local")
    if hops and peer in trusted:
        return hops[-1]
    if hops and remote and remote == hops[-1] and "127.0.0.1" in trusted:   # uvicorn took the hop already
        return remote
    if peer in trusted:
        return f"session:{session}"
    return peer


@dataclass
class Throttle:
    clock: Callable[[], float] = time.monotonic
    base_s: float = PER_ADDRESS_BASE_S
    max_s: float = PER_ADDRESS_MAX_S
    window_s: float = GLOBAL_WINDOW_S
    max_failures: int = GLOBAL_MAX_FAILURES
    _fails: dict = field(default_factory=dict)           # address -> (failures, locked until, last failure)
    _recent: deque = field(default_factory=deque)        # times of recent failures, all addresses
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_s(self, address: str | None) -> float:
        """Seconds before ``address`` may try a password (0: now). Checked before comparing anything."""
        now, key = self.clock(), address or "local"
        with self._lock:
            self._forget(now)
            count, until, _ = self._fails.get(key, (0, 0.0, 0.0))
            wait = max(0.0, until - now)
            if len(self._recent) >= self.max_failures:
                wait = max(wait, self._recent[0] + self.window_s - now)
            return wait

    def failed(self, address: str | None) -> float:
        """Record a wrong password from ``address``; returns its new lock-out in seconds."""
        now, key = self.clock(), address or "local"
        with self._lock:
            self._forget(now)
            count, _, _ = self._fails.get(key, (0, 0.0, 0.0))
            lock = min(self.max_s, self.base_s * 2 ** count)
            self._fails[key] = (count + 1, now + lock, now)
            self._recent.append(now)
            return lock

    def succeeded(self, address: str | None) -> None:
        with self._lock:
            self._fails.pop(address or "local", None)

    def _forget(self, now: float) -> None:
        while self._recent and self._recent[0] <= now - self.window_s:
            self._recent.popleft()
        if len(self._fails) > 10_000 or any(now - last > FORGET_AFTER_S for _, _, last in self._fails.values()):
            self._fails = {k: v for k, v in self._fails.items() if now - v[2] <= FORGET_AFTER_S}
