"""Quiet hours hold non-urgent messages until the morning, in the recipient's timezone."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.quiet import BadQuietHours, QuietHours

SHANGHAI = "Asia/Shanghai"


def test_the_night_is_quiet_and_ends_at_eight_local() -> None:
    quiet = QuietHours()
    # 22:30 in Shanghai is 14:30 UTC; held until 08:00 next morning Shanghai = 00:00 UTC.
    held = quiet.held_until(datetime(2026, 12, 3, 14, 30, tzinfo=UTC), SHANGHAI)
    assert held == datetime(2026, 12, 4, 0, 0, tzinfo=UTC)
    # 06:00 Shanghai: held until 08:00 the same morning.
    held = quiet.held_until(datetime(2026, 12, 3, 22, 0, tzinfo=UTC), SHANGHAI)
    assert held == datetime(2026, 12, 4, 0, 0, tzinfo=UTC)
    # 10:00 Shanghai: not held.
    assert quiet.held_until(datetime(2026, 12, 3, 2, 0, tzinfo=UTC), SHANGHAI) is None


def test_each_recipient_has_their_own_night() -> None:
    quiet = QuietHours()
    now = datetime(2026, 12, 3, 14, 30, tzinfo=UTC)  # 22:30 Shanghai, 15:30 Berlin
    assert quiet.held_until(now, SHANGHAI) is not None
    assert quiet.held_until(now, "Europe/Berlin") is None


def test_configured_spans_and_off() -> None:
    assert QuietHours.parse("22:30-07:15") == QuietHours(time(22, 30), time(7, 15))
    assert QuietHours.parse("13:00-14:00").is_quiet(time(13, 30))
    assert not QuietHours.parse("off").enabled
    assert not QuietHours.parse("off").is_quiet(time(3, 0))


@given(st.text(max_size=20))
def test_malformed_quiet_hours_are_refused_clearly(text: str) -> None:
    try:
        quiet = QuietHours.parse(text)
    except BadQuietHours as exc:
        message = str(exc)
    else:
        message = quiet.describe()
    assert (
        "21:00-08:00" in message
        or "not a time" in message
        or message == "off"
        or (message == f"{quiet.start:%H:%M}-{quiet.end:%H:%M}")
    )


@pytest.mark.parametrize("text", ["25:00-08:00", "21:61-08:00", "9-5", "21:00"])
def test_impossible_times_are_refused(text: str) -> None:
    with pytest.raises(BadQuietHours):
        QuietHours.parse(text)
