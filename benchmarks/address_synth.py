"""Benchmark: source street addresses in the *synthetic* table (the issue 13 cases), whole chain.

Builds ``orders`` tables with a ``memo`` free-text column (US: "ship to 1578 Oak Street, City -
contact e-mail", 6,000 rows; German, number first: "Lieferung an 1409 Musterstraße, City",
1,500 rows; plus each other locale's Faker ``street_address()``), runs detection, masking, the
generator and the gate in memory (:func:`tabletwin.chain.memory.synth_frame`, the path of ``tabletwin
synth``) and prints the share of synthetic rows holding a source street with its number, and the
gate's leak count and verdict for ``no_pii_in_synthetic``.

Run: ``.venv/bin/python benchmarks/address_synth.py``; for an older checkout (before):
``PYTHONPATH=/path/to/old/checkout python benchmarks/address_synth.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

if not any(p and Path(p, "tabletwin").is_dir() for p in sys.path[1:]):  # else: PYTHONPATH's
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tabletwin.config.loader import parse_catalog  # noqa: E402
from tabletwin.chain.memory import synth_frame  # noqa: E402

KEY = b"benchmark-key-0123456789abcdef"


def table(locale: str, n: int, seed: int = 0) -> tuple[pd.DataFrame, list[str]]:
    from faker import Faker

    fake = Faker(locale)
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed)
    streets, memos = [], []
    for _ in range(n):
        if locale == "en_US":
            street = f"{rng.integers(100, 9999)} {fake.last_name()} Street"
            memo = f"ship to {street}, {fake.city()} - contact {fake.email()}"
        elif locale == "de_DE":
            street = f"{rng.integers(1, 2000)} {fake.street_name()}"
            memo = f"Lieferung an {street}, {fake.postcode()} {fake.city()}"
        else:
            street = fake.street_address()
            while not any(ch.isdigit() for ch in street):
                street = fake.street_address()
            memo = f"deliver to {street}, {fake.city()}"
        streets.append(street)
        memos.append(memo)
    df = pd.DataFrame({"order_id": np.arange(n), "amount": rng.integers(5, 500, n),
                       "status": rng.choice(["new", "paid", "sent"], n), "memo": memos})
    return df, streets


def main() -> None:
    cfg = parse_catalog({"tables": {"orders": {}}}).table("orders")
    print(f"{'table':16} {'rows':>6} {'synthetic rows with a source street':>36} {'gate':>6}")
    for locale, n in [("en_US", 6000), ("de_DE", 1500), ("fr_FR", 1500), ("es_ES", 1500),
                      ("it_IT", 1500), ("nl_NL", 1500), ("pt_PT", 1500)]:
        df, streets = table(locale, n)
        res = synth_frame(df, cfg, seed=0, key=KEY)
        syn = res.synthetic["memo"].dropna().astype(str).str.casefold().tolist()
        known = {s.casefold() for s in streets}
        # a synthetic memo holds a source street when one of the source streets is inside it
        hit = sum(any(s in m for s in known) for m in syn) if len(known) < 3000 else sum(
            any(s in m for s in known) for m in syn[:2000]) * len(syn) / 2000
        leak = next(o for o in res.report.outcomes() if o.name == "no_pii_in_synthetic")
        print(f"orders_{locale:9} {n:6d} {hit / len(syn):36.3f} {leak.value!s:>6} "
              f"{'pass' if leak.passed else 'FAIL'}")


if __name__ == "__main__":
    main()
