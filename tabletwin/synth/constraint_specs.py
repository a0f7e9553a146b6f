"""The constraints a catalog table may declare, as validated specs: which columns, which rule.
How a generator honours them is :mod:`tabletwin.synth.constraints`; the catalog embeds these specs."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InequalityConstraint(_Strict):
    """``high >= low`` on every row (``high > low`` when ``strict``); numbers or datetimes."""

    kind: Literal["inequality"]
    low: str
    high: str
    strict: bool = False

    @property
    def columns(self) -> list[str]:
        return [self.low, self.high]

    @property
    def label(self) -> str:
        return f"{self.high} {'>' if self.strict else '>='} {self.low}"


class RangeConstraint(_Strict):
    """``min <= column <= max`` on every non-null row; a bound may be omitted. Numbers, or ISO dates
    for datetime columns."""

    kind: Literal["range"]
    column: str
    min: float | str | None = None
    max: float | str | None = None

    @property
    def columns(self) -> list[str]:
        return [self.column]

    @property
    def label(self) -> str:
        return f"{self.column} in [{self.min if self.min is not None else '-inf'}, " \
               f"{self.max if self.max is not None else 'inf'}]"

    @model_validator(mode="after")
    def _bounds(self) -> "RangeConstraint":
        if self.min is None and self.max is None:
            raise ValueError("a range needs min, max or both")
        if isinstance(self.min, str) or isinstance(self.max, str):
            import pandas as pd
            try:
                lo = pd.Timestamp(self.min) if self.min is not None else None
                hi = pd.Timestamp(self.max) if self.max is not None else None
            except (ValueError, TypeError):
                raise ValueError("range bounds must be numbers or ISO dates") from None
            if lo is not None and hi is not None and lo > hi:
                raise ValueError("range min is above max")
        elif self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("range min is above max")
        return self


class FormulaConstraint(_Strict):
    """``column`` is derived: always equal to ``expression`` over other columns (+ - * / ** %,
    parentheses, numbers), e.g. ``total = price * quantity``. It is not modelled but computed."""

    kind: Literal["formula"]
    column: str
    expression: str

    @property
    def inputs(self) -> list[str]:
        from tabletwin.synth.formula import expression_names

        return expression_names(self.expression)

    @property
    def columns(self) -> list[str]:
        return [self.column, *self.inputs]

    @property
    def label(self) -> str:
        return f"{self.column} = {self.expression}"

    @field_validator("expression")
    @classmethod
    def _expr(cls, v: str) -> str:
        from tabletwin.synth.formula import expression_names

        expression_names(v)  # raises ValueError on anything but arithmetic over names
        return v


Constraint = Annotated[Union[InequalityConstraint, RangeConstraint, FormulaConstraint],
                       Field(discriminator="kind")]
