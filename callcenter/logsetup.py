"""Logging set-up: every record of a call carries its call id (the Asterisk linkedid)."""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator

call_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("call_id", default="-")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [call %(call_id)s] %(message)s"


@contextlib.contextmanager
def call_scope(call_id: str) -> Iterator[None]:
    """Every record logged inside carries this call id."""
    token = call_id_var.set(call_id or "-")
    try:
        yield
    finally:
        call_id_var.reset(token)


class CallIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "call_id"):
            record.call_id = call_id_var.get()
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(CallIdFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
