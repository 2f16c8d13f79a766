"""Logging set-up: every record of a call carries its call id (the Asterisk linkedid)."""

from __future__ import annotations

import contextvars
import logging

call_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("call_id", default="-")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [call %(call_id)s] %(message)s"


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
