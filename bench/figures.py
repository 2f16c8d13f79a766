"""What every benchmark prints: percentiles of its measurements."""

from __future__ import annotations


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: ``share`` 0.5 is the median, 0.99 the p99."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
