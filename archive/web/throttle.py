"""Login throttling: a doubling delay per (name, address) and a leaky bucket per address.

Neither can be used to keep a curator out: the delay belongs to the pair of the name and
the address that guessed wrong (the curator at any other address logs in at once), and the
bucket belongs to the guessing address alone. A throttled attempt is refused before its
password is looked at and does not count as a failure, so hammering never lengthens a wait.
State lives in the server process (one `archive serve` per archive), bounded in size.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["LoginThrottle"]


@dataclass
class _Pair:
    failures: int
    last_failure: float


@dataclass
class _Bucket:
    tokens: float
    updated: float


class LoginThrottle:
    """How long a login attempt for a name from an address must wait (seconds).

    Per (name, address): the first FREE_FAILURES wrong passwords cost nothing, each further
    one doubles the wait from BASE_DELAY_S up to MAX_DELAY_S; a login clears it, and so do
    FORGET_S seconds without failures. Per address: ADDRESS_BURST failures at once, then one
    every ADDRESS_REFILL_S seconds, whatever names are tried. `clock` is monotonic seconds.
    """

    FREE_FAILURES = 3
    BASE_DELAY_S = 2.0
    MAX_DELAY_S = 300.0
    FORGET_S = 3600.0
    ADDRESS_BURST = 20
    ADDRESS_REFILL_S = 3.0
    MAX_ENTRIES = 10_000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._pairs: OrderedDict[tuple[str, str], _Pair] = OrderedDict()
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def wait_s(self, name: str, address: str) -> float:
        """Seconds before an attempt for `name` from `address` is heard; 0.0: now."""
        with self._lock:
            now = self._clock()
            return max(self._pair_wait(name, address, now), self._bucket_wait(address, now))

    def failed(self, name: str, address: str) -> None:
        """Count a wrong password for `name` from `address`."""
        with self._lock:
            now = self._clock()
            pair = self._live_pair(name, address, now)
            failures = pair.failures + 1 if pair else 1
            self._pairs[(name, address)] = _Pair(failures, now)
            self._pairs.move_to_end((name, address))
            bucket = self._refilled(address, now)
            self._buckets[address] = _Bucket(max(0.0, bucket.tokens - 1.0), now)
            self._buckets.move_to_end(address)
            for table in (self._pairs, self._buckets):
                while len(table) > self.MAX_ENTRIES:
                    table.popitem(last=False)

    def succeeded(self, name: str, address: str) -> None:
        """A login: the pair's delay starts over (the address's bucket refills by itself)."""
        with self._lock:
            self._pairs.pop((name, address), None)

    def entries(self) -> int:
        """How many pairs and addresses are remembered (bounded by 2 * MAX_ENTRIES)."""
        return len(self._pairs) + len(self._buckets)

    def _live_pair(self, name: str, address: str, now: float) -> _Pair | None:
        pair = self._pairs.get((name, address))
        if pair is not None and now - pair.last_failure >= self.FORGET_S:
            del self._pairs[(name, address)]
            return None
        return pair

    def _pair_wait(self, name: str, address: str, now: float) -> float:
        pair = self._live_pair(name, address, now)
        if pair is None or pair.failures <= self.FREE_FAILURES:
            return 0.0
        delay = self.BASE_DELAY_S * 2.0 ** (pair.failures - self.FREE_FAILURES - 1)
        return max(0.0, min(delay, self.MAX_DELAY_S) - (now - pair.last_failure))

    def _refilled(self, address: str, now: float) -> _Bucket:
        bucket = self._buckets.get(address)
        if bucket is None:
            return _Bucket(float(self.ADDRESS_BURST), now)
        tokens = bucket.tokens + (now - bucket.updated) / self.ADDRESS_REFILL_S
        return _Bucket(min(float(self.ADDRESS_BURST), tokens), now)

    def _bucket_wait(self, address: str, now: float) -> float:
        tokens = self._refilled(address, now).tokens
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) * self.ADDRESS_REFILL_S
