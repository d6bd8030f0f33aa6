"""One apprise target at a time, so that each channel's success is known (shared/STACK_NOTES.md §4).

Messages are plain text (the outbox's body, as the recipient reads it). An e-mail channel is asked for
`format=text` unless its URL says otherwise: apprise's e-mail is HTML by default, and it would rebuild the
text from an HTML copy of ours (joined by non-breaking spaces, indentation lost) instead of sending ours.

apprise never raises: `notify()` returns True, False, or None when nothing matched; only True is success.
Errors returned here never contain the message or the URL's secrets, only what kind of failure it was.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass

import apprise
from apprise import NotifyFormat

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fingerprint(url: str) -> str:
    """A stable, secret-free name for a channel (what the outbox records as delivered)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def scheme(url: str) -> str:
    return url.split("://", 1)[0] if "://" in url else "?"


@dataclass(frozen=True)
class Result:
    ok: bool
    error: str | None = None


def expand(url: str, environ: dict[str, str] | None = None) -> tuple[str | None, str | None]:
    """Replace ${VAR} from the environment; (url, None) or (None, error naming the missing variable)."""
    env = os.environ if environ is None else environ
    missing = [m.group(1) for m in _VAR.finditer(url) if not env.get(m.group(1))]
    if missing:
        return None, f"channel needs environment variable {missing[0]}"
    return _VAR.sub(lambda m: env[m.group(1)], url), None


def with_timeouts(url: str, seconds: int) -> str:
    """Add apprise's connect/read timeouts unless the URL sets them (mailto waits 15 s by default)."""
    extra = [f"{k}={seconds}" for k in ("cto", "rto") if not re.search(rf"[?&]{k}=", url)]
    if not extra:
        return url
    return url + ("&" if "?" in url else "?") + "&".join(extra)


EMAIL_SCHEMES = ("mailto", "mailtos")


def as_text(url: str) -> str:
    """An e-mail channel's URL with `format=text` (one text/plain part, our body unchanged), unless it sets
    a format itself; other channels unchanged."""
    if scheme(url).lower() not in EMAIL_SCHEMES or re.search(r"[?&]format=", url):
        return url
    return url + ("&" if "?" in url else "?") + "format=text"


def problem(url: str) -> str | None:
    """Why `url` cannot be a channel, or None. `${VAR}` placeholders are resolved at delivery time, so
    such a URL is only checked for its shape. The message never repeats the URL (it may hold secrets)."""
    if "${" in url:
        return None if ("://" in url or url.startswith("${")) else "a channel with ${VAR} must still be a URL"
    if apprise.Apprise.instantiate(url, suppress_exceptions=True) is None:
        return f"{scheme(url) if '://' in url else url[:10]!r}... is not a notification URL apprise understands"
    return None


def send(url: str, subject: str, body: str, timeout_seconds: int = 10) -> Result:
    resolved, err = expand(url)
    if resolved is None:
        return Result(False, err)
    a = apprise.Apprise()
    if not a.add(as_text(with_timeouts(resolved, timeout_seconds))):
        return Result(False, f"{scheme(url)}:// channel URL not understood by apprise")
    # apprise logs its own warnings with host names; keep them at ERROR so that message content never
    # reaches our logs, and report the outcome ourselves.
    logging.getLogger("apprise").setLevel(logging.ERROR)
    outcome = a.notify(title=subject, body=body, body_format=NotifyFormat.TEXT)
    if outcome is True:
        return Result(True)
    return Result(False, f"{scheme(url)}:// channel refused the message or was unreachable")
