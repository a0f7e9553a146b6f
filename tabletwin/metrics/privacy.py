"""Distance-based privacy scores: is a synthetic row closer to the rows the generator saw than to rows
it never saw?

Rows are embedded the same way for the training part, the holdout part and the synthetic table, with
encodings fitted on the training part only: numbers and datetimes become their empirical quantile in
[0, 1] (interpolated between training values) (so every column weighs the same whatever its unit), categories a one-hot vector of the most
frequent levels scaled so that a mismatch costs a distance of 1, and a null its own indicator. Then

* ``dcr_share``: share of synthetic rows whose closest training row is nearer than their closest
  holdout row (ties count half). A generator that copies nothing scores about 0.5; one that hugs its
  training rows scores higher.
* ``ims_training`` / ``ims_holdout``: share of synthetic rows identical (every raw value equal) to a
  training / holdout row. Real data drawn again shows how much of this is just duplicates in the population.
* ``nndr_training`` / ``nndr_holdout``: a low quantile of the nearest-neighbour distance ratio
  (closest / second closest) of synthetic rows to training / holdout rows; much lower against training
  means synthetic rows sit on individual training rows.

The same convention as the independent judge (mostlyai-qa), on a bounded sample of rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from tabletwin.frames import as_numbers, is_numeric

#: Rows of each part used for distances (nearest-neighbour search is the cost).
MAX_ROWS = 5_000
#: Most frequent levels one-hot encoded per categorical column; the rest share one "other" slot.
TOP_LEVELS = 20


@dataclass(frozen=True)
class DistanceScore:
    """All fields in [0, 1]. ``dcr_share`` ~0.5 is ideal; ``ims_*`` 0 is ideal; ``nndr_training``
    should not be far below ``nndr_holdout``. ``rows`` is the synthetic sample size used."""

    dcr_share: float
    ims_training: float
    ims_holdout: float
    nndr_training: float
    nndr_holdout: float
    rows: int
    dcr_training: tuple[float, ...] = ()  # synthetic -> training distances (for histograms)
    dcr_holdout: tuple[float, ...] = ()   # synthetic -> holdout distances

    def as_dict(self) -> dict[str, float]:
        return {"dcr_share": self.dcr_share, "ims_training": self.ims_training,
                "ims_holdout": self.ims_holdout, "nndr_training": self.nndr_training,
                "nndr_holdout": self.nndr_holdout}


class _Embedder:
    """Column encodings fitted on the training part (see module docstring)."""

    def __init__(self, ref: pd.DataFrame):
        self.parts: list[tuple[str, str, object]] = []
        for col in ref.columns:
            s = ref[col]
            if is_numeric(s) and s.nunique(dropna=True) > TOP_LEVELS:
                x = np.sort(as_numbers(s))
                x = x[~np.isnan(x)]
                # empirical CDF at each distinct training value (mid-rank of its ties); other
                # values interpolate between them, so a value between two training values does
                # not snap onto one of them
                uniq, first = np.unique(x, return_index=True)
                last = np.append(first[1:], len(x)) - 1
                self.parts.append((col, "num", (uniq, (first + last) / 2.0 / max(len(x) - 1, 1))))
            else:
                top = s.dropna().astype(str).value_counts().index[:TOP_LEVELS]
                self.parts.append((col, "cat", pd.Index(top)))

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        blocks = []
        for col, kind, state in self.parts:
            s = df[col]
            null = s.isna().to_numpy()
            if kind == "num":
                uniq, ranks = state
                x = as_numbers(s)
                q = np.interp(np.nan_to_num(x), uniq, ranks) if len(uniq) else np.zeros(len(x))
                q = np.where(null, 0.0, q)
                blocks.append(np.column_stack([q, null.astype(float)]))
            else:
                idx = state.get_indexer(s.astype(str))
                idx = np.where(null, len(state) + 1, np.where(idx < 0, len(state), idx))
                onehot = np.zeros((len(s), len(state) + 2))
                onehot[np.arange(len(s)), idx] = 1.0 / np.sqrt(2.0)
                blocks.append(onehot)
        if not blocks:
            return np.zeros((len(df), 1))
        return np.hstack(blocks)


def _row_keys(df: pd.DataFrame) -> np.ndarray:
    """A hash per row of its raw values (numbers compared as floats, datetimes as UTC instants,
    the rest as text; nulls alike): rows are identical when every value is."""
    cols = {}
    for col in df.columns:
        s = df[col]
        if is_numeric(s):
            cols[col] = pd.Series(as_numbers(s)).round(9)
        else:
            cols[col] = s.astype("string").fillna("\x00null").reset_index(drop=True)
    frame = pd.DataFrame(cols, index=range(len(df)))
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _sample(df: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(df) <= n:
        return df.reset_index(drop=True)
    return df.iloc[np.sort(rng.choice(len(df), n, replace=False))].reset_index(drop=True)


def _nn(data: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k = min(2, len(data))
    dist, _ = NearestNeighbors(n_neighbors=k).fit(data).kneighbors(query)
    d1 = dist[:, 0]
    d2 = dist[:, 1] if k == 2 else dist[:, 0]
    return d1, (d1 + 1e-8) / (d2 + 1e-8)


def distance_scores(training: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, *,
                    columns: list[str] | None = None, max_rows: int = MAX_ROWS,
                    nndr_quantile: float = 0.002, seed: int = 0,
                    repeats: int = 5) -> DistanceScore:
    """Distance-to-closest-record scores of ``synthetic`` against ``training`` and ``holdout``.

    Training and holdout are cut to the same number of rows (at most ``max_rows``) so that "closer
    to training than to holdout" compares like with like; every synthetic row (at most
    ``max_rows``) is compared, and the share is averaged over ``repeats`` draws of those equal
    parts (one when neither part is cut). On a small table the share of one draw moves by about
    0.1 with the rows drawn (0.47-0.67 for 89 rows here), which is as wide as the gap between a
    fresh model and the 0.6 threshold. ``nndr_*`` is the ``nndr_quantile`` quantile of the ratios
    of the first draw (the judge takes the 10th smallest of ~5,000, i.e. 0.2%).
    """
    cols = list(columns) if columns is not None else [c for c in synthetic.columns
                                                      if c in training.columns
                                                      and c in holdout.columns]
    n = min(len(training), len(holdout), max_rows)
    if n < 2 or not cols or len(synthetic) < 2:
        return DistanceScore(0.5, 0.0, 0.0, 1.0, 1.0, 0)
    rng = np.random.default_rng(seed)
    syn = _sample(synthetic[cols], max_rows, rng)
    draws = 1 if len(training) <= n and len(holdout) <= n else max(1, repeats)
    shares, first = [], None
    for _ in range(draws):
        trn, hol = _sample(training[cols], n, rng), _sample(holdout[cols], n, rng)
        emb = _Embedder(trn)
        e_trn, e_hol, e_syn = emb.transform(trn), emb.transform(hol), emb.transform(syn)
        d_trn, r_trn = _nn(e_trn, e_syn)
        d_hol, r_hol = _nn(e_hol, e_syn)
        shares.append(float(np.mean(d_trn < d_hol) + np.mean(d_trn == d_hol) / 2))
        if first is None:
            first = (trn, hol, d_trn, r_trn, d_hol, r_hol)
    trn, hol, d_trn, r_trn, d_hol, r_hol = first
    k_trn, k_hol, k_syn = _row_keys(trn), _row_keys(hol), _row_keys(syn)
    return DistanceScore(
        dcr_share=float(np.mean(shares)),
        ims_training=float(np.mean(np.isin(k_syn, k_trn))),
        ims_holdout=float(np.mean(np.isin(k_syn, k_hol))),
        nndr_training=float(np.quantile(r_trn, nndr_quantile)),
        nndr_holdout=float(np.quantile(r_hol, nndr_quantile)),
        rows=n,
        dcr_training=tuple(np.round(d_trn, 6).tolist()),
        dcr_holdout=tuple(np.round(d_hol, 6).tolist()),
    )


def split_holdout(df: pd.DataFrame, share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows at random into a fit part and a holdout part (``share`` of the rows, at least one
    row each when the table has two or more rows)."""
    if not 0.0 <= share < 1.0:
        raise ValueError("holdout share must be in [0, 1)")
    n = len(df)
    k = int(round(n * share))
    if n >= 2 and share > 0:
        k = min(max(k, 1), n - 1)
    else:
        k = 0
    perm = np.random.default_rng(seed).permutation(n)
    hold = np.sort(perm[:k])
    fit = np.sort(perm[k:])
    return df.iloc[fit].reset_index(drop=True), df.iloc[hold].reset_index(drop=True)


