from __future__ import annotations

import pytest

from callcenter.domain.experts import Expert, ExpertKind
from callcenter.domain.transfers import (
    TRANSITIONS,
    Fallback,
    IllegalTransferChangeError,
    Leg,
    LegOutcome,
    RatingOptionChoice,
    RatingVerdict,
    TransferError,
    TransferEvent,
    TransferState,
    TransferStatus,
    allowed_events,
    decide,
    decide_rating,
    leg_outcome,
    next_leg,
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
    attempt = next_leg([], [LI, WANG], max_tries=3, requested=WANG)
    assert attempt is not None and (attempt.expert, attempt.phone) == (WANG, "13900000002")


def test_first_leg_without_a_request_is_the_fairest_available() -> None:
    attempt = next_leg([], [WANG, LI], max_tries=3)
    assert attempt is not None and attempt.expert is WANG


def test_nobody_available_means_the_fallback() -> None:
    assert next_leg([], [], max_tries=3) is None


def test_an_expert_already_tried_is_not_rung_again() -> None:
    legs = [Leg(1, "li", "13900000001", LegOutcome.NO_ANSWER)]
    attempt = next_leg(legs, [LI, WANG], max_tries=3)
    assert attempt is not None and attempt.expert is WANG
    legs.append(Leg(2, "wang", "13900000002", LegOutcome.NOT_CONFIRMED))
    assert next_leg(legs, [LI, WANG], max_tries=3) is None


@pytest.mark.parametrize("outcome", [LegOutcome.BUSY, LegOutcome.UNREACHABLE])
def test_busy_or_unreachable_number_then_the_same_experts_next_number(outcome: LegOutcome) -> None:
    legs = [Leg(1, "zhao", "13900000003", outcome)]
    attempt = next_leg(legs, [LI, ZHAO], max_tries=3)
    assert attempt is not None and (attempt.expert, attempt.phone) == (ZHAO, "09911230003")


@pytest.mark.parametrize("outcome", [LegOutcome.NO_ANSWER, LegOutcome.NOT_CONFIRMED])
def test_no_answer_or_declined_moves_to_someone_else(outcome: LegOutcome) -> None:
    legs = [Leg(1, "zhao", "13900000003", outcome)]
    attempt = next_leg(legs, [ZHAO, LI], max_tries=3)
    assert attempt is not None and attempt.expert is LI


def test_every_number_of_the_expert_busy_then_the_next_expert() -> None:
    legs = [Leg(1, "zhao", "13900000003", LegOutcome.BUSY), Leg(2, "zhao", "09911230003", LegOutcome.BUSY)]
    attempt = next_leg(legs, [ZHAO, LI], max_tries=3)
    assert attempt is not None and attempt.expert is LI


def test_requested_expert_off_the_list_still_gets_their_second_number() -> None:
    """The agent's choice may not be in the fair list (e.g. now ringing); their numbers still count."""
    legs = [Leg(1, "zhao", "13900000003", LegOutcome.BUSY)]
    attempt = next_leg(legs, [LI], max_tries=3, requested=ZHAO)
    assert attempt is not None and (attempt.expert, attempt.phone) == (ZHAO, "09911230003")


def test_tries_run_out() -> None:
    legs = [Leg(1, "li", "13900000001", LegOutcome.NO_ANSWER), Leg(2, "wang", "13900000002", LegOutcome.BUSY)]
    assert next_leg(legs, [LI, WANG, ZHAO], max_tries=2) is None
    attempt = next_leg(legs, [LI, WANG, ZHAO], max_tries=3)
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


# -- the transfer's status ---------------------------------------------------------------------------------

S = TransferStatus
E = TransferEvent
OVER = [None, S.ACCEPTED, S.CANCELLED, S.FAILED, S.CALLER_HUNG_UP, S.QUEUE, S.CALLBACK]


@pytest.mark.parametrize("status", OVER)
def test_a_transfer_starts_the_next_attempt_from_any_status_but_in_progress(status: S | None) -> None:
    assert decide(TransferState(status, 2), E.START) == TransferState(S.IN_PROGRESS, 3)


def test_a_call_never_transferred_starts_attempt_1() -> None:
    assert decide(TransferState(), E.START) == TransferState(S.IN_PROGRESS, 1)


def test_a_second_start_while_one_is_under_way_is_refused() -> None:
    with pytest.raises(IllegalTransferChangeError, match="already under way") as refused:
        decide(TransferState(S.IN_PROGRESS, 1), E.START)
    assert isinstance(refused.value, TransferError) and refused.value.code == "transfer-invalid"
    assert refused.value.http_status == 409
    assert refused.value.details["status"] == "in-progress"
    assert "start" not in refused.value.details["allowed"] and "accept" in refused.value.details["allowed"]


@pytest.mark.parametrize(
    ("event", "target"),
    [
        (E.ACCEPT, S.ACCEPTED),
        (E.COMPLETE, S.ACCEPTED),
        (E.CANCEL, S.CANCELLED),
        (E.FAIL, S.FAILED),
        (E.CALLER_LEFT, S.CALLER_HUNG_UP),
        (E.FALL_BACK_TO_QUEUE, S.QUEUE),
        (E.FALL_BACK_TO_CALLBACK, S.CALLBACK),
    ],
)
def test_an_attempt_under_way_ends_in_one_status_per_event(event: E, target: S) -> None:
    assert decide(TransferState(S.IN_PROGRESS, 4), event) == TransferState(target, 4)


def test_an_acceptance_reported_twice_changes_nothing() -> None:
    assert decide(TransferState(S.ACCEPTED, 1), E.ACCEPT) == TransferState(S.ACCEPTED, 1)


def test_only_starting_leaves_a_final_status() -> None:
    """Once over, an attempt stays as it ended: a late report (a hangup after a fallback, a leg ending
    after the agent completed) is refused by the table."""
    for status in OVER[1:]:
        expected = {E.START, E.ACCEPT} if status is S.ACCEPTED else {E.START}
        assert set(allowed_events(status)) == expected, status
        for event in set(E) - expected:
            with pytest.raises(IllegalTransferChangeError):
                decide(TransferState(status, 1), event)


@pytest.mark.parametrize("event", [E.COMPLETE, E.CANCEL])
def test_completing_or_cancelling_needs_an_attempt_under_way(event: E) -> None:
    for status in OVER:
        with pytest.raises(IllegalTransferChangeError, match="No attended transfer"):
            decide(TransferState(status, 1), event)


def test_an_event_of_an_earlier_attempt_changes_nothing_of_the_latest() -> None:
    with pytest.raises(IllegalTransferChangeError, match=r"Attempt 1 .* over") as refused:
        decide(TransferState(S.IN_PROGRESS, 2), E.FAIL, attempt=1)
    assert (refused.value.details["attempt"], refused.value.details["latest"]) == (1, 2)
    assert decide(TransferState(S.IN_PROGRESS, 2), E.FAIL, attempt=2) == TransferState(S.FAILED, 2)


def test_the_table_has_every_status_and_event_it_names() -> None:
    assert {status for status, _event in TRANSITIONS} == set(OVER) | {S.IN_PROGRESS}
    assert {event for _status, event in TRANSITIONS} == set(E)
    assert set(TRANSITIONS.values()) == set(S)


@pytest.mark.parametrize(("fallback", "status"), [(Fallback.QUEUE, S.QUEUE), (Fallback.CALLBACK, S.CALLBACK)])
def test_a_fallback_ends_the_attempt_in_the_status_of_its_name(fallback: Fallback, status: S) -> None:
    assert Fallback(status.value) is fallback
    assert decide(TransferState(S.IN_PROGRESS, 1), fallback.event).status is status
