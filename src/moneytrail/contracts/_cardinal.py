"""Cardinal's red-flag indicators over compiled OCDS releases.

The definitions, settings, exclusions and results are those of the Open
Contracting Partnership's Cardinal (open-contracting/cardinal-rs), so that its
published fixtures pass unchanged: the output of `run(...).results` is
Cardinal's `--no-meta` shape,
{"OCID": {ocid: {code: value}}, "Buyer": ..., "ProcuringEntity": ..., "Tenderer": ...}.

Each release is folded into running state (one pass, constant memory per
process apart from the per-process ratios that the quartile-based indicators
need); `finish()` computes the fences and flags. Releases are skipped when the
tender is cancelled or its procurementMethodDetails is excluded.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moneytrail.contracts import _release as r
from moneytrail.contracts._quantile import lower_fence, percentile, quartiles, upper_fence
from moneytrail.contracts._settings import Settings

log = logging.getLogger(__name__)

GROUPS = ("OCID", "Buyer", "ProcuringEntity", "Tenderer")
_UNSET = object()
Results = dict[str, dict[str, dict[str, float]]]


@dataclass
class _Fraction:
    numerator: int = 0
    denominator: int = 0

    def add(self, numerator: int, denominator: int) -> None:
        self.numerator += numerator
        self.denominator += denominator

    @property
    def ratio(self) -> float:
        return self.numerator / self.denominator


@dataclass
class CardinalRun:
    """Running state of one indicators run; feed releases, then call finish()."""

    settings: Settings
    results: Results = field(default_factory=dict)
    meta: dict[str, dict[str, float]] = field(default_factory=dict)
    releases_read: int = 0
    lines_skipped: int = 0
    _currency: str | None = None
    _second_lowest: dict[str, float] = field(default_factory=dict)
    _winner_and_runner_up: dict[str, tuple[str, str]] = field(default_factory=dict)
    _r025: dict[str, _Fraction] = field(default_factory=dict)
    _r038: dict[str, dict[str, _Fraction]] = field(
        default_factory=lambda: {"Buyer": {}, "ProcuringEntity": {}, "Tenderer": {}}
    )
    _r048: dict[str, tuple[list[int], set[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._on = self.settings.enabled
        self._cache_submitted: list[r.Obj] | None = None
        self._cache_final: object = _UNSET

    # -- input ---------------------------------------------------------------

    def feed_lines(self, lines: Iterable[str | bytes]) -> None:
        """Releases as JSON lines; lines that are not JSON are skipped with a warning."""
        for number, line in enumerate(lines, 1):
            try:
                value = json.loads(line)
            except ValueError:
                if line.strip():
                    self.lines_skipped += 1
                    log.warning("line %d is invalid JSON, skipping", number)
                continue
            self.feed(value)

    def feed(self, release: object) -> None:
        if not isinstance(release, dict):
            return
        ocid = release.get("ocid")
        s = self.settings
        if (
            not isinstance(ocid, str)
            or r.is_cancelled(release)
            or not r.matches_method_details(
                release, frozenset(), s.exclude_procurement_method_details
            )
        ):
            return
        self.releases_read += 1
        # Several indicators read the same derived lists: derive them once per release.
        self._cache_submitted = None
        self._cache_final = _UNSET
        on = self._on
        if "R024" in on or "R058" in on:
            self._fold_second_lowest(release, ocid)
        if "R003" in on:
            self._r003(release, ocid)
        if "R018" in on:
            self._r018(release, ocid)
        if "R025" in on:
            self._fold_r025(release)
        if "R028" in on:
            self._r028(release, ocid)
        if "R030" in on:
            self._r030(release, ocid)
        if "R035" in on:
            self._r035(release, ocid)
        if "R036" in on:
            self._r036(release, ocid)
        if "R038" in on:
            self._fold_r038(release)
        if "R048" in on:
            self._fold_r048(release)

    def _submitted(self, release: r.Release) -> list[r.Obj]:
        if self._cache_submitted is None:
            self._cache_submitted = r.submitted_bids(release)
        return self._cache_submitted

    def _final(self, release: r.Release) -> tuple[list[r.Obj], list[Any]] | None:
        if self._cache_final is _UNSET:
            self._cache_final = r.complete_awards_if_all_final(release)
        return self._cache_final  # type: ignore[return-value]

    def _set(self, group: str, key: str, code: str, value: float) -> None:
        self.results.setdefault(group, {}).setdefault(key, {})[code] = value

    def _price_comparable(self, release: r.Release) -> bool:
        s = self.settings
        return r.matches_method_details(
            release,
            s.price_comparison_procurement_methods,
            s.no_price_comparison_procurement_methods,
        )

    def _same_currency(self, currency: str) -> bool:
        """The first currency seen (or the configured one) is the only one compared."""
        if self._currency is None:
            self._currency = self.settings.currency or currency
        if currency != self._currency:
            log.warning("%s is not %s, skipping", currency, self._currency)
            return False
        return True

    # -- per-release indicators -------------------------------------------------

    def _r003(self, release: r.Release, ocid: str) -> None:
        s = self.settings
        tender = r.obj(release, "tender")
        if tender is None or not r.matches_method(tender, s.r003_procurement_methods):
            return
        period = r.obj(tender, "tenderPeriod")
        start = _rfc3339(r.text(period, "startDate"))
        end = _rfc3339(r.text(period, "endDate"))
        if start is None or end is None:
            return
        delta = end - start
        # chrono's num_days() truncates toward zero; timedelta.days floors.
        days = delta.days if delta.days >= 0 else -((-delta).days)
        details = r.text(tender, "procurementMethodDetails")
        threshold = s.r003_threshold
        if details is not None:
            threshold = s.r003_procurement_method_details.get(details, threshold)
        if days < threshold:
            self._set("OCID", ocid, "R003", 1.0)

    def _r018(self, release: r.Release, ocid: str) -> None:
        tender = r.obj(release, "tender")
        if tender is None or not r.matches_method(tender, self.settings.r018_procurement_methods):
            return
        count = tender.get("numberOfTenderers")
        # Cardinal reads the count as an unsigned integer: 1.0 is not 1.
        if type(count) is int and count == 1:
            self._set("OCID", ocid, "R018", 1.0)

    def _fold_second_lowest(self, release: r.Release, ocid: str) -> None:
        if not self._price_comparable(release):
            return
        found = self._final(release)
        if found is None:
            return
        awards, details = found
        # One active award: all bids competed for it. Several need lots, not modelled.
        if len(awards) != 1:
            return
        supplier = r.sole_supplier_id(awards[0])
        if supplier is None:
            return
        winner: tuple[str, float] | None = None
        runner_up: tuple[str, float] | None = None
        for tenderer, amount, currency in r.valid_bid_prices(details):
            if not self._same_currency(currency):
                continue
            if tenderer == supplier:
                if winner is None or amount < winner[1]:
                    winner = (tenderer, amount)
            elif runner_up is None or amount < runner_up[1]:
                runner_up = (tenderer, amount)
        # When a higher bid won, the award criteria were not price alone.
        if winner is not None and runner_up is not None and runner_up[1] >= winner[1]:
            self._second_lowest[ocid] = (runner_up[1] - winner[1]) / winner[1]
            self._winner_and_runner_up[ocid] = (winner[0], runner_up[0])

    def _fold_r025(self, release: r.Release) -> None:
        found = self._final(release)
        if found is None or len(found[0]) != 1:
            return
        supplier = r.sole_supplier_id(found[0][0])
        if supplier is None:
            return
        valid: set[str] = set()
        for bid in found[1]:
            tenderers = r.arr(bid, "tenderers")
            if r.text(bid, "status") == "valid" and len(tenderers) == 1:
                tenderer = r.text(tenderers[0], "id")
                if tenderer is not None:
                    valid.add(tenderer)
        for tenderer in valid:
            self._r025.setdefault(tenderer, _Fraction()).add(int(tenderer == supplier), 1)

    def _r028(self, release: r.Release, ocid: str) -> None:
        if not self._price_comparable(release):
            return
        prices: dict[tuple[float, str], frozenset[str]] = {}
        for bid in self._submitted(release):
            tenderers = bid.get("tenderers")
            value = r.obj(bid, "value")
            amount, currency = r.number(value, "amount"), r.text(value, "currency")
            if not isinstance(tenderers, list) or amount is None or currency is None:
                continue
            ids = frozenset(r.ids_of(tenderers))
            if not ids:
                continue
            price = (amount, currency)
            other = prices.get(price)
            # A tenderer may submit several bids at the same price.
            if other is not None and ids != other:
                self._set("OCID", ocid, "R028", 1.0)
                for ident in ids | other:
                    self._set("Tenderer", ident, "R028", 1.0)
            prices[price] = ids

    def _r030(self, release: r.Release, ocid: str) -> None:
        end = r.text(r.obj(r.obj(release, "tender"), "tenderPeriod"), "endDate")
        awards = release.get("awards")
        details = r.bid_details(release)
        if end is None or not isinstance(awards, list) or details is None:
            return
        suppliers: set[str] = set()
        for award in awards:
            if r.text(award, "status") == "active" and isinstance(award.get("suppliers"), list):
                suppliers.update(r.ids_of(award["suppliers"]))
        for bid in details:
            date = r.text(bid, "date")
            tenderers = bid.get("tenderers") if isinstance(bid, dict) else None
            # Cardinal compares the date strings as they are written.
            if r.text(bid, "status") != "valid" or date is None or not isinstance(tenderers, list):
                continue
            if date > end:
                for ident in r.ids_of(tenderers):
                    if ident in suppliers:
                        self._set("OCID", ocid, "R030", 1.0)
                        self._set("Tenderer", ident, "R030", 1.0)

    def _r035(self, release: r.Release, ocid: str) -> None:
        found = self._final(release)
        if found is None:
            return
        awarded: set[str] = set()
        for award in found[0]:
            awarded.update(r.ids_of(r.arr(award, "suppliers")))
        valid: set[str] = set()
        disqualified: set[str] = set()
        for bid in found[1]:
            status, tenderers = r.text(bid, "status"), bid.get("tenderers")
            if status is None or not isinstance(tenderers, list):
                continue
            if status == "valid":
                valid.update(r.ids_of(tenderers))
            elif status == "disqualified":
                disqualified.update(r.ids_of(tenderers))
        # Several winners can be a buyer aggregating bids, which is no red flag.
        if len(valid) == 1 and valid == awarded:
            others = len(disqualified - valid)
            if others >= self.settings.r035_threshold:
                self._set("OCID", ocid, "R035", float(others))
                self._set("Tenderer", next(iter(valid)), "R035", 0.0)

    def _r036(self, release: r.Release, ocid: str) -> None:
        if not self._price_comparable(release):
            return
        awards = release.get("awards")
        if not isinstance(awards, list) or not any(r.text(a, "status") == "active" for a in awards):
            return
        lowest: float | None = None
        lowest_disqualified = False
        has_valid = False
        for bid in self._submitted(release):
            value = r.obj(bid, "value")
            amount, currency = r.number(value, "amount"), r.text(value, "currency")
            status = r.text(bid, "status")
            if amount is None or currency is None or not self._same_currency(currency):
                continue
            if lowest is None or amount < lowest:
                lowest = amount
                lowest_disqualified = status == "disqualified"
            if status == "valid":
                has_valid = True
        if has_valid and lowest_disqualified:
            self._set("OCID", ocid, "R036", 1.0)

    def _fold_r038(self, release: r.Release) -> None:
        bids = self._submitted(release)
        if not bids:
            return
        disqualified = 0
        for bid in bids:
            increment = int(r.text(bid, "status") == "disqualified")
            disqualified += increment
            for ident in r.ids_of(r.arr(bid, "tenderers")):
                self._r038["Tenderer"].setdefault(ident, _Fraction()).add(increment, 1)
        buyer = r.text(r.obj(release, "buyer"), "id")
        if buyer is not None:
            self._r038["Buyer"].setdefault(buyer, _Fraction()).add(disqualified, len(bids))
        entity = r.text(r.obj(r.obj(release, "tender"), "procuringEntity"), "id")
        if entity is not None:
            self._r038["ProcuringEntity"].setdefault(entity, _Fraction()).add(
                disqualified, len(bids)
            )

    def _fold_r048(self, release: r.Release) -> None:
        seen: set[str] = set()
        for award in r.arr(release, "awards"):
            items = award.get("items") if isinstance(award, dict) else None
            # Several suppliers need not supply every item: count sole suppliers only.
            supplier = r.sole_supplier_id(award) if isinstance(award, dict) else None
            if (
                r.text(award, "status") != "active"
                or not isinstance(items, list)
                or supplier is None
            ):
                continue
            for item in items:
                code = r.text(r.obj(item, "classification"), "id")
                if code is None:
                    continue
                count, codes = self._r048.setdefault(supplier, ([0], set()))
                if supplier not in seen:
                    seen.add(supplier)
                    count[0] += 1
                codes.add(code[: self.settings.r048_digits])

    # -- finish ------------------------------------------------------------------

    def finish(self) -> Results:
        """Compute the fences, flag, and return results in Cardinal's group order."""
        on = self._on
        if "R024" in on:
            self._finish_r024()
        if "R025" in on:
            self._finish_r025()
        if "R038" in on:
            for group, minimum in (
                ("Buyer", self.settings.r038_minimum_contracting_processes),
                ("ProcuringEntity", self.settings.r038_minimum_contracting_processes),
                ("Tenderer", self.settings.r038_minimum_submitted_bids),
            ):
                self._finish_r038(group, minimum)
        if "R048" in on:
            self._finish_r048()
        if "R058" in on:
            self._finish_r058()
        return {g: self.results[g] for g in GROUPS if self.results.get(g)}

    def _meta(self, code: str, key: str, value: float) -> None:
        self.meta.setdefault(code, {})[key] = value

    def _finish_r024(self) -> None:
        threshold = self.settings.r024_threshold
        if threshold is None:
            q1, q3 = quartiles(self._second_lowest.values())
            self._meta("R024", "q1", q1)
            self._meta("R024", "q3", q3)
            fence = lower_fence(q1, q3)
        else:
            q1, fence = 1.0, threshold  # q1 only guards the computed fence
        self._meta("R024", "lower_fence", fence)
        # Skip when a quarter of processes have no difference: else most would be flagged.
        if q1 > 0.0 and fence > 0.0:
            for ocid, ratio in self._second_lowest.items():
                if ratio <= fence:
                    self._set("OCID", ocid, "R024", ratio)
                    for ident in self._winner_and_runner_up[ocid]:
                        self._set("Tenderer", ident, "R024", 0.0)

    def _finish_r058(self) -> None:
        threshold = self.settings.r058_threshold
        if threshold is None:
            q1, q3 = quartiles(self._second_lowest.values())
            self._meta("R058", "q1", q1)
            self._meta("R058", "q3", q3)
            threshold = upper_fence(q1, q3)
        self._meta("R058", "upper_fence", threshold)
        if threshold > 0.0:
            for ocid, ratio in self._second_lowest.items():
                if ratio >= threshold:
                    self._set("OCID", ocid, "R058", ratio)
                    self._set("Tenderer", self._winner_and_runner_up[ocid][0], "R058", 0.0)

    def _finish_r025(self) -> None:
        s = self.settings
        fence_count = percentile((f.denominator for f in self._r025.values()), s.r025_percentile)
        if s.r025_threshold is None:
            q1, q3 = quartiles(f.ratio for f in self._r025.values())
            self._meta("R025", "q1", q1)
            self._meta("R025", "q3", q3)
            fence = lower_fence(q1, q3)
        else:
            q1, fence = 1.0, s.r025_threshold
        self._meta("R025", "upper_fence", fence_count)
        self._meta("R025", "lower_fence", fence)
        # Skip when a quarter of tenderers never win: else most top tenderers are flagged.
        if q1 > 0.0 and fence > 0.0:
            for ident, fraction in self._r025.items():
                if fraction.denominator >= fence_count and fraction.ratio <= fence:
                    self._set("Tenderer", ident, "R025", fraction.ratio)

    def _finish_r038(self, group: str, minimum: int) -> None:
        ratios = {k: f.ratio for k, f in self._r038[group].items() if f.denominator >= minimum}
        if not ratios:
            return
        fence = self.settings.r038_threshold
        if fence is None:
            q1, q3 = quartiles(ratios.values())
            self._meta("R038", f"{group}_q1", q1)
            self._meta("R038", f"{group}_q3", q3)
            fence = upper_fence(q1, q3)
        self._meta("R038", f"{group}_upper_fence", fence)
        if fence > 0.0:
            for ident, ratio in ratios.items():
                if ratio >= fence:
                    self._set(group, ident, "R038", ratio)

    def _finish_r048(self) -> None:
        s = self.settings
        lengths = {
            k: float(len(codes))
            for k, (count, codes) in self._r048.items()
            if count[0] >= s.r048_minimum_contracting_processes
        }
        if s.r048_threshold is None:
            q1, q3 = quartiles(lengths.values())
            self._meta("R048", "q1", q1)
            self._meta("R048", "q3", q3)
            fence = upper_fence(q1, q3)
        else:
            fence = float(s.r048_threshold)
        self._meta("R048", "upper_fence", fence)
        for ident, length in lengths.items():
            if length >= fence:
                self._set("Tenderer", ident, "R048", length)


def _rfc3339(value: str | None) -> datetime | None:
    """A date-time with a date, a time and an offset, as chrono's parse_from_rfc3339 wants."""
    if value is None or len(value) < 20 or value[10] not in "Tt ":
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def indicators(releases: Iterable[Any], settings: Settings) -> Results:
    """Cardinal's no-meta results for compiled releases (dicts)."""
    run = CardinalRun(settings)
    for release in releases:
        run.feed(release)
    return run.finish()