def holdout_rows(df: pd.DataFrame, share: float, *, by: list[str] | None = None,
                 salt: str = "") -> np.ndarray:
    """Which rows to hold out (about ``share`` of them, at least one row on each side when there
    are two or more rows), by the rows' identity: a row is held out when the keyed 64-bit hash of
    its ``by`` columns (default: every column) falls below ``share``. The same row lands on the
    same side whatever else the table holds, on any day, in any order."""
    if not 0.0 <= share < 1.0:
        raise ValueError("holdout share must be in [0, 1)")
    n = len(df)
    if n < 2 or share == 0:
        return np.zeros(n, dtype=bool)
    cols = list(by) if by else list(df.columns)
    h = pd.util.hash_pandas_object(df[cols], index=False).to_numpy(dtype=np.uint64)
    # keyed by ``salt`` (pandas' hash key reaches only text columns): xor, then the splitmix64
    # finaliser, so every salt is another uniform draw
    x = h ^ np.uint64(int.from_bytes(hashlib.blake2b(salt.encode("utf-8"),
                                                     digest_size=8).digest(), "big"))
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    u = x / 2.0 ** 64
    hold = u < share
    if not hold.any():
        hold[np.argmin(u)] = True
    if hold.all():
        hold[np.argmax(u)] = False
    return hold


