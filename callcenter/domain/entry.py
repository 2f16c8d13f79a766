"""The decision taken for a new call at the entry step.

For now every call hears the greeting; the working calendar, region and language menu decide here next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

STEP_GREETING: Final = "greeting"
GREETING_PROMPT: Final = "hello-world"


@dataclass(frozen=True)
class EntryDecision:
    next_step: str
    prompt: str


def decide_entry(caller_number: str | None, dialed_number: str | None) -> EntryDecision:
    return EntryDecision(next_step=STEP_GREETING, prompt=GREETING_PROMPT)
