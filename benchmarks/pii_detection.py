"""Benchmark of tabletwin's PII detection.

Scores :func:`tabletwin.pii.detect_pii` on the labelled development set (``--data``, default
``../shared/pii-dev`` relative to the repository root, the tuning set) and on the held-out set
(``--heldout``, default ``tests/data/pii-heldout``, built by ``benchmarks/make_pii_heldout.py``
from name sources not used for tuning), both by the pii-dev README's rule: ``truth.json`` maps
each column to an entity (must be flagged), ``null`` (must not be flagged) or ``"either"`` (not
scored). Recall is over the labelled columns, precision over labelled + null columns. Prints
flagged, missed and false-positive columns, seconds per table, and overall recall / precision.
Where a ``subtypes.json`` exists, name columns' subtypes (first/last/full) are scored too.
``--cli`` scores the output of ``tabletwin scan FILE --json`` (one process per table) instead of
calling detect_pii in this process.

``--big`` also builds a synthetic 1,000,000-row x 30-column table (names, e-mails, phones, cards,
IBANs, addresses, free text, numbers, categories, dates, decoys) and times ``detect_pii`` on it.

Run: ``.venv/bin/python benchmarks/pii_detection.py [--data DIR] [--heldout DIR] [--cli] [--big]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tabletwin.pii.detect import detect_pii  # noqa: E402


def _plan_via_cli(path: Path) -> "PiiPlan":
    """The plan ``tabletwin scan PATH --json`` prints, as a PiiPlan."""
    import subprocess

    from tabletwin.pii.plan import ColumnDecision, PiiPlan

    out = subprocess.run([str(REPO / ".venv" / "bin" / "tabletwin"), "scan", str(path), "--json"],
                         check=True, capture_output=True, text=True).stdout
    cols = json.loads(out)["columns"]
    return PiiPlan(path.stem, [ColumnDecision(
        c["name"], c["entity"], c["score"], c["action"], free_text=c["free_text"],
        evidence=c["evidence"], subtype=c.get("subtype"),
        quasi_identifier=c.get("quasi_identifier", False)) for c in cols])


def score_dev_set(data: Path, *, cli: bool = False) -> tuple[float, float]:
    """Detect on every table of a labelled set; print per-table results; return (recall, precision)."""
    truth: dict[str, dict[str, str | None]] = json.loads((data / "truth.json").read_text())
    subtypes_path = data / "subtypes.json"
    subtypes = json.loads(subtypes_path.read_text()) if subtypes_path.exists() else {}
    found = labelled = flagged_scored = true_flagged = 0
    subtype_right = subtype_scored = 0
    for table, labels in truth.items():
        df = pd.read_parquet(data / f"{table}.parquet")
        start = time.perf_counter()
        plan = _plan_via_cli(data / f"{table}.parquet") if cli else detect_pii(df, table=table)
        seconds = time.perf_counter() - start
        flagged = {d.column: d for d in plan.columns if d.is_pii}
        for column, expected in subtypes.get(table, {}).items():
            subtype_scored += 1
            got = flagged[column].subtype if column in flagged else None
            subtype_right += got == expected
            if got != expected:
                print(f"  SUBTYPE   {table}.{column}: {got} (expected {expected})")
        missed, false_pos, hits = [], [], []
        for column, label in labels.items():
            if label == "either":
                continue
            is_flagged = column in flagged
            if label is not None:
                labelled += 1
                found += is_flagged
                (hits if is_flagged else missed).append(column)
            if is_flagged:
                flagged_scored += 1
                true_flagged += label is not None
                if label is None:
                    false_pos.append(column)
        print(f"\n== {table}: {len(df)} rows x {df.shape[1]} columns, {seconds:.2f} s")
        for column in hits:
            d = flagged[column]
            kind = " (free text)" if d.free_text else ""
            print(f"  flagged   {column:28s} {d.entity}{kind} {d.subtype or ''} "
                  f"score={d.score:.2f} action={d.action} truth={labels[column]}")
        for column in missed:
            print(f"  MISSED    {column:28s} truth={labels[column]}")
        for column in false_pos:
            d = flagged[column]
            print(f"  FALSE POS {column:28s} {d.entity} score={d.score:.2f} evidence={d.evidence}")
        either = [c for c, lab in labels.items() if lab == "either" and c in flagged]
        if either:
            print(f"  (either, flagged: {', '.join(either)})")
    recall = found / labelled if labelled else 1.0
    precision = true_flagged / flagged_scored if flagged_scored else 1.0
    print(f"\n{data.name}: recall {recall:.3f} ({found}/{labelled})   precision {precision:.3f} "
          f"({true_flagged}/{flagged_scored})")
    if subtype_scored:
        print(f"{data.name}: name subtype right {subtype_right}/{subtype_scored}")
    return recall, precision


def big_table(rows: int = 1_000_000, seed: int = 7) -> pd.DataFrame:
    """A synthetic table of ``rows`` x 30 columns built from small pools (fast to make)."""
    from tabletwin.pii.fakes import fake_people, fake_values

    rng = np.random.default_rng(seed)
    pool = 5000

    def spread(values: np.ndarray) -> np.ndarray:
        return values[rng.integers(0, len(values), rows)]

    people = fake_people(pool, rng, locale="en_US")
    de_people = fake_people(pool, rng, locale="de_DE")
    dates = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, rows), unit="D")
    notes = np.array([f"Customer {n} called about order {i}." for n, i in
                      zip(people["PERSON"][:pool // 2], range(pool // 2))]
                     + ["Delivered on time, no remarks."] * (pool // 2), dtype=object)
    return pd.DataFrame({
        "customer_id": np.arange(rows, dtype=np.int64),
        "full_name": spread(people["PERSON"].to_numpy()),
        "email": spread(people["EMAIL_ADDRESS"].to_numpy()),
        "kontakt_name": spread(de_people["PERSON"].to_numpy()),
        "phone": spread(fake_values("PHONE_NUMBER", pool, rng)),
        "telefon": spread(fake_values("PHONE_NUMBER", pool, rng, locale="de_DE")),
        "ssn": spread(fake_values("US_SSN", pool, rng)),
        "card": spread(fake_values("CREDIT_CARD", pool, rng)),
        "iban": spread(fake_values("IBAN_CODE", pool, rng, locale="de_DE")),
        "ip": spread(fake_values("IP_ADDRESS", pool, rng)),
        "street": spread(fake_values("LOCATION", pool, rng)),
        "homepage": spread(fake_values("URL", pool, rng)),
        "date_of_birth": spread(pd.date_range("1940-01-01", periods=pool, freq="5D").strftime(
            "%Y-%m-%d").to_numpy()),
        "note": spread(notes),
        "amount": rng.normal(100, 30, rows).round(2),
        "quantity": rng.integers(1, 20, rows),
        "price": rng.gamma(2.0, 10.0, rows),
        "category": spread(np.array(["A", "B", "C", "D"], dtype=object)),
        "status": spread(np.array(["open", "closed", "pending"], dtype=object)),
        "country": spread(np.array(["US", "DE", "FR", "CZ", "BR"], dtype=object)),
        "order_date": dates,
        "order_no": spread(np.array([f"ORD-{i:07d}" for i in range(pool)], dtype=object)),
        "sku": spread(np.array([f"SKU{i:05d}X" for i in range(pool)], dtype=object)),
        "version": spread(np.array([f"{i % 9}.{i % 17}.{i % 97}" for i in range(pool)],
                                   dtype=object)),
        "hash": spread(np.array([f"{i * 2654435761 % 2**64:016x}" for i in range(pool)],
                                dtype=object)),
        "weight_kg": rng.uniform(0.1, 50, rows),
        "score": rng.random(rows),
        "flag": rng.random(rows) < 0.5,
        "big_number": rng.integers(10**15, 10**16, rows),
        "comment": spread(np.array(["ok", "see ticket", "n/a", "late"], dtype=object)),
    })


def time_big() -> float:
    """Build the 1M x 30 table, time detect_pii on it (engine already warm), print the plan."""
    start = time.perf_counter()
    df = big_table()
    print(f"\nbuilt {df.shape[0]:,} x {df.shape[1]} table in {time.perf_counter() - start:.1f} s")
    detect_pii(pd.DataFrame({"warm": ["x"]}))  # build the Presidio engine outside the timing
    start = time.perf_counter()
    plan = detect_pii(df, table="big")
    seconds = time.perf_counter() - start
    for d in plan.columns:
        print(f"  {d.column:16s} {d.entity or '-':14s} {d.action:12s} {d.score:.2f}")
    print(f"detect_pii on {df.shape[0]:,} x {df.shape[1]}: {seconds:.2f} s")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "pii-dev")
    parser.add_argument("--heldout", type=Path, default=REPO / "tests" / "data" / "pii-heldout")
    parser.add_argument("--cli", action="store_true", help="score `tabletwin scan --json` output")
    parser.add_argument("--big", action="store_true", help="also time a 1,000,000 x 30 table")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    detect_pii(pd.DataFrame({"warm": ["x"]}))
    print(f"engine start-up (Presidio import, dictionaries): {time.perf_counter() - start:.1f} s")
    figures = {}
    for name, data in (("tuning (pii-dev)", args.data), ("held-out", args.heldout)):
        if (data / "truth.json").exists():
            figures[name] = score_dev_set(data, cli=args.cli)
        else:
            print(f"no labelled set at {data}")
    print()
    for name, (recall, precision) in figures.items():
        print(f"{name:18s} recall {recall:.3f}  precision {precision:.3f}")
    if args.big:
        time_big()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
