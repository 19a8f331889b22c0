"""A clock tests control: ``clock()`` returns the time, ``clock.advance(...)`` moves it."""

from __future__ import annotations

import datetime as dt


class FakeClock:
    """A ``Callable[[], datetime]`` to inject wherever syncd takes a ``clock``; it moves only when told."""

    def __init__(self, start: dt.datetime = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)) -> None:
        if start.utcoffset() is None:
            raise ValueError("the clock's time must be timezone-aware")
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, by: dt.timedelta | float) -> dt.datetime:
        """Move forward by a timedelta or a number of seconds; returns the new time."""
        step = by if isinstance(by, dt.timedelta) else dt.timedelta(seconds=by)
        if step < dt.timedelta(0):
            raise ValueError("a clock does not go backwards; use set() to jump")
        self.now += step
        return self.now

    def set(self, when: dt.datetime) -> None:
        if when.utcoffset() is None:
            raise ValueError("the clock's time must be timezone-aware")
        self.now = when
