from __future__ import annotations

from syncd.zoho import DownloadLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_eleventh_download_in_a_minute_waits_for_the_first_to_age_out() -> None:
    time = FakeTime()
    limiter = DownloadLimiter(10, monotonic=time.monotonic, sleep=time.sleep)
    for second in range(10):
        time.now = float(second)
        limiter.acquire()
    assert time.slept == []
    limiter.acquire()
    assert time.slept == [51.0]  # the first started at 0 s; it is now 9 s
    assert time.now == 60.0
