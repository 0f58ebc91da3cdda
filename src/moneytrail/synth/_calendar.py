"""Days of the simulated period: weekdays, US federal holidays, business days."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Days = npt.NDArray[np.int64]
"""Day numbers: days since 1970-01-01."""

SECONDS_PER_DAY = 86_400


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> np.datetime64:
    """The n-th (1-based; -1 = last) given weekday (Mon=0) of a month."""
    first = np.datetime64(f"{year}-{month:02d}-01")
    if n > 0:
        offset = (weekday - _weekday(first)) % 7
        return first + np.timedelta64(offset + 7 * (n - 1), "D")
    last = (first.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1
    result: np.datetime64 = last - np.timedelta64((_weekday(last) - weekday) % 7, "D")
    return result


def _weekday(day: np.datetime64) -> int:
    # 1970-01-01 was a Thursday (3).
    return int((day.astype("datetime64[D]").astype(np.int64) + 3) % 7)


def federal_holidays(year: int) -> list[np.datetime64]:
    fixed = [(1, 1), (6, 19), (7, 4), (11, 11), (12, 25)]
    days = [np.datetime64(f"{year}-{m:02d}-{d:02d}") for m, d in fixed]
    days += [
        _nth_weekday(year, 1, 0, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),  # Washington's Birthday
        _nth_weekday(year, 5, 0, -1),  # Memorial Day
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 10, 0, 2),  # Columbus Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving
    ]
    observed = []
    for d in days:  # a holiday on a weekend is observed on the nearest weekday
        wd = _weekday(d)
        observed.append(d + np.timedelta64(1 if wd == 6 else -1 if wd == 5 else 0, "D"))
    return observed


@dataclass(frozen=True)
class Calendar:
    start: np.datetime64
    days: Days  # every day of the period
    weekday: npt.NDArray[np.int64]  # Mon=0 .. Sun=6
    holiday: npt.NDArray[np.bool_]

    @classmethod
    def build(cls, start: str, months: int) -> Calendar:
        first = np.datetime64(start, "D")
        end = (first.astype("datetime64[M]") + months).astype("datetime64[D]")
        days = np.arange(first, end).astype(np.int64)
        weekday = (days + 3) % 7
        years = range(int(str(first)[:4]), int(str(end)[:4]) + 1)
        holidays = np.array(
            [h.astype(np.int64) for y in years for h in federal_holidays(y)], dtype=np.int64
        )
        return cls(first, days, weekday, np.isin(days, holidays))

    @property
    def business(self) -> npt.NDArray[np.bool_]:
        return (self.weekday < 5) & ~self.holiday

    @property
    def n_days(self) -> int:
        return len(self.days)

    def month_starts(self) -> Days:
        months = self.days.astype("datetime64[D]").astype("datetime64[M]")
        return self.days[np.r_[True, months[1:] != months[:-1]]]

    def previous_business_day(self, day: Days) -> Days:
        """Each day, or the last business day before it."""
        return self._shift(day, -1)

    def next_business_day(self, day: Days) -> Days:
        return self._shift(day, +1)

    def _shift(self, day: Days, step: int) -> Days:
        index = np.clip(day - self.days[0], 0, self.n_days - 1)
        ok = self.business
        out = index.copy()
        for _ in range(7):  # at most a long weekend plus a holiday
            bad = ~ok[out]
            if not bad.any():
                break
            out[bad] = np.clip(out[bad] + step, 0, self.n_days - 1)
        shifted: Days = self.days[out]
        return shifted