@dataclass(frozen=True)
class MinorityPrivacy:
    """Privacy of synthetic rows of a small class against that class's few real rows.

    With a handful of real rows, "closer to training than to holdout" over the whole table says
    nothing about them; these scores look at the class alone, in the embedding fitted on its
    training rows:

    * ``identical``: share of synthetic class rows whose values all equal those of a training
      class row (exact match of every column, nulls equal); ``identical_holdout``: the same share
      for real holdout class rows (duplicates the population has anyway: the baseline).
    * ``dcr_q05`` / ``dcr_median``: 5% quantile and median of the distance from each synthetic
      class row to its closest training class row; ``holdout_q05`` / ``holdout_median``: the same
      for real holdout class rows, the distance at which a *new real person* of the class sits
      from the training ones. A generator that copies or hugs its few rows has ``dcr_q05`` well
      below ``holdout_q05``.

    ``passed``: ``identical <= identical_holdout + identical_max`` and
    ``dcr_q05 >= holdout_q05 * dcr_ratio_min``. The default ratio 0.8 leaves room for the noise
    of a 5% quantile over a few dozen holdout rows (a faithful generator measured 0.8 to 1.1
    there); copies score 0 and rows hugging the few real ones far below 0.8. ``rows`` counts (training, holdout, synthetic)
    class rows; ``measured`` is False when there are fewer than 2 of any (nothing to compare)."""

    identical: float
    identical_holdout: float
    dcr_q05: float
    dcr_median: float
    holdout_q05: float
    holdout_median: float
    rows: tuple[int, int, int]
    measured: bool = True
    identical_max: float = 0.0
    dcr_ratio_min: float = 0.8

    @property
    def passed(self) -> bool:
        if not self.measured:
            return True
        return (self.identical <= self.identical_holdout + self.identical_max + 1e-12
                and self.dcr_q05 >= self.holdout_q05 * self.dcr_ratio_min - 1e-12)

    def as_dict(self) -> dict[str, float | int | bool]:
        return {"identical": round(self.identical, 4),
                "identical_holdout": round(self.identical_holdout, 4),
                "dcr_q05": round(self.dcr_q05, 4), "holdout_q05": round(self.holdout_q05, 4),
                "dcr_median": round(self.dcr_median, 4),
                "holdout_median": round(self.holdout_median, 4),
                "training_rows": self.rows[0], "holdout_rows": self.rows[1],
                "synthetic_rows": self.rows[2], "measured": self.measured}


def minority_privacy(training: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, *,
                     columns: list[str] | None = None, max_rows: int = MAX_ROWS,
                     identical_max: float = 0.01, dcr_ratio_min: float = 0.8,
                     seed: int = 0) -> MinorityPrivacy:
    """:class:`MinorityPrivacy` of ``synthetic`` rows of one class against the ``training`` rows
    of that class (the ones the generator saw) and its ``holdout`` rows (never seen). Every
    training row is used (they are few); holdout and synthetic rows are cut to ``max_rows``."""
    cols = list(columns) if columns is not None else [c for c in synthetic.columns
                                                      if c in training.columns
                                                      and c in holdout.columns]
    rows = (len(training), len(holdout), len(synthetic))
    if min(rows) < 2 or not cols:
        return MinorityPrivacy(0.0, 0.0, float("nan"), float("nan"), float("nan"),
                               float("nan"), rows, measured=False, identical_max=identical_max,
                               dcr_ratio_min=dcr_ratio_min)
    rng = np.random.default_rng(seed)
    trn = training[cols].reset_index(drop=True)
    hol = _sample(holdout[cols], max_rows, rng)
    syn = _sample(synthetic[cols], max_rows, rng)
    emb = _Embedder(trn)
    nn = NearestNeighbors(n_neighbors=1).fit(emb.transform(trn))
    d_syn = nn.kneighbors(emb.transform(syn))[0][:, 0]
    d_hol = nn.kneighbors(emb.transform(hol))[0][:, 0]
    seen = _row_keys(trn)
    return MinorityPrivacy(
        identical=float(np.isin(_row_keys(syn), seen).mean()),
        identical_holdout=float(np.isin(_row_keys(hol), seen).mean()),
        dcr_q05=float(np.quantile(d_syn, 0.05)), dcr_median=float(np.median(d_syn)),
        holdout_q05=float(np.quantile(d_hol, 0.05)), holdout_median=float(np.median(d_hol)),
        rows=(len(trn), len(hol), len(syn)), identical_max=identical_max,
        dcr_ratio_min=dcr_ratio_min)
