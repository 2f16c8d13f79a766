"""What happens to a new call: the language menu, then the prefecture's triage queue or, outside
working hours, the off-hours message. Pure: the caller passes the time and the configuration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from callcenter.domain.calendar import WorkingCalendar
from callcenter.domain.region import CallerRegion, RegionTable, locate

STEP_LANGUAGE: Final = "language"
STEP_QUEUE: Final = "queue"
STEP_CLOSED: Final = "closed"

LANGUAGE_CHOSEN: Final = "chosen"
LANGUAGE_RETRY: Final = "retry"
LANGUAGE_DEFAULT: Final = "default"

PROMPT_LANGUAGE_OPTION: Final = "cc-press-for-language"
# One retry after no key or a bad key, then the default language.
LANGUAGE_ATTEMPTS: Final = 2


@dataclass(frozen=True)
class LanguageChoice:
    code: str
    digit: str


@dataclass(frozen=True)
class EntryPolicy:
    calendar: WorkingCalendar
    region: RegionTable
    languages: tuple[LanguageChoice, ...]
    default_language: str
    province_queue: str
    overflow_after_seconds: int
    language_timeout_seconds: int = 5


@dataclass(frozen=True)
class EntryDecision:
    next_step: str
    # Where the call goes once the language is settled: STEP_QUEUE or STEP_CLOSED.
    after_language: str
    language: str
    language_menu: tuple[str, ...]
    caller: CallerRegion
    queue: str
    overflow_queue: str
    overflow_after_seconds: int
    is_open: bool

    @property
    def prefecture_code(self) -> str | None:
        return self.caller.prefecture.code if self.caller.prefecture else None


def language_menu(languages: Sequence[LanguageChoice]) -> tuple[str, ...]:
    """Each language announces its own key in its own voice: '<lang>/cc-press-for-language'."""
    return tuple(f"{choice.code}/{PROMPT_LANGUAGE_OPTION}" for choice in languages)


def decide_entry(caller_number: str | None, now: datetime, policy: EntryPolicy) -> EntryDecision:
    caller = locate(caller_number, policy.region)
    is_open = policy.calendar.is_open(now)
    after_language = STEP_QUEUE if is_open else STEP_CLOSED
    menu = language_menu(policy.languages) if len(policy.languages) > 1 else ()
    if caller.prefecture is not None:
        queue, overflow = caller.prefecture.code, policy.province_queue
    else:
        # Unknown, withheld, foreign and other provinces' numbers: the province-wide seats, no overflow.
        queue, overflow = policy.province_queue, ""
    return EntryDecision(
        next_step=STEP_LANGUAGE if menu else after_language,
        after_language=after_language,
        language=policy.default_language,
        language_menu=menu,
        caller=caller,
        queue=queue,
        overflow_queue=overflow,
        overflow_after_seconds=policy.overflow_after_seconds,
        is_open=is_open,
    )


@dataclass(frozen=True)
class LanguageDecision:
    status: str
    language: str


def decide_language(digit: str, attempt: int, policy: EntryPolicy) -> LanguageDecision:
    for choice in policy.languages:
        if digit == choice.digit:
            return LanguageDecision(LANGUAGE_CHOSEN, choice.code)
    if attempt < LANGUAGE_ATTEMPTS:
        return LanguageDecision(LANGUAGE_RETRY, policy.default_language)
    return LanguageDecision(LANGUAGE_DEFAULT, policy.default_language)
