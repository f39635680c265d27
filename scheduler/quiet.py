"""Quiet hours: non-urgent messages wait for the morning in the recipient's own timezone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class BadQuietHours(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class QuietHours:
    """From `start` to `end` local time (wrapping midnight when end < start); equal: never."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """`21:00-08:00`, or `off`/`none` for no quiet hours."""
        if text.strip().lower() in ("off", "none", ""):
            return cls(time(0, 0), time(0, 0))
        match = _SPAN.match(text)
        if not match:
            raise BadQuietHours(f"quiet hours look like 21:00-08:00 or off, not {text!r}")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise BadQuietHours(f"not a time of day in {text!r}")
        return cls(time(h1, m1), time(h2, m2))

    @property
    def enabled(self) -> bool:
        return self.start != self.end

    def is_quiet(self, local: time) -> bool:
        if not self.enabled:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def held_until(self, now: datetime, timezone: str) -> datetime | None:
        """When a message held at `now` may go out for someone in `timezone`; None: not held."""
        zone = zone_or_utc(timezone)
        local = now.astimezone(zone)
        if not self.is_quiet(local.time()):
            return None
        end = datetime.combine(local.date(), self.end, tzinfo=zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=zone)
        return end.astimezone(UTC)

    def describe(self) -> str:
        if not self.enabled:
            return "off"
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def zone_or_utc(name: str) -> ZoneInfo:
    """A person's timezone; a malformed one (imported data) falls back to UTC, not a crash."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Asia" is a folder of tzdata
        return ZoneInfo("UTC")
