"""The claim tables every chapter ends with, and their machine-readable record.

A chapter collects its claims in a :class:`Claims` object from measured numbers. Two cells
close the chapter: one shows the numbers and records them (``record``: a myst-nb glue value
named ``claims`` that the book's scoreboard page reads from the stored notebook), and the
claim-check cell (``check``, marked ``# NBVAL_CHECK_OUTPUT``) prints a verdict table without
numbers, so nbval compares only verdicts, and asserts at book and paper scale.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Claims", "glue_values"]


def glue_values(values: dict[str, Any]) -> None:
    """Glue numbers for the prose (``{glue:text}`name:.2f```), as plain Python numbers.

    NumPy scalars are converted first: myst-nb formats a glued value from its text repr, and
    ``np.float64(1.5)`` is not a number to it. Used by every chapter.
    """
    from myst_nb import glue

    for name, value in values.items():
        if hasattr(value, "item"):  # NumPy / torch scalars
            value = value.item()
        glue(name, value, display=False)


@dataclass
class Claim:
    id: str
    claim: str
    measured: str
    threshold: str
    holds: bool | None  # None for a reported claim


@dataclass
class Claims:
    """Asserted and reported claims of one chapter.

    Used by every chapter's last two cells.
    """

    chapter: str
    scale: str
    asserted: list[Claim] = field(default_factory=list)
    reported: list[Claim] = field(default_factory=list)

    def add(self, id: str, claim: str, measured: Any, threshold: str, holds: bool) -> None:
        """An asserted claim: must hold at book and paper scale."""
        self.asserted.append(Claim(id, claim, _fmt(measured), threshold, bool(holds)))

    def report(self, id: str, claim: str, observed: Any, reference: str = "") -> None:
        """A reported claim: shown with its numbers, never asserted."""
        self.reported.append(Claim(id, claim, _fmt(observed), reference, None))

    def frame(self) -> pd.DataFrame:
        """All claims with their numbers (for display; not compared by nbval)."""
        rows = [asdict(c) | {"kind": "asserted"} for c in self.asserted]
        rows += [asdict(c) | {"kind": "reported"} for c in self.reported]
        return pd.DataFrame(rows, columns=["id", "kind", "claim", "measured", "threshold", "holds"])

    def to_json(self) -> str:
        return json.dumps({"chapter": self.chapter, "scale": self.scale,
                           "claims": self.frame().to_dict(orient="records")})

    def record(self):
        """Glue the claims as ``claims`` (read by the scoreboard) and return the table to display."""
        from myst_nb import glue

        glue("claims", self.to_json(), display=False)
        return self.frame()

    def verdicts(self) -> str:
        """Plain-text verdict tables: asserted claims (last column ``holds``) and reported ones
        (last column ``observed``, always 'reported'); no measured digits, so the text is stable."""
        lines = [f"chapter {self.chapter} claim check ({self.scale} scale)"]
        lines += ["", f"{'id':<4} {'claim':<80} holds"]
        lines += [f"{c.id:<4} {c.claim[:80]:<80} {c.holds}" for c in self.asserted]
        if self.reported:
            lines += ["", f"{'id':<4} {'claim':<80} observed"]
            lines += [f"{c.id:<4} {c.claim[:80]:<80} reported" for c in self.reported]
        return "\n".join(lines)

    def check(self) -> None:
        """Print the verdict tables; at book and paper scale, fail if an asserted claim does not hold."""
        print(self.verdicts())
        failed = [c.id for c in self.asserted if not c.holds]
        if self.scale != "smoke":
            assert not failed, f"claims {failed} do not hold at {self.scale} scale"
        elif failed:
            print(f"\n(smoke scale: claims {failed} do not hold at this size; not asserted)")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
