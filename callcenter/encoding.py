"""JSON as the browsers and Redis get it."""

from __future__ import annotations

from datetime import date, datetime


def json_default(value: object) -> str:
    """Instants as ISO 8601 (what browsers parse); anything else as its text."""
    return value.isoformat() if isinstance(value, datetime | date) else str(value)
