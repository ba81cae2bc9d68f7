"""Selectivity of a change to a representation: does it drop nuisance information more than task information?

The lecture's claim for pooling, dropout (slide 7) and Information Dropout (slides 8-9) is not that a
representation carries fewer bits about the nuisances (any noise or down-sampling does that) but that it drops
the nuisances *and keeps* the task. Chapters 3 and 4 score it with one statistic of held-out probe bits
(:mod:`ibcore.info.probes`), before and after the change:

    selectivity = share of the nuisance bits lost - share of the task bits lost,
    share lost  = 1 - max(after, 0) / max(before, floor),

where the nuisance bits are the sum over the nuisances of each estimate clipped at 0 (a held-out estimate below
zero is no evidence of information), and ``before`` is floored so that a ratio of two estimates that are both
noise cannot swing. > 0: the change drops nuisance more than task, as the slides say. Written for this book.
Used by chapters 3 and 4.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["nuisance_bits", "selectivity"]


def nuisance_bits(bits: Mapping[str, float], nuisances: Iterable[str]) -> float:
    """Sum of the held-out bits about ``nuisances`` (``bits`` maps a target to its estimate), each clipped at 0."""
    return float(sum(max(float(bits[t]), 0.0) for t in nuisances))


def selectivity(after: Mapping[str, float], before: Mapping[str, float], nuisances: Iterable[str],
                task: str = "task", floor: float = 0.05) -> float:
    """Share of the nuisance bits lost minus share of the ``task`` bits lost from ``before`` to ``after`` (each a
    mapping target -> held-out bits, e.g. a pandas Series); estimates below 0 count as 0 and the ``before`` side
    is floored at ``floor`` bits."""
    if floor <= 0:
        raise ValueError(f"floor must be > 0 bits, got {floor!r}")
    nuisances = list(nuisances)
    lost = lambda a, b: 1 - max(float(a), 0.0) / max(float(b), floor)  # noqa: E731
    return lost(nuisance_bits(after, nuisances), nuisance_bits(before, nuisances)) - lost(after[task], before[task])
