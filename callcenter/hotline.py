"""The hotline's configuration file (TOML): languages, hours, prefectures, queues and agents.

Read once at start by the composition root and by the Asterisk renderer; a mistake is a clear error at
start naming the field, never a silent default.
"""

from __future__ import annotations

import tomllib
from datetime import date, time
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from callcenter.domain.calendar import DayOverrides, TimeRange, WeeklyHours, WorkingCalendar
from callcenter.domain.organisation import RoutingRule, UnitRouting
from callcenter.domain.region import Prefecture, RegionTable
from callcenter.errors import CallCenterError

PROVINCE_QUEUE = "province"
QUEUE_PREFIX = "cc-"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Digit = Annotated[str, Field(pattern=r"^[0-9*#]$")]


class HotlineConfigError(CallCenterError):
    code = "hotline-config-invalid"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LanguageOption(_Model):
    code: str = Field(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    digit: Digit
    name: str


def _time_range(text: str) -> TimeRange:
    start, _, end = text.partition("-")
    return TimeRange(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))


class HoursConfig(_Model):
    weekdays: tuple[str, ...] = WEEKDAYS
    open: time = time(8)
    close: time = time(20)

    @field_validator("weekdays")
    @classmethod
    def _known_weekdays(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(value) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"unknown weekdays {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
        return value


class CalendarConfig(_Model):
    holidays: tuple[date, ...] = ()
    workdays: tuple[date, ...] = ()
    closed: tuple[date, ...] = ()
    covered_years: tuple[int, ...] = ()
    special_openings: dict[date, tuple[str, ...]] = {}


class MessagesConfig(_Model):
    max_seconds: int = Field(default=120, ge=10, le=600)
    silence_seconds: int = Field(default=4, ge=1, le=30)
    min_seconds: float = Field(default=2.0, ge=0.5, le=30)


class QueuesConfig(_Model):
    overflow_after_seconds: int = Field(default=60, ge=1)
    announce_frequency_seconds: int = Field(default=30, ge=0)
    agent_ring_seconds: int = Field(default=15, ge=3)
    wrapup_seconds: int = Field(default=10, ge=0)
    # What an agent may give as the reason for a pause (the console offers them).
    pause_reasons: tuple[str, ...] = ("午休", "培训", "会议", "其他")


class StatisticsConfig(_Model):
    # The province's target: calls answered within 15 seconds.
    service_level_seconds: int = Field(default=15, ge=1, le=600)
    # A caller gone within this many seconds counts against nobody (a wrong number, a change of mind).
    short_abandon_seconds: int = Field(default=5, ge=0, le=120)
    # The wallboard's alerts: today's answer rate or service level below these shares, a caller waiting
    # longer than this, more overdue work orders than this.
    answer_rate_alert_below: float = Field(default=0.95, ge=0, le=1)
    service_level_alert_below: float = Field(default=0.8, ge=0, le=1)
    wait_alert_seconds: int = Field(default=60, ge=1)
    overdue_alert_above: int = Field(default=0, ge=0)


class PrefectureConfig(_Model):
    code: str
    name: str
    places: tuple[str, ...] = ()
    area_codes: tuple[str, ...] = ()


class RegionConfig(_Model):
    province: str
    province_queue_name: str = "province"
    prefectures: tuple[PrefectureConfig, ...]
    overrides: dict[str, str] = {}


class SupervisorPhoneConfig(_Model):
    """A supervisor's own phone, rung to listen to, whisper to or barge into an agent's call."""

    id: str = Field(pattern=r"^[0-9]{3,8}$")
    name: str


class AgentConfig(_Model):
    id: str = Field(pattern=r"^[0-9]{3,8}$")
    name: str
    queues: tuple[str, ...] = Field(min_length=1)


# Wordings of a configured prompt: language code -> what is said (prompts.py synthesises them).
Wordings = dict[
    Annotated[str, Field(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")],
    Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)],
]


def _is_mandarin(language: str) -> bool:
    return language == "zh" or language.startswith("zh_")


class CategoryConfig(_Model):
    """A consultation category the agent ticks (the basis of all statistics)."""

    code: str = Field(pattern=r"^[a-z0-9-]+$", max_length=32)
    name: str = Field(min_length=1)
    # The category as read out to an expert (prompt cc-category-<code>), per language; the default
    # language's wording is the name unless given here.
    prompts: Wordings = {}

    def wording(self, language: str, default_language: str) -> str | None:
        """What the prompt says in ``language``; None when that language has no wording of its own."""
        if language in self.prompts:
            return self.prompts[language]
        return self.name if language == default_language else None


class TransferConfig(_Model):
    # How many experts (or an expert's further numbers) are tried before the fallback.
    max_tries: int = Field(default=3, ge=1, le=10)
    ring_seconds: int = Field(default=20, ge=5, le=120)
    # Seconds the expert has to press 1 after hearing who is calling, per hearing (heard twice).
    confirm_seconds: int = Field(default=5, ge=2, le=30)
    # Nobody accepted: "queue" (back to the triage queue, ahead of new callers) or "callback".
    fallback: Literal["queue", "callback"] = "queue"
    # Queue priority of a caller coming back from a failed transfer (new callers have 0).
    requeue_priority: int = Field(default=10, ge=1, le=100)


class RatingOption(_Model):
    digit: str = Field(pattern=r"^[0-9]$")
    code: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str = Field(min_length=1)
    # A rating that asks for a callback survey (不满意).
    dissatisfied: bool = False
    # The option as offered to the caller (prompt cc-rating-option-<code>), per language; a Mandarin
    # default language derives it from the name ("满意请按1。"), any other must be given here.
    prompts: Wordings = {}

    def wording(self, language: str, default_language: str) -> str | None:
        """What the prompt says in ``language``; None when that language has no wording of its own."""
        if language in self.prompts:
            return self.prompts[language]
        if language == default_language and _is_mandarin(language):
            return f"{self.name}请按{self.digit}。"
        return None


class RatingConfig(_Model):
    # REVIEW BEFORE PRODUCTION: the Uyghur wordings were written without a native speaker.
    scale: tuple[RatingOption, ...] = (
        RatingOption(digit="1", code="satisfied", name="满意", prompts={"ug": "رازى بولسىڭىز 1 نى بېسىڭ."}),
        RatingOption(
            digit="2",
            code="basically-satisfied",
            name="基本满意",
            prompts={"ug": "ئاساسەن رازى بولسىڭىز 2 نى بېسىڭ."},
        ),
        RatingOption(
            digit="3",
            code="dissatisfied",
            name="不满意",
            dissatisfied=True,
            prompts={"ug": "رازى بولمىسىڭىز 3 نى بېسىڭ."},
        ),
    )
    timeout_seconds: int = Field(default=5, ge=1, le=30)
    # Hearings of the question: a missing or invalid key gets the question again until these run out.
    attempts: int = Field(default=2, ge=1, le=5)

    @model_validator(mode="after")
    def _distinct(self) -> RatingConfig:
        if not self.scale:
            raise ValueError("the rating scale is empty")
        for what in ("digit", "code"):
            values = [getattr(option, what) for option in self.scale]
            if len(set(values)) != len(values):
                raise ValueError(f"two ratings share a {what}")
        return self

    def option(self, digit: str) -> RatingOption | None:
        return next((option for option in self.scale if option.digit == digit), None)


class RoutingConfig(_Model):
    """Work orders of ``category`` (from ``prefecture`` when given) go to ``unit`` by default; the most
    specific entry wins. Unit codes are checked against the store at start (they live there)."""

    category: str
    prefecture: str | None = None
    unit: str = Field(pattern=r"^[a-z0-9-]+$", max_length=32)


class HotlineConfig(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    timezone: str = "Asia/Shanghai"
    default_language: str = "zh"
    languages: tuple[LanguageOption, ...] = ()
    # How long the language menu waits for a key, per attempt.
    language_timeout_seconds: int = Field(default=5, ge=1, le=30)
    hours: HoursConfig = HoursConfig()
    calendar: CalendarConfig = CalendarConfig()
    messages: MessagesConfig = MessagesConfig()
    queues: QueuesConfig = QueuesConfig()
    statistics: StatisticsConfig = StatisticsConfig()
    region: RegionConfig
    agents: tuple[AgentConfig, ...] = ()
    supervisor_phones: tuple[SupervisorPhoneConfig, ...] = ()
    categories: tuple[CategoryConfig, ...] = ()
    transfer: TransferConfig = TransferConfig()
    rating: RatingConfig = RatingConfig()
    routing: tuple[RoutingConfig, ...] = ()

    @model_validator(mode="after")
    def _routing(self) -> HotlineConfig:
        categories = {category.code for category in self.categories}
        prefectures = {prefecture.code for prefecture in self.region.prefectures}
        seen: set[tuple[str, str | None]] = set()
        for entry in self.routing:
            if entry.category not in categories:
                raise ValueError(f"routing names the unknown category {entry.category!r}")
            if entry.prefecture is not None and entry.prefecture not in prefectures:
                raise ValueError(f"routing names the unknown prefecture {entry.prefecture!r}")
            if (entry.category, entry.prefecture) in seen:
                raise ValueError(f"routing lists {entry.category} / {entry.prefecture or 'any'} twice")
            seen.add((entry.category, entry.prefecture))
        return self

    @model_validator(mode="after")
    def _consistent(self) -> HotlineConfig:
        digits = [option.digit for option in self.languages]
        if len(set(digits)) != len(digits):
            raise ValueError("two languages share a menu key")
        if self.languages and self.default_language not in {option.code for option in self.languages}:
            raise ValueError(f"default_language {self.default_language!r} is not in the language menu")
        queues = self.queue_codes
        for agent in self.agents:
            unknown = set(agent.queues) - set(queues)
            if unknown:
                raise ValueError(f"agent {agent.id} serves unknown queues {sorted(unknown)}")
        if len({agent.id for agent in self.agents}) != len(self.agents):
            raise ValueError("two agents share an id")
        if len({category.code for category in self.categories}) != len(self.categories):
            raise ValueError("two categories share a code")
        try:
            ZoneInfo(self.timezone)
        except Exception as error:
            raise ValueError(f"unknown timezone {self.timezone!r}") from error
        return self

    @model_validator(mode="after")
    def _rating_wordings(self) -> HotlineConfig:
        lacking = [
            option.code
            for option in self.rating.scale
            if option.wording(self.default_language, self.default_language) is None
        ]
        if lacking:
            raise ValueError(
                f"rating options {lacking} have no wording in the default language"
                f' {self.default_language!r}: give prompts = {{ {self.default_language} = "..." }}'
                " (only a Mandarin wording is derived from the name)"
            )
        return self

    @property
    def queue_codes(self) -> tuple[str, ...]:
        return (*(p.code for p in self.region.prefectures), PROVINCE_QUEUE)

    @property
    def language_codes(self) -> tuple[str, ...]:
        return tuple(option.code for option in self.languages) or (self.default_language,)

    def category(self, code: str) -> CategoryConfig | None:
        return next((category for category in self.categories if category.code == code), None)

    def agent(self, agent_id: str) -> AgentConfig | None:
        return next((agent for agent in self.agents if agent.id == agent_id), None)

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def working_calendar(self) -> WorkingCalendar:
        hours = WeeklyHours.every_day(
            self.hours.open, self.hours.close, (WEEKDAYS.index(day) for day in self.hours.weekdays)
        )
        overrides = DayOverrides(
            holidays=frozenset(self.calendar.holidays),
            workdays=frozenset(self.calendar.workdays),
            closed=frozenset(self.calendar.closed),
            covered_years=frozenset(self.calendar.covered_years),
            special_openings={
                day: tuple(_time_range(text) for text in ranges)
                for day, ranges in self.calendar.special_openings.items()
            },
        )
        return WorkingCalendar(hours, self.zone, overrides)

    @cached_property
    def unit_routing(self) -> UnitRouting:
        return UnitRouting(
            tuple(RoutingRule(entry.category, entry.unit, entry.prefecture) for entry in self.routing)
        )

    @cached_property
    def region_table(self) -> RegionTable:
        return RegionTable(
            province=self.region.province,
            prefectures=tuple(
                Prefecture(code=p.code, name=p.name, places=p.places, area_codes=p.area_codes)
                for p in self.region.prefectures
            ),
            overrides=dict(self.region.overrides),
        )


def queue_name(code: str) -> str:
    """The Asterisk queue of a prefecture code (or of the province-wide queue)."""
    return f"{QUEUE_PREFIX}{code}"


def agent_endpoint(agent_id: str) -> str:
    return f"agent-{agent_id}"


def supervisor_endpoint(phone_id: str) -> str:
    return f"supervisor-{phone_id}"


def agent_web_endpoint(agent_id: str) -> str:
    """The agent's browser softphone (WebRTC), next to the SIP phone of :func:`agent_endpoint`."""
    return f"agent-{agent_id}-web"


def load_hotline(path: Path) -> HotlineConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise HotlineConfigError(f"hotline configuration {path} not found") from error
    except tomllib.TOMLDecodeError as error:
        raise HotlineConfigError(f"hotline configuration {path} is not valid TOML: {error}") from error
    try:
        config = HotlineConfig.model_validate(data)
        # Built here so that a bad prefecture table or calendar fails at start, not at the first call.
        config.region_table  # noqa: B018
        config.working_calendar  # noqa: B018
    except ValidationError as error:
        raise HotlineConfigError(
            f"hotline configuration {path} is invalid",
            details={"errors": [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]},
        ) from error
    except CallCenterError as error:
        raise HotlineConfigError(
            f"hotline configuration {path}: {error.message}", details=error.details
        ) from error
    return config
