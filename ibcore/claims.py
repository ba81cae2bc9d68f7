"""The claim record every chapter ends with: numbers against thresholds, each with its control.

The protocol (``CONTRIBUTING.md``):

- An **asserted** claim is one statistic (``value``) compared with a ``threshold`` by an ``op``
  (``<``, ``<=``, ``>``, ``>=``), in a ``unit``, and has a **control**: the same statistic computed the
  same way on a case where the lecture predicts the claim fails. It is *evidence* only when it holds and
  its control does not. A claim without a control is shown as such (``no control``) and is not evidence.
- A **reported** claim carries its numbers and a verdict from a rule stated in the chapter:
  ``supports``, ``contradicts`` or ``inconclusive``.

A chapter collects its claims in a :class:`Claims` object. Two cells close the chapter: one shows the
numbers and records them (:meth:`Claims.record`: a myst-nb glue value named ``claims`` that the book's
scoreboard page and the seed sweep read from the executed notebook), and the claim-check cell
(:meth:`Claims.check`, marked ``# NBVAL_CHECK_OUTPUT``) prints a verdict table without digits, so nbval
compares only verdicts, and asserts at book and paper scale.
"""

from __future__ import annotations

import json
import math
import operator
import textwrap
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Claim", "Claims", "glue_values", "verdict_by_margin", "compare", "OPS", "VERDICTS", "SCHEMA", "read_record"]

#: Version of the record's layout (``ibcore.sweep`` refuses records it cannot read).
SCHEMA = 2

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}

#: Verdicts a reported claim may carry.
VERDICTS = ("supports", "contradicts", "inconclusive")

#: Width of the printed verdict table (characters): readable without scrolling in the book's column
#: at 1280 px and on a terminal.
TABLE_WIDTH = 72


def glue_values(values: dict[str, Any]) -> None:
    """Glue numbers for the prose (``{glue:text}`name:.2f```), as plain Python numbers.

    NumPy scalars are converted first: myst-nb formats a glued value from its text repr, and
    ``np.float64(1.5)`` is not a number to it. Used by every chapter.
    """
    from myst_nb import glue

    for name, value in values.items():
        if hasattr(value, "item"):  # NumPy / torch scalars
            value = value.item()
        if isinstance(value, str):  # a str's text/plain is its repr, with quotes; glue the bare text
            value = _Text(value)
        glue(name, value, display=False)


