from __future__ import annotations

import pytest

from callcenter.domain.experts import Expert, ExpertKind
from callcenter.domain.transfers import (
    Leg,
    LegOutcome,
    RatingOptionChoice,
    RatingVerdict,
    decide_rating,
    leg_outcome,
    next_attempt,
)


def expert(expert_id: str, *phones: str) -> Expert:
    return Expert(
        id=expert_id,
        name=expert_id,
        kind=ExpertKind.LAWYER,
        organisation="律师事务所",
        phones=phones or ("13900000000",),
        categories=frozenset({"labour"}),
        prefectures=frozenset(),
    )


LI = expert("li", "13900000001")
WANG = expert("wang", "13900000002")
ZHAO = expert("zhao", "13900000003", "09911230003")


@pytest.mark.parametrize(
    ("status", "accepted", "outcome"),
    [
        ("ANSWER", True, LegOutcome.ACCEPTED),
        # The confirm routine aborted: Asterisk still says ANSWER.
        ("ANSWER", False, LegOutcome.NOT_CONFIRMED),
        ("NOANSWER", False, LegOutcome.NO_ANSWER),
        ("BUSY", False, LegOutcome.BUSY),
        ("CHANUNAVAIL", False, LegOutcome.UNREACHABLE),
        ("CONGESTION", False, LegOutcome.UNREACHABLE),
        ("CANCEL", False, LegOutcome.CALLER_HUNG_UP),
        ("", False, LegOutcome.NO_ANSWER),
        (" busy ", False, LegOutcome.BUSY),
    ],
)
def test_leg_outcome(status: str, accepted: bool, outcome: LegOutcome) -> None:
    assert leg_outcome(status, accepted) is outcome


def test_first_leg_is_the_requested_expert_even_before_fairer_ones() -> None:
    attempt = next_attempt([], [LI, WANG], max_tries=3, requested=WANG)
    assert attempt is not None and (attempt.expert, attempt.phone) == (WANG, "13900000002")


def test_first_leg_without_a_request_is_the_fairest_available() -> None:
    attempt = next_attempt([], [WANG, LI], max_tries=3)
    assert attempt is not None and attempt.expert is WANG


def test_nobody_available_means_the_fallback() -> None:
    assert next_attempt([], [], max_tries=3) is None


def test_an_expert_already_tried_is_not_rung_again() -> None:
    legs = [Leg(1, "li", "13900000001", LegOutcome.NO_ANSWER)]
    attempt = next_attempt(legs, [LI, WANG], max_tries=3)
    assert attempt is not None and attempt.expert is WANG
    legs.append(Leg(2, "wang", "13900000002", LegOutcome.NOT_CONFIRMED))
    assert next_attempt(legs, [LI, WANG], max_tries=3) is None


@pytest.mark.parametrize("outcome", [LegOutcome.BUSY, LegOutcome.UNREACHABLE])
def test_busy_or_unreachable_number_then_the_same_experts_next_number(outcome: LegOutcome) -> None:
    legs = [Leg(1, "zhao", "13900000003", outcome)]
    attempt = next_attempt(legs, [LI, ZHAO], max_tries=3)
    assert attempt is not None and (attempt.expert, attempt.phone) == (ZHAO, "09911230003")


@pytest.mark.parametrize("outcome", [LegOutcome.NO_ANSWER, LegOutcome.NOT_CONFIRMED])
def test_no_answer_or_declined_moves_to_someone_else(outcome: LegOutcome) -> None:
    legs = [Leg(1, "zhao", "13900000003", outcome)]
    attempt = next_attempt(legs, [ZHAO, LI], max_tries=3)
    assert attempt is not None and attempt.expert is LI


def test_every_number_of_the_expert_busy_then_the_next_expert() -> None:
    legs = [Leg(1, "zhao", "13900000003", LegOutcome.BUSY), Leg(2, "zhao", "09911230003", LegOutcome.BUSY)]
    attempt = next_attempt(legs, [ZHAO, LI], max_tries=3)
    assert attempt is not None and attempt.expert is LI


def test_requested_expert_off_the_list_still_gets_their_second_number() -> None:
    """The agent's choice may not be in the fair list (e.g. now ringing); their numbers still count."""
    legs = [Leg(1, "zhao", "13900000003", LegOutcome.BUSY)]
    attempt = next_attempt(legs, [LI], max_tries=3, requested=ZHAO)
    assert attempt is not None and (attempt.expert, attempt.phone) == (ZHAO, "09911230003")


def test_tries_run_out() -> None:
    legs = [Leg(1, "li", "13900000001", LegOutcome.NO_ANSWER), Leg(2, "wang", "13900000002", LegOutcome.BUSY)]
    assert next_attempt(legs, [LI, WANG, ZHAO], max_tries=2) is None
    attempt = next_attempt(legs, [LI, WANG, ZHAO], max_tries=3)
    assert attempt is not None and attempt.expert is ZHAO


SCALE = (
    RatingOptionChoice("1", "satisfied", False),
    RatingOptionChoice("2", "basically-satisfied", False),
    RatingOptionChoice("3", "dissatisfied", True),
)


def test_a_valid_key_is_stored() -> None:
    decision = decide_rating(SCALE, "3", 1, 2)
    assert decision.verdict is RatingVerdict.STORED
    assert decision.option is not None and (decision.option.code, decision.option.dissatisfied) == (
        "dissatisfied",
        True,
    )


@pytest.mark.parametrize("key", ["", "9", "*", "12"])
def test_no_or_invalid_key_is_asked_again_then_none(key: str) -> None:
    assert decide_rating(SCALE, key, 1, 2).verdict is RatingVerdict.RETRY
    final = decide_rating(SCALE, key, 2, 2)
    assert (final.verdict, final.option) == (RatingVerdict.NONE, None)


def test_a_valid_key_on_the_last_attempt_counts() -> None:
    assert decide_rating(SCALE, "1", 2, 2).verdict is RatingVerdict.STORED
