"""One owner for network retries: every client's request goes through `retrying`.

Exponential backoff with jitter (NCBI's 429 carries no Retry-After, and feeds rarely send
one), over what another attempt may fix: timeouts, refused or reset connections, and replies
the client marks `Retryable` (429/5xx, a cut-off body, a backend hiccup). Anything else is
raised at once. Prefect's task retries are not used for the network (see kapwatch.flow).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import httpx

log = logging.getLogger(__name__)

MAX_DELAY = 60.0  # cap on one backoff pause, seconds
_T = TypeVar("_T")


class Retryable(Exception):
    """A reply another attempt may fix; the message says what was wrong with it."""


class GaveUp(Exception):
    """Every attempt failed; `reason` says what went wrong the last time, `last` raised it."""

    def __init__(self, reason: str, attempts: int, last: Exception) -> None:
        self.reason, self.attempts, self.last = reason, attempts, last
        super().__init__(f"{reason} (gave up after {attempts} attempts)")


def pause(attempt: int, backoff: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, ...)."""
    delay = min(backoff * 2 ** (attempt - 1), MAX_DELAY)
    return delay * (1 + random.random() / 4)


def retrying(
    attempt: Callable[[], _T],
    *,
    what: str,
    attempts: int,
    backoff: float,
    clean: Callable[[str], str] = str,
) -> _T:
    """attempt() until it returns, at most `attempts` times; raises GaveUp after the last.

    `what` names the request in log lines (and is taken off the front of a Retryable's
    message); `clean` redacts what a log line must not carry.
    """
    attempts = max(1, attempts)
    last: Exception = RuntimeError("no attempt made")
    reason = ""
    for number in range(1, attempts + 1):
        try:
            return attempt()
        except httpx.TimeoutException as exc:
            last, reason = exc, f"timed out ({type(exc).__name__})"
        except httpx.RequestError as exc:  # refused, reset, cut off mid-body, bad gzip
            last, reason = exc, f"{type(exc).__name__}: {exc}"
        except Retryable as exc:
            last, reason = exc, str(exc).removeprefix(f"{what}: ")
        if number < attempts:
            delay = pause(number, backoff)
            log.info("%s: %s; retrying in %.2f s", what, clean(reason), delay)
            time.sleep(delay)
    raise GaveUp(reason, attempts, last)
