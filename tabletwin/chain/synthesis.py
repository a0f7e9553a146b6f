"""From a masked table to a synthetic one: what the generator learns, fresh keys, fresh PII.

The generator learns every column except keys and PII columns whose values are replaced wholesale
(fake, pseudonymize, drop); those are produced fresh for each synthetic row, never copied, so no
source value of them can reach the synthetic table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.config.catalog import TableConfig
from tabletwin.config.roles import REGENERATED, modelled_columns, split_source
from tabletwin.errors import InputError
from tabletwin.synth.foreign_keys import assign_foreign_keys
from tabletwin.synth.generators import Generator, TableMeta, make_generator
from tabletwin.synth.constraints import ConstraintStep
from tabletwin.synth.multitable import ParentFrame
from tabletwin.synth.pipeline import Pipeline, Step
from tabletwin.synth.relation import RelationStep
from tabletwin.pii.normalize import normalize_value
from tabletwin.pii.mask import fill_pii_columns
from tabletwin.pii.plan import PiiPlan

#: ``DataFrame.attrs`` key naming the generator that sampled a synthetic table (its ``describe()``):
#: the quality report shows it without loading the fitted model (the rows carry their provenance,
#: through Parquet and pickle alike). A name, never a value.
GENERATOR_ATTR = "tabletwin.generator"
#: ``DataFrame.attrs`` key: the day the model was fitted and why (its ``stamp_``, see
#: :mod:`tabletwin.chain.refresh`), for the run history's ``model`` column.
MODEL_ATTR = "tabletwin.model"


def mark_provenance(synthetic: pd.DataFrame, generator: Generator) -> None:
    """Record on ``synthetic`` which generator sampled it and when and why it was fitted."""
    synthetic.attrs[GENERATOR_ATTR] = generator.describe()
    stamp = getattr(generator, "stamp_", None)
    if stamp is not None:
        synthetic.attrs[MODEL_ATTR] = {"fitted_on": stamp.fitted_on, "reason": stamp.reason}


def made_by(synthetic: pd.DataFrame) -> str:
    """The generator that sampled ``synthetic`` (:data:`GENERATOR_ATTR`), or "" when unknown."""
    return str(getattr(synthetic, "attrs", {}).get(GENERATOR_ATTR, ""))


def model_note(fitted_on: str, reason: str, partition: str) -> str:
    """What the run of ``partition`` did with a model fitted on ``fitted_on`` for ``reason``:
    ``reason`` that day (``refit: drift in amount (PSI 0.31)``), ``reused model of <day>`` after."""
    return reason if fitted_on == partition else f"reused model of {fitted_on}"


def model_of(synthetic: pd.DataFrame, partition: str) -> str | None:
    """:func:`model_note` of the model that sampled ``synthetic`` (None: a model fitted outside
    the daily refresh, e.g. by the CLI's ``synth``)."""
    stamp = getattr(synthetic, "attrs", {}).get(MODEL_ATTR)
    return model_note(stamp["fitted_on"], stamp["reason"], partition) if stamp else None


def conditioned_links(table: TableConfig, parents: dict[str, ParentFrame] | None) -> list[str]:
    """The foreign keys whose parent rows the child's generator conditions on: every foreign key
    to another table whose parent was given, when the catalog asks for it (the default) and the
    generator is ``auto`` or ``sequential_tree`` (the copula cannot condition)."""
    if not parents or not table.condition_on_parents \
            or table.generator.name not in ("auto", "sequential_tree"):
        return []
    return [fk for fk in table.foreign_keys
            if fk in parents and table.parent_of(fk)[0] != table.name]


def fit_part(masked: pd.DataFrame, table: TableConfig, seed: int) -> pd.DataFrame:
    """The rows a generator of ``table`` fitted with ``seed`` learns from: the fit part of
    :func:`split_source`, at most ``generator.max_fit_rows`` of them (a seeded draw)."""
    data = split_source(masked, table)[0]
    cap = table.generator.max_fit_rows
    if len(data) > cap:
        rng = np.random.default_rng(seed)
        data = data.iloc[np.sort(rng.choice(len(data), cap, replace=False))]
    return data


def fit_generator(masked: pd.DataFrame, plan: PiiPlan, table: TableConfig, *,
                  seed: int, parents: dict[str, ParentFrame] | None = None) -> Generator:
    """Fit the table's configured generator on the modelled columns of the masked table's fit part
    (the holdout part is left out, see :func:`split_source`).

    The catalog's model is composed with steps (:class:`~tabletwin.synth.pipeline.Pipeline`): the
    table's constraints (:class:`~tabletwin.synth.constraints.ConstraintStep`) and, given
    ``parents`` (foreign key -> the parent's masked rows), the relation to them
    (:class:`~tabletwin.synth.relation.RelationStep`): children per parent and the child's columns
    are then drawn given the synthetic parent rows (see :func:`conditioned_links`)."""
    if len(masked) == 0:
        raise InputError("source table has no rows; nothing to learn from", table=table.name)
    cols = modelled_columns(plan, table)
    links = conditioned_links(table, parents)
    data = fit_part(masked, table, seed)[cols + links]
    name, params = table.generator.name, dict(table.generator.params)
    if links:  # conditioning needs the sequential tree, whatever ``auto`` would have chosen
        name = "sequential_tree"
        if table.generator.name != "sequential_tree":
            params = {}
    gen = make_generator(name, params, table=table.name)
    steps: list[Step] = []
    extra: dict = {}
    if links:
        count_params = {k: v for k, v in params.items() if k not in ("first", "chunk_rows")}
        steps.append(RelationStep(count_params=count_params, protected=sorted(
            {c for k in table.constraints for c in k.columns})))
        extra = {"parents": {fk: parents[fk] for fk in links},  # type: ignore[index]
                 "all_keys": {fk: masked[fk] for fk in links}}
    if table.constraints:
        steps.append(ConstraintStep(table.constraints))
    if steps:
        gen = Pipeline(gen, steps)
    meta = TableMeta(table=table.name, extra=extra,
                     free_text=tuple(d.column for d in plan.columns if d.free_text and d.column in cols))
    return gen.fit(data.reset_index(drop=True), meta, seed=seed)


def fresh_keys(source: pd.Series, n: int, rng: np.random.Generator) -> pd.Series:
    """n new, unique primary-key values in the source key's type and format, none of them a source
    key: integers drawn from a range past the source's scale, ascending like a sequence; text keys
    keep the source keys' width (digits) or get a ``K`` prefix."""
    used = source.dropna()
    if pdt.is_integer_dtype(source.dtype) or len(used) == 0:
        top = int(used.max()) if len(used) else 0
        space = max(4 * n, 2 * top, 10)
        taken = set(used.astype("int64").tolist())
        picks: np.ndarray = np.empty(0, dtype=np.int64)
        while len(picks) < n:
            draw = rng.integers(1, space + 1, size=2 * (n - len(picks)) + 16)
            draw = draw[~np.isin(draw, list(taken))] if taken else draw
            picks = np.unique(np.concatenate([picks, draw]))
            space *= 2
        ids = np.sort(rng.choice(picks, n, replace=False))
        dtype = source.dtype if pdt.is_integer_dtype(source.dtype) and not source.hasnans else "Int64"
        return pd.Series(ids, dtype=dtype)
    text = used.astype(str)
    taken = set(text)
    width = max(int(text.str.len().max()), len(str(4 * n)))
    digits = bool(text.str.isdigit().all())
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        for v in rng.integers(0, 10 ** min(width, 18), size=2 * (n - len(out)) + 16):
            key = f"{v:0{width}d}" if digits else f"K{v:0{width}d}"
            if key not in taken and key not in seen:
                seen.add(key)
                out.append(key)
                if len(out) == n:
                    break
    return pd.Series(sorted(out), dtype=object)


def forbidden_values(source: pd.DataFrame, columns: list[str]) -> dict[str, set[str]]:
    """Normalised source values of each column: fresh fakes must avoid them."""
    return {c: {normalize_value(v) for v in source[c].dropna().unique()} for c in columns}


def synthesize(generator: Generator, plan: PiiPlan, table: TableConfig, *, n: int, seed: int,
               source: pd.DataFrame, masked: pd.DataFrame,
               parent_keys: dict[str, pd.Series] | None = None,
               parent_rows: dict[str, pd.DataFrame] | None = None,
               conditions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Sample ``n`` rows with the masked table's columns, order and dtypes.

    ``source`` is the raw snapshot (only to keep fresh fakes from matching a real value);
    ``parent_rows`` maps each foreign-key column to its parent's synthetic table (a relational
    generator draws the children of every synthetic parent from it); ``parent_keys`` maps the
    other foreign keys to their parent's synthetic primary keys (defaults to the keys of
    ``parent_rows``); ``conditions`` (n rows) fixes some modelled columns (see
    ``SequentialTree.sample``).
    """
    rng = np.random.default_rng(seed)
    parent_keys = dict(parent_keys or {})
    for col, rows in (parent_rows or {}).items():
        if col not in parent_keys and col in table.foreign_keys:
            parent_keys[col] = rows[table.parent_of(col)[1]]
    frame = generator.sample(n, seed=seed, conditions=conditions, parents=parent_rows)
    out = pd.DataFrame(index=range(n))
    replaced = [d.column for d in plan.columns if d.is_pii and d.column not in table.key_columns
                and d.action in REGENERATED + ("drop",)]
    pk = table.primary_key
    own_keys = (fresh_keys(source[pk], n, rng) if pk in masked.columns and pk not in frame.columns
                else None)
    for col in masked.columns:
        if col in frame.columns:
            out[col] = frame[col].to_numpy()
            out[col] = out[col].astype(frame[col].dtype)
        elif col == pk and own_keys is not None:
            out[col] = own_keys.to_numpy()
        elif col in table.foreign_keys:
            parents = (own_keys if table.parent_of(col)[0] == table.name and own_keys is not None
                       else parent_keys.get(col))
            if parents is None:
                raise InputError("parent keys missing for foreign key", table=table.name, column=col)
            out[col] = assign_foreign_keys(masked[col], parents, n, rng).to_numpy()
        else:  # replaced PII: one placeholder per row, nulls at the source's rate
            # (integer placeholders for integer pseudonyms, so fresh tokens keep that type)
            integral = pdt.is_integer_dtype(masked[col].dtype)
            placeholder = pd.Series(np.arange(n), dtype="Int64" if integral else object)
            placeholder[rng.random(n) < float(masked[col].isna().mean())] = None
            out[col] = placeholder
    if replaced:
        out = fill_pii_columns(out, plan, columns=replaced, seed=seed,
                               forbidden=forbidden_values(source, replaced), locale=table.locale)
    for col in masked.columns:  # restore the masked table's dtypes where values allow it
        if str(out[col].dtype) != str(masked[col].dtype):
            try:
                out[col] = out[col].astype(masked[col].dtype)
            except (TypeError, ValueError):
                pass
    out = out[list(masked.columns)]
    mark_provenance(out, generator)
    return out