class _Text:
    """Text whose ``repr`` is itself, so ``{glue:text}`` shows it without quotes."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def compare(value: float | None, op: str, threshold: float) -> bool:
    """``value op threshold``; ``False`` for a missing or NaN value (a claim that cannot be measured fails)."""
    if op not in OPS:
        raise ValueError(f"op must be one of {', '.join(OPS)}; got {op!r}")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return bool(OPS[op](value, threshold))


#: The words of :meth:`Claims.check`'s failure message (the sweep tells a failed check from a crash by them).
NOT_EVIDENCE = "are not evidence at"


def verdict_by_margin(value: float, margin: float, direction: int = 1) -> str:
    """The verdict rule most reported claims use: ``supports`` when ``direction * value > margin``,
    ``contradicts`` when ``direction * value < -margin``, else ``inconclusive`` (NaN: inconclusive).

    ``value`` is an effect in the direction the slide predicts (e.g. a paired difference), ``margin`` the
    smallest effect the chapter counts (fixed on the development seed), ``direction`` +1 or -1.
    """
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    if margin < 0 or not math.isfinite(margin):
        raise ValueError(f"margin must be a finite number >= 0, got {margin!r}")
    if value is None or not math.isfinite(value):
        return "inconclusive"
    v = direction * value
    return "supports" if v > margin else "contradicts" if v < -margin else "inconclusive"


def _number(name: str, value: Any, *, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if hasattr(value, "item"):  # NumPy / torch scalars
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return float(value)


@dataclass
class Claim:
    """One row of the record; every number is a number (``None`` where it does not apply)."""

    id: str
    slide: str
    claim: str
    kind: str  # "asserted" or "reported"
    value: float | None
    op: str | None
    threshold: float | None
    unit: str
    holds: bool | None
    control: str | None = None
    control_value: float | None = None
    control_holds: bool | None = None
    verdict: str = ""
    rule: str = ""
    chosen_on: str = ""

    @property
    def evidence(self) -> bool:
        """An asserted claim is evidence when it holds and it has a control that does not hold."""
        return bool(self.kind == "asserted" and self.holds and self.control is not None
                    and self.control_holds is False)


def asserted_verdict(holds: bool, control: str | None, control_holds: bool | None) -> str:
    """The verdict of an asserted claim on one seed: ``holds`` (with its control failing), ``fails``,
    ``control holds`` (holds, but so does its control: not evidence), ``no control``."""
    if not holds:
        return "fails"
    if control is None:
        return "no control"
    return "control holds" if control_holds else "holds"


@dataclass
class Claims:
    """Asserted and reported claims of one chapter run.

    Used by every chapter's last two cells.
    """

    chapter: str
    scale: str
    seed: int = 0
    claims: list[Claim] = field(default_factory=list)

    # -- building ---------------------------------------------------------------------------------
    def _check_id(self, id: str) -> str:
        if not isinstance(id, str) or not id.strip():
            raise ValueError(f"id must be a non-empty string, got {id!r}")
        if any(c.id == id for c in self.claims):
            raise ValueError(f"claim id {id!r} is used twice in chapter {self.chapter}")
        return id

    def add(self, id: str, *, slide: str, claim: str, value: Any, op: str, threshold: Any, unit: str,
            control: str | None, control_value: Any = None, chosen_on: str = "") -> Claim:
        """An asserted claim: at book and paper scale it must hold and its control must not.

        Parameters
        ----------
        value, threshold : float
            The statistic and what it is compared with: the claim holds when ``value op threshold``.
        control : str or None
            What the control case is (the same statistic where the lecture predicts failure); ``None``
            only for a claim that has no control yet (shown as ``no control``, never evidence).
        control_value : float
            The statistic on the control case (required with ``control``).
        chosen_on : str
            Which development choices this claim rests on (e.g. "threshold: seed 0").
        """
        value_f = _number("value", value)
        threshold_f = _number("threshold", threshold)
        holds = compare(value_f, op, threshold_f)
        if control is not None:
            control_f = _number("control_value", control_value)
            control_holds = compare(control_f, op, threshold_f)
        else:
            if control_value is not None:
                raise ValueError("control_value given without a control description")
            control_f, control_holds = None, None
        c = Claim(self._check_id(id), str(slide), claim, "asserted", value_f, op, threshold_f, unit, holds,
                  control, control_f, control_holds, asserted_verdict(holds, control, control_holds), "",
                  chosen_on)
        self.claims.append(c)
        return c

    def report(self, id: str, *, slide: str, claim: str, value: Any, unit: str, verdict: str, rule: str,
               op: str | None = None, threshold: Any = None, control: str | None = None,
               control_value: Any = None, chosen_on: str = "") -> Claim:
        """A reported claim: its numbers and a verdict (``supports``, ``contradicts``, ``inconclusive``)
        from the stated ``rule``; never asserted. ``op`` and ``threshold``, when given, say which side
        the slide predicts (``holds`` is then filled in, for the sweep's counts)."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}; got {verdict!r}")
        if not rule:
            raise ValueError("rule must state how the verdict follows from the numbers")
        value_f = _number("value", value, allow_none=True)
        threshold_f = _number("threshold", threshold, allow_none=True)
        if (op is None) != (threshold_f is None):
            raise ValueError("op and threshold go together")
        holds = compare(value_f, op, threshold_f) if op is not None else None
        control_f = _number("control_value", control_value, allow_none=True)
        control_holds = (compare(control_f, op, threshold_f)
                         if control is not None and op is not None and control_f is not None else None)
        c = Claim(self._check_id(id), str(slide), claim, "reported", value_f, op, threshold_f, unit, holds,
                  control, control_f, control_holds, verdict, rule, chosen_on)
        self.claims.append(c)
        return c

    @property
    def asserted(self) -> list[Claim]:
        return [c for c in self.claims if c.kind == "asserted"]

    @property
    def reported(self) -> list[Claim]:
        return [c for c in self.claims if c.kind == "reported"]

    # -- the record -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "chapter": self.chapter, "scale": self.scale, "seed": self.seed,
                "claims": [asdict(c) | {"evidence": c.evidence} for c in self.claims]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> "Claims":
        """Read a record written by :meth:`to_dict` (round trip)."""
        if record.get("schema") != SCHEMA:
            raise ValueError(f"claims record has schema {record.get('schema')!r}; this ibcore reads {SCHEMA}")
        fields = set(Claim.__dataclass_fields__)
        claims = [Claim(**{k: v for k, v in c.items() if k in fields}) for c in record["claims"]]
        return cls(record["chapter"], record["scale"], record.get("seed", 0), claims)

    @classmethod
    def from_json(cls, text: str) -> "Claims":
        return cls.from_dict(json.loads(text))

    def frame(self) -> pd.DataFrame:
        """Every claim with its numbers (for display; not compared by nbval)."""
        cols = ["id", "kind", "value", "op", "threshold", "unit", "control_value", "verdict"]
        return pd.DataFrame([asdict(c) for c in self.claims], columns=cols).set_index("id")

    def record(self) -> pd.DataFrame:
        """Glue the record as ``claims`` (read by the scoreboard and ``ibcore.sweep``) and return the
        numbers to display."""
        from myst_nb import glue

        glue("claims", self.to_json(), display=False)
        return self.frame()

    # -- the check --------------------------------------------------------------------------------
    def verdicts(self, width: int = TABLE_WIDTH) -> str:
        """Plain-text verdict tables, at most ``width`` characters wide, without digits: asserted claims
        with ``holds``, ``control`` (whether the control also holds) and the verdict; reported claims
        with their verdict. Claim texts are wrapped at word boundaries."""
        head = f"chapter {self.chapter} claim check ({self.scale} scale, seed {self.seed})"
        lines = [head]
        id_w = max([2] + [len(c.id) for c in self.claims])
        if self.asserted:
            tail_w = 6 + 8 + 13  # "holds " "control " "verdict"
            text_w = width - id_w - 1 - tail_w - 1
            lines += ["", f"{'id':<{id_w}} {'asserted claim':<{text_w}} {'holds':<5} {'ctrl':<7} verdict"]
            for c in self.asserted:
                ctrl = "-" if c.control_holds is None else ("holds" if c.control_holds else "fails")
                lines += _wrapped(c.id, c.claim, id_w, text_w,
                                  f"{'yes' if c.holds else 'no':<5} {ctrl:<7} {c.verdict}")
        if self.reported:
            text_w = width - id_w - 1 - 13 - 1
            lines += ["", f"{'id':<{id_w}} {'reported claim':<{text_w}} verdict"]
            for c in self.reported:
                lines += _wrapped(c.id, c.claim, id_w, text_w, c.verdict)
        return "\n".join(lines)

    def failures(self) -> list[str]:
        """Ids of asserted claims that are not evidence: they fail, or their control holds too."""
        return [c.id for c in self.asserted if c.holds is not True or c.control_holds is True]

    def check(self) -> None:
        """Print the verdict tables; at book and paper scale, fail if an asserted claim does not hold or
        its control holds too."""
        print(self.verdicts())
        failed = self.failures()
        if self.scale != "smoke":
            assert not failed, f"claims {failed} {NOT_EVIDENCE} {self.scale} scale (see the table)"
        elif failed:
            print(f"\n(smoke scale: {', '.join(failed)} not evidence at this size; not asserted)")


def _wrapped(id: str, text: str, id_w: int, text_w: int, tail: str) -> list[str]:
    parts = textwrap.wrap(text, text_w, break_long_words=False, break_on_hyphens=False) or [""]
    out = [f"{id:<{id_w}} {parts[0]:<{text_w}} {tail}".rstrip()]
    out += [f"{'':<{id_w}} {p}".rstrip() for p in parts[1:]]
    return out


def read_record(notebook) -> dict[str, Any] | None:
    """The ``claims`` record glued into an executed notebook (a path), as a dict; None if it has none.

    Used by the book's scoreboard (``book/_ext``) and by ``ibcore.sweep``.
    """
    import ast
    from pathlib import Path

    nb = json.loads(Path(notebook).read_text())
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            if out.get("metadata", {}).get("scrapbook", {}).get("name") == "claims":
                data = out["data"]
                text = next(v for k, v in data.items() if k.endswith("text/plain"))
                text = "".join(text) if isinstance(text, list) else text
                return json.loads(ast.literal_eval(text))
    return None
