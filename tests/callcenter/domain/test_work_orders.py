"""The work-order lifecycle: every transition, every refusal, and the deadlines on the real 2026 calendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from callcenter.domain.calendar import WorkingCalendar
from callcenter.domain.transfers import CallType
from callcenter.domain.work_orders import (
    TRANSITIONS,
    Action,
    ActionForbiddenError,
    Actor,
    CallbackOutcome,
    Channel,
    DeadlineKind,
    Decision,
    ExtensionLimitError,
    IllegalTransitionError,
    InvalidActionError,
    OrderSnapshot,
    OrderState,
    OrderType,
    OrderUnit,
    Payload,
    Role,
    Threshold,
    UnitChange,
    UnitStatus,
    Urgency,
    WarningLevel,
    allowed_actions,
    available_actions,
    deadline_statuses,
    decide,
    reached_thresholds,
    register,
    warning_level,
    warning_starts,
)
from callcenter.hotline import load_hotline
from callcenter.settings import PROJECT_DIR

CALENDAR: WorkingCalendar = load_hotline(PROJECT_DIR / "config" / "hotline.toml").working_calendar
TZ = CALENDAR.tz

AGENT = Actor("agent-1", Role.AGENT)
SUPERVISOR = Actor("super-1", Role.SUPERVISOR)
ADMIN = Actor("admin-1", Role.ADMIN)
EXPERT = Actor("expert-1", Role.EXPERT)
HANDLER_A = Actor("handler-a", Role.UNIT_HANDLER, "unit-a")
HEAD_A = Actor("head-a", Role.UNIT_HEAD, "unit-a")
HANDLER_B = Actor("handler-b", Role.UNIT_HANDLER, "unit-b")
HEAD_B = Actor("head-b", Role.UNIT_HEAD, "unit-b")
HANDLER_C = Actor("handler-c", Role.UNIT_HANDLER, "unit-c")


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


# Wednesday 2026-09-30, the last working day before the National Day week.
REGISTERED = local(2026, 9, 30)
LATER = REGISTERED + timedelta(hours=1)


def new_order(
    order_type: OrderType = CallType.CONSULTATION,
    urgency: Urgency = Urgency.NORMAL,
    at: datetime = REGISTERED,
    *,
    is_case: bool = False,
) -> OrderSnapshot:
    return register(order_type, urgency, at, CALENDAR, is_case=is_case)


def act(
    order: OrderSnapshot, action: Action, actor: Actor, payload: Payload | None = None, at: datetime = LATER
) -> Decision:
    return decide(order, action, actor, payload, at, CALENDAR)


def step(
    order: OrderSnapshot, action: Action, actor: Actor, payload: Payload | None = None, at: datetime = LATER
) -> OrderSnapshot:
    return act(order, action, actor, payload, at).order


def transferred(order: OrderSnapshot | None = None, *units: str) -> OrderSnapshot:
    return step(order or new_order(), Action.TRANSFER, AGENT, Payload(units=units or ("unit-a",)))


def in_progress(order: OrderSnapshot | None = None, *units: str) -> OrderSnapshot:
    return step(transferred(order, *units), Action.ACCEPT, HANDLER_A)


def replied(order: OrderSnapshot) -> OrderSnapshot:
    return step(in_progress(order), Action.REPLY, HANDLER_A, Payload(reply="依法可以申请劳动仲裁。"))


def in_feedback(
    order_type: OrderType = CallType.CONSULTATION, urgency: Urgency = Urgency.NORMAL
) -> OrderSnapshot:
    order = replied(new_order(order_type, urgency))
    if order.state is OrderState.IN_REVIEW:
        order = step(order, Action.APPROVE_REPLY, SUPERVISOR)
    assert order.state is OrderState.FEEDBACK
    return order


def outcome(value: CallbackOutcome) -> Payload:
    return Payload(outcome=value)


def with_state(state: OrderState) -> OrderSnapshot:
    """An order in ``state`` (units a, lead a where a unit is on it), for the table-wide checks."""
    order = new_order()
    if state in (OrderState.NEW, OrderState.CLOSED, OrderState.RETURNED, OrderState.TRANSFERRED):
        units: tuple[OrderUnit, ...] = (OrderUnit("unit-a"),)
        if state is OrderState.RETURNED:
            units = (OrderUnit("unit-a", UnitStatus.RETURNED, "不属本单位职责"),)
        return replace(order, state=state, units=units if state is not OrderState.NEW else ())
    return replace(
        order,
        state=state,
        units=(OrderUnit("unit-a", UnitStatus.ACCEPTED),),
        lead_unit="unit-a",
        requested_extension_days=8 if state is OrderState.EXTENSION_REQUESTED else None,
    )


# -- vocabulary -------------------------------------------------------------------------------------------


def test_the_vocabulary_matches_the_store_and_the_api() -> None:
    assert [c.value for c in Channel] == [
        "hotline",
        "hotline-offhours",
        "hotline-callback",
        "web",
        "walk-in",
        "other-hotline",
    ]
    assert (
        [t.value for t in OrderType]
        == [t.value for t in CallType]
        == ["consultation", "complaint", "suggestion"]
    )
    assert [u.value for u in Urgency] == ["normal", "urgent", "emergency"]
    assert {r.value for r in Role} == {"agent", "expert", "unit-handler", "unit-head", "supervisor", "admin"}
    assert len(OrderState) == 10
    assert len(Action) == 16
    assert {o.value for o in CallbackOutcome} == {
        "satisfied",
        "dissatisfied",
        "law-does-not-allow",
        "wrong-answer",
    }


def test_a_new_order_has_its_deadlines() -> None:
    order = new_order()
    assert order.state is OrderState.NEW
    assert order.registered_at == REGISTERED
    assert order.deadlines.transfer_due == local(2026, 10, 8)
    assert order.deadlines.reply_due == local(2026, 10, 13)
    assert not order.deadlines.extended
    assert order.deadlines.callback_due is None


# -- every transition -------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [AGENT, SUPERVISOR])
def test_a_consultation_answered_at_once_is_closed(actor: Actor) -> None:
    decision = act(new_order(), Action.CLOSE, actor, Payload(reply="可以，带身份证到司法所办理。"))
    assert decision.state is OrderState.CLOSED
    assert decision.order.closed_at == LATER
    assert decision.order.reply == "可以，带身份证到司法所办理。"
    assert decision.unit_changes == ()
    entry = decision.entry
    assert (entry.actor, entry.actor_role, entry.action, entry.at) == (
        actor.id,
        actor.role,
        Action.CLOSE,
        LATER,
    )
    assert (entry.from_state, entry.to_state) == (OrderState.NEW, OrderState.CLOSED)


@pytest.mark.parametrize("actor", [AGENT, SUPERVISOR])
def test_a_transfer_assigns_the_units(actor: Actor) -> None:
    decision = act(new_order(), Action.TRANSFER, actor, Payload(units=("unit-a", "unit-b"), note="请协办"))
    assert decision.state is OrderState.TRANSFERRED
    assert decision.order.units == (OrderUnit("unit-a"), OrderUnit("unit-b"))
    assert decision.order.lead_unit is None
    assert decision.unit_changes == (
        UnitChange("unit-a", UnitStatus.ASSIGNED),
        UnitChange("unit-b", UnitStatus.ASSIGNED),
    )
    assert decision.entry.note == "请协办"
    assert decision.entry.details == {"units": ["unit-a", "unit-b"], "joint": True}
    assert not decision.notify_leaders


@pytest.mark.parametrize("urgency", [Urgency.URGENT, Urgency.EMERGENCY])
def test_transferring_an_urgent_matter_tells_the_leaders(urgency: Urgency) -> None:
    assert act(new_order(urgency=urgency), Action.TRANSFER, AGENT, Payload(units=("unit-a",))).notify_leaders


def test_a_transfer_can_mark_the_order_as_a_case() -> None:
    order = step(new_order(), Action.TRANSFER, AGENT, Payload(units=("unit-a",), is_case=True))
    assert order.is_case


@pytest.mark.parametrize("actor", [HANDLER_A, HEAD_A])
def test_the_first_accepting_unit_leads(actor: Actor) -> None:
    decision = act(transferred(None, "unit-a"), Action.ACCEPT, actor)
    assert decision.state is OrderState.IN_PROGRESS
    assert decision.order.lead_unit == "unit-a"
    assert decision.unit_changes == (UnitChange("unit-a", UnitStatus.ACCEPTED),)


def test_joint_handling_the_second_unit_joins_without_taking_the_lead() -> None:
    order = step(transferred(None, "unit-a", "unit-b"), Action.ACCEPT, HANDLER_B)
    assert order.lead_unit == "unit-b"
    assert order.state is OrderState.IN_PROGRESS
    decision = act(order, Action.ACCEPT, HANDLER_A)
    assert decision.state is OrderState.IN_PROGRESS
    assert decision.order.lead_unit == "unit-b"
    assert decision.order.unit("unit-a") == OrderUnit("unit-a", UnitStatus.ACCEPTED)


@pytest.mark.parametrize("actor", [HANDLER_A, HEAD_A])
def test_a_unit_returns_the_order_with_a_reason(actor: Actor) -> None:
    decision = act(transferred(), Action.RETURN, actor, Payload(reason="不属本单位职责"))
    assert decision.state is OrderState.RETURNED
    assert decision.unit_changes == (UnitChange("unit-a", UnitStatus.RETURNED, "不属本单位职责"),)
    assert decision.order.unit("unit-a") == OrderUnit("unit-a", UnitStatus.RETURNED, "不属本单位职责")
    assert decision.entry.note == "不属本单位职责"


def test_with_joint_handling_one_return_leaves_the_others_on_the_order() -> None:
    order = transferred(None, "unit-a", "unit-b")
    decision = act(order, Action.RETURN, HANDLER_A, Payload(reason="不属本单位职责"))
    assert decision.state is OrderState.TRANSFERRED
    assert step(decision.order, Action.RETURN, HANDLER_B, Payload(reason="同上")).state is OrderState.RETURNED
    # After the lead accepted, an assigned unit can still decline.
    accepted = step(order, Action.ACCEPT, HANDLER_B)
    assert step(accepted, Action.RETURN, HANDLER_A, Payload(reason="无关")).state is OrderState.IN_PROGRESS


def returned() -> OrderSnapshot:
    return step(transferred(None, "unit-a"), Action.RETURN, HANDLER_A, Payload(reason="不属本单位职责"))


@pytest.mark.parametrize("action", [Action.TRANSFER, Action.FORWARD])
def test_the_dispatcher_forwards_a_returned_order(action: Action) -> None:
    decision = act(returned(), action, SUPERVISOR, Payload(units=("unit-b",)))
    assert decision.state is OrderState.TRANSFERRED
    assert decision.order.unit("unit-a") == OrderUnit("unit-a", UnitStatus.RETURNED, "不属本单位职责")
    assert decision.order.unit("unit-b") == OrderUnit("unit-b")
    assert available_actions(decision.order, HANDLER_A) == (Action.NOTE,)


def test_the_dispatcher_sends_a_returned_order_back() -> None:
    decision = act(returned(), Action.SEND_BACK, AGENT, Payload(note="确属贵单位职责"))
    assert decision.state is OrderState.TRANSFERRED
    assert decision.unit_changes == (UnitChange("unit-a", UnitStatus.ASSIGNED),)
    assert decision.order.unit("unit-a") == OrderUnit("unit-a")
    assert step(decision.order, Action.ACCEPT, HANDLER_A).lead_unit == "unit-a"


def test_send_back_only_goes_to_a_unit_that_returned_it() -> None:
    with pytest.raises(InvalidActionError) as error:
        act(returned(), Action.SEND_BACK, AGENT, Payload(units=("unit-b",)))
    assert error.value.details["returned"] == ["unit-a"]


@pytest.mark.parametrize(
    ("order_type", "is_case", "state"),
    [
        (CallType.CONSULTATION, False, OrderState.FEEDBACK),
        (CallType.SUGGESTION, False, OrderState.FEEDBACK),
        (CallType.COMPLAINT, False, OrderState.IN_REVIEW),
        (CallType.CONSULTATION, True, OrderState.IN_REVIEW),
    ],
)
def test_the_reply_goes_out_directly_or_to_review(
    order_type: CallType, is_case: bool, state: OrderState
) -> None:
    order = in_progress(new_order(order_type, is_case=is_case))
    decision = act(order, Action.REPLY, HEAD_A, Payload(reply="答复意见"))
    assert decision.state is state
    assert decision.order.reply == "答复意见"
    assert decision.order.replied_at == LATER
    assert (decision.order.feedback_at == LATER) is (state is OrderState.FEEDBACK)


def test_the_supervisor_approves_a_reviewed_reply() -> None:
    order = replied(new_order(CallType.COMPLAINT))
    at = local(2026, 10, 8, 9)
    decision = act(order, Action.APPROVE_REPLY, SUPERVISOR, at=at)
    assert decision.state is OrderState.FEEDBACK
    assert decision.order.feedback_at == at


def test_the_supervisor_rejects_a_reply_with_a_reason() -> None:
    order = replied(new_order(CallType.COMPLAINT))
    decision = act(order, Action.REJECT_REPLY, SUPERVISOR, Payload(reason="适用法条有误"))
    assert decision.state is OrderState.IN_PROGRESS
    assert decision.entry.note == "适用法条有误"
    with pytest.raises(InvalidActionError):
        act(order, Action.REJECT_REPLY, SUPERVISOR)


@pytest.mark.parametrize(
    ("value", "state"),
    [
        (CallbackOutcome.SATISFIED, OrderState.CLOSED),
        (CallbackOutcome.LAW_DOES_NOT_ALLOW, OrderState.CLOSED),
        (CallbackOutcome.WRONG_ANSWER, OrderState.IN_PROGRESS),
        (CallbackOutcome.DISSATISFIED, OrderState.SECOND_CALLBACK),
    ],
)
@pytest.mark.parametrize("actor", [AGENT, SUPERVISOR])
def test_the_callback_survey(value: CallbackOutcome, state: OrderState, actor: Actor) -> None:
    decision = act(in_feedback(), Action.CALLBACK, actor, outcome(value))
    assert decision.state is state
    assert decision.order.callback_outcome is value
    assert (decision.order.closed_at is not None) is (state is OrderState.CLOSED)
    assert not decision.order.flagged
    assert decision.entry.details == {"outcome": value.value}


def test_a_wrong_answer_is_redone_by_the_lead_unit() -> None:
    order = step(in_feedback(), Action.CALLBACK, AGENT, Payload(outcome="wrong-answer"))
    assert available_actions(order, HANDLER_A) == (Action.REQUEST_EXTENSION, Action.REPLY, Action.NOTE)
    assert step(order, Action.REPLY, HANDLER_A, Payload(reply="更正后的答复")).state is OrderState.FEEDBACK


@pytest.mark.parametrize(
    ("value", "state", "flagged"),
    [
        (CallbackOutcome.SATISFIED, OrderState.CLOSED, False),
        (CallbackOutcome.LAW_DOES_NOT_ALLOW, OrderState.CLOSED, False),
        (CallbackOutcome.DISSATISFIED, OrderState.FLAGGED, True),
        (CallbackOutcome.WRONG_ANSWER, OrderState.FLAGGED, True),
    ],
)
def test_the_second_callback(value: CallbackOutcome, state: OrderState, flagged: bool) -> None:
    order = step(in_feedback(), Action.CALLBACK, AGENT, outcome(CallbackOutcome.DISSATISFIED))
    decision = act(order, Action.SECOND_CALLBACK, SUPERVISOR, outcome(value))
    assert decision.state is state
    assert decision.order.flagged is flagged


def test_the_supervisor_resolves_a_flag_and_the_flag_stays() -> None:
    order = step(in_feedback(), Action.CALLBACK, AGENT, outcome(CallbackOutcome.DISSATISFIED))
    order = step(order, Action.SECOND_CALLBACK, SUPERVISOR, outcome(CallbackOutcome.DISSATISFIED))
    decision = act(order, Action.RESOLVE_FLAG, SUPERVISOR, Payload(note="已复核，答复无误"))
    assert decision.state is OrderState.CLOSED
    assert decision.order.flagged
    assert decision.order.closed_at == LATER


@pytest.mark.parametrize("state", list(OrderState))
@pytest.mark.parametrize("actor", [AGENT, SUPERVISOR, ADMIN, EXPERT, HANDLER_C, HEAD_B])
def test_a_note_is_allowed_everywhere_and_changes_nothing(state: OrderState, actor: Actor) -> None:
    order = with_state(state)
    decision = act(order, Action.NOTE, actor, Payload(note="来电人再次询问进度"))
    assert decision.order == order
    assert decision.unit_changes == ()
    assert (decision.entry.from_state, decision.entry.to_state) == (state, state)
    assert decision.entry.note == "来电人再次询问进度"


def test_a_note_needs_text() -> None:
    with pytest.raises(InvalidActionError) as error:
        act(new_order(), Action.NOTE, AGENT, Payload(note="  "))
    assert error.value.details == {"field": "note"}


def test_a_whole_complaint_with_joint_handling_and_an_extension() -> None:
    order = new_order(CallType.COMPLAINT, at=local(2026, 2, 13))
    order = step(order, Action.TRANSFER, AGENT, Payload(units=("unit-a", "unit-b")), local(2026, 2, 13, 11))
    order = step(order, Action.ACCEPT, HANDLER_A, at=local(2026, 2, 14, 9))
    order = step(order, Action.ACCEPT, HANDLER_B, at=local(2026, 2, 14, 9, 30))
    with pytest.raises(ActionForbiddenError):
        act(order, Action.REPLY, HANDLER_B, Payload(reply="答复"))
    order = step(order, Action.REQUEST_EXTENSION, HANDLER_A, Payload(days=10), local(2026, 2, 24))
    order = step(order, Action.APPROVE_EXTENSION, HEAD_A, at=local(2026, 2, 24, 11))
    assert order.deadlines.reply_due == local(2026, 3, 5)
    order = step(order, Action.REPLY, HANDLER_A, Payload(reply="答复"), local(2026, 3, 3))
    assert order.state is OrderState.IN_REVIEW
    order = step(order, Action.APPROVE_REPLY, SUPERVISOR, at=local(2026, 3, 4))
    order = step(order, Action.CALLBACK, AGENT, outcome(CallbackOutcome.SATISFIED), local(2026, 3, 5))
    assert order.state is OrderState.CLOSED


# -- refusals ---------------------------------------------------------------------------------------------


ILLEGAL = [(state, action) for state in OrderState for action in Action if (state, action) not in TRANSITIONS]


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_every_move_outside_the_table_is_illegal(state: OrderState, action: Action) -> None:
    with pytest.raises(IllegalTransitionError) as error:
        act(with_state(state), action, SUPERVISOR, Payload(units=("unit-a",), reason="r", reply="r", days=8))
    assert error.value.code == "illegal-transition"
    assert error.value.http_status == 409
    assert error.value.details["allowed"] == [a.value for a in allowed_actions(state, Role.SUPERVISOR)]


def test_an_illegal_move_lists_what_the_role_can_do() -> None:
    with pytest.raises(IllegalTransitionError) as error:
        act(new_order(), Action.ACCEPT, AGENT)
    assert error.value.details == {
        "state": "new",
        "action": "accept",
        "role": "agent",
        "allowed": ["close", "transfer", "note"],
    }
    with pytest.raises(IllegalTransitionError) as error:
        act(with_state(OrderState.CLOSED), Action.CLOSE, AGENT)
    assert error.value.details["allowed"] == ["note"]


def test_allowed_actions_follow_the_table() -> None:
    assert allowed_actions(OrderState.NEW, Role.AGENT) == (Action.CLOSE, Action.TRANSFER, Action.NOTE)
    assert allowed_actions(OrderState.NEW, Role.UNIT_HANDLER) == (Action.NOTE,)
    assert allowed_actions(OrderState.RETURNED, Role.SUPERVISOR) == (
        Action.TRANSFER,
        Action.FORWARD,
        Action.SEND_BACK,
        Action.NOTE,
    )
    assert allowed_actions(OrderState.EXTENSION_REQUESTED, Role.UNIT_HEAD) == (
        Action.APPROVE_EXTENSION,
        Action.REFUSE_EXTENSION,
        Action.NOTE,
    )
    assert allowed_actions(OrderState.EXTENSION_REQUESTED, Role.UNIT_HANDLER) == (Action.NOTE,)
    assert allowed_actions(OrderState.FLAGGED, Role.SUPERVISOR) == (Action.RESOLVE_FLAG, Action.NOTE)
    for state in OrderState:
        assert allowed_actions(state, Role.ADMIN) == (Action.NOTE,)
        assert allowed_actions(state, Role.EXPERT) == (Action.NOTE,)


WRONG_ROLES = [
    (OrderState.NEW, Action.CLOSE, HANDLER_A),
    (OrderState.NEW, Action.TRANSFER, ADMIN),
    (OrderState.RETURNED, Action.FORWARD, HEAD_A),
    (OrderState.TRANSFERRED, Action.ACCEPT, AGENT),
    (OrderState.TRANSFERRED, Action.RETURN, SUPERVISOR),
    (OrderState.IN_PROGRESS, Action.REQUEST_EXTENSION, SUPERVISOR),
    (OrderState.EXTENSION_REQUESTED, Action.APPROVE_EXTENSION, HANDLER_A),
    (OrderState.EXTENSION_REQUESTED, Action.REFUSE_EXTENSION, SUPERVISOR),
    (OrderState.IN_PROGRESS, Action.REPLY, AGENT),
    (OrderState.IN_REVIEW, Action.APPROVE_REPLY, AGENT),
    (OrderState.IN_REVIEW, Action.REJECT_REPLY, HEAD_A),
    (OrderState.FEEDBACK, Action.CALLBACK, HANDLER_A),
    (OrderState.SECOND_CALLBACK, Action.SECOND_CALLBACK, AGENT),
    (OrderState.FLAGGED, Action.RESOLVE_FLAG, AGENT),
]


@pytest.mark.parametrize(("state", "action", "actor"), WRONG_ROLES)
def test_a_role_not_allowed_is_forbidden(state: OrderState, action: Action, actor: Actor) -> None:
    payload = Payload(units=("unit-a",), reason="r", reply="r", days=8, outcome=CallbackOutcome.SATISFIED)
    with pytest.raises(ActionForbiddenError) as error:
        act(with_state(state), action, actor, payload)
    assert error.value.code == "action-forbidden"
    assert error.value.http_status == 403
    assert error.value.details["reason"] == "role"
    assert actor.role.value not in error.value.details["roles"]


def test_every_table_row_is_covered_by_a_transition_test_or_a_wrong_role() -> None:
    refused = {(state, action) for state, action, _ in WRONG_ROLES}
    rows = {key for key in TRANSITIONS if key[1] is not Action.NOTE}
    assert rows - refused == {
        (OrderState.RETURNED, Action.TRANSFER),
        (OrderState.RETURNED, Action.SEND_BACK),
        (OrderState.IN_PROGRESS, Action.ACCEPT),
        (OrderState.IN_PROGRESS, Action.RETURN),
    }


@pytest.mark.parametrize("action", [Action.ACCEPT, Action.RETURN])
@pytest.mark.parametrize("actor", [HANDLER_C, Actor("nobody", Role.UNIT_HEAD)])
def test_a_unit_not_on_the_order_cannot_act(action: Action, actor: Actor) -> None:
    with pytest.raises(ActionForbiddenError) as error:
        act(transferred(None, "unit-a", "unit-b"), action, actor, Payload(reason="r"))
    assert error.value.details["reason"] == "not-your-unit"
    assert error.value.details["units"] == ["unit-a", "unit-b"]


def test_a_unit_that_returned_the_order_can_no_longer_act() -> None:
    order = step(transferred(None, "unit-a", "unit-b"), Action.RETURN, HANDLER_A, Payload(reason="r"))
    with pytest.raises(ActionForbiddenError) as error:
        act(order, Action.ACCEPT, HANDLER_A)
    assert error.value.details["reason"] == "not-your-unit"


def test_a_unit_accepts_only_once() -> None:
    order = in_progress(None, "unit-a", "unit-b")
    with pytest.raises(ActionForbiddenError) as error:
        act(order, Action.ACCEPT, HEAD_A)
    assert error.value.details["reason"] == "unit-already-accepted"
    with pytest.raises(ActionForbiddenError):
        act(order, Action.RETURN, HEAD_A, Payload(reason="r"))


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        (Action.REPLY, Payload(reply="答复")),
        (Action.REQUEST_EXTENSION, Payload(days=8)),
    ],
)
def test_only_the_lead_of_a_joint_order_replies_or_asks_for_time(action: Action, payload: Payload) -> None:
    order = step(in_progress(None, "unit-a", "unit-b"), Action.ACCEPT, HEAD_B)
    assert order.lead_unit == "unit-a"
    with pytest.raises(ActionForbiddenError) as error:
        act(order, action, HEAD_B, payload)
    assert error.value.details["reason"] == "not-lead-unit"
    assert error.value.details["lead_unit"] == "unit-a"
    assert available_actions(order, HEAD_B) == (Action.NOTE,)
    assert act(order, action, HANDLER_A, payload).state is not OrderState.IN_PROGRESS


def test_only_the_lead_units_head_decides_an_extension() -> None:
    order = step(in_progress(None, "unit-a", "unit-b"), Action.ACCEPT, HANDLER_B)
    order = step(order, Action.REQUEST_EXTENSION, HANDLER_A, Payload(days=8))
    with pytest.raises(ActionForbiddenError) as error:
        act(order, Action.APPROVE_EXTENSION, HEAD_B)
    assert error.value.details["reason"] == "not-lead-unit"
    assert available_actions(order, HEAD_A) == (
        Action.APPROVE_EXTENSION,
        Action.REFUSE_EXTENSION,
        Action.NOTE,
    )


@pytest.mark.parametrize(
    ("order", "action", "actor", "payload", "field"),
    [
        (new_order(), Action.TRANSFER, AGENT, Payload(), "units"),
        (new_order(), Action.TRANSFER, AGENT, Payload(units=("unit-a", "unit-a")), "units"),
        (new_order(), Action.TRANSFER, AGENT, Payload(units=("",)), "units"),
        (new_order(), Action.TRANSFER, AGENT, Payload(units=("x" * 33,)), "units"),
        (new_order(), Action.CLOSE, AGENT, Payload(note="x" * 4001), "note"),
        (with_state(OrderState.RETURNED), Action.FORWARD, AGENT, Payload(), "units"),
        (with_state(OrderState.TRANSFERRED), Action.RETURN, HANDLER_A, Payload(reason=" "), "reason"),
        (with_state(OrderState.IN_PROGRESS), Action.REPLY, HANDLER_A, Payload(), "reply"),
        (with_state(OrderState.IN_PROGRESS), Action.REQUEST_EXTENSION, HANDLER_A, Payload(), "days"),
        (with_state(OrderState.IN_PROGRESS), Action.REQUEST_EXTENSION, HANDLER_A, Payload(days=5), "days"),
        (with_state(OrderState.FEEDBACK), Action.CALLBACK, AGENT, Payload(), "outcome"),
        (with_state(OrderState.FEEDBACK), Action.CALLBACK, AGENT, Payload(outcome="happy"), "outcome"),
        (with_state(OrderState.SECOND_CALLBACK), Action.SECOND_CALLBACK, SUPERVISOR, Payload(), "outcome"),
    ],
)
def test_a_bad_payload_is_invalid(
    order: OrderSnapshot, action: Action, actor: Actor, payload: Payload, field: str
) -> None:
    with pytest.raises(InvalidActionError) as error:
        act(order, action, actor, payload)
    assert error.value.code == "invalid-action"
    assert error.value.http_status == 422
    assert error.value.details["field"] == field


def test_the_instant_must_be_timezone_aware() -> None:
    with pytest.raises(InvalidActionError):
        decide(new_order(), Action.CLOSE, AGENT, None, datetime(2026, 9, 30, 11), CALENDAR)


def test_an_unknown_action_is_invalid() -> None:
    with pytest.raises(InvalidActionError):
        decide(new_order(), "dance", AGENT, None, LATER, CALENDAR)  # type: ignore[arg-type]


# -- extensions -------------------------------------------------------------------------------------------


def asking(days: int) -> OrderSnapshot:
    return step(in_progress(), Action.REQUEST_EXTENSION, HANDLER_A, Payload(days=days, note="涉及多部门"))


def test_an_approved_extension_moves_the_reply_deadline() -> None:
    order = asking(15)
    assert order.state is OrderState.EXTENSION_REQUESTED
    assert order.requested_extension_days == 15
    decision = act(order, Action.APPROVE_EXTENSION, HEAD_A)
    assert decision.state is OrderState.IN_PROGRESS
    # From Wednesday 2026-09-30: 10-08, 09, 10 (Saturday, adjusted), 12-16, 19-23, 26, 27.
    assert decision.order.deadlines.reply_due == local(2026, 10, 27)
    assert decision.order.deadlines.extended
    assert decision.order.deadlines.extension_days == 15
    assert decision.order.requested_extension_days is None
    assert decision.entry.details == {"days": 15, "reply_due": local(2026, 10, 27).isoformat()}


def test_the_head_may_approve_fewer_days_than_asked_but_not_more() -> None:
    order = asking(12)
    assert step(order, Action.APPROVE_EXTENSION, HEAD_A, Payload(days=8)).deadlines.extension_days == 8
    with pytest.raises(InvalidActionError):
        act(order, Action.APPROVE_EXTENSION, HEAD_A, Payload(days=13))


def test_a_refused_extension_keeps_the_deadline() -> None:
    order = asking(10)
    decision = act(order, Action.REFUSE_EXTENSION, HEAD_A, Payload(reason="案情简单"))
    assert decision.state is OrderState.IN_PROGRESS
    assert decision.order.deadlines == order.deadlines
    assert not decision.order.deadlines.extended
    assert decision.order.requested_extension_days is None


@pytest.mark.parametrize("days", [16, 30])
def test_an_extension_beyond_15_working_days_is_refused(days: int) -> None:
    with pytest.raises(ExtensionLimitError) as error:
        asking(days)
    assert error.value.code == "extension-limit"
    assert error.value.http_status == 422
    assert error.value.details["max"] == 15
    assert "at most 15 working days" in error.value.message
    with pytest.raises(ExtensionLimitError):
        act(asking(10), Action.APPROVE_EXTENSION, HEAD_A, Payload(days=days))


def test_a_second_extension_must_go_further_and_stay_within_15() -> None:
    order = step(asking(8), Action.APPROVE_EXTENSION, HEAD_A)
    with pytest.raises(InvalidActionError):
        act(order, Action.REQUEST_EXTENSION, HANDLER_A, Payload(days=8))
    order = step(order, Action.REQUEST_EXTENSION, HEAD_A, Payload(days=15))
    assert step(order, Action.APPROVE_EXTENSION, HEAD_A).deadlines.extension_days == 15


def test_finished_within_an_approved_extension_is_not_overdue() -> None:
    order = step(asking(10), Action.APPROVE_EXTENSION, HEAD_A)
    finished = local(2026, 10, 20)  # after the 5-day deadline (10-13), before the extended one
    assert warning_level(new_order().deadlines.reply_due, finished, CALENDAR) is WarningLevel.OVERDUE
    assert warning_level(order.deadlines.reply_due, finished, CALENDAR) is not WarningLevel.OVERDUE
    before = deadline_statuses(order, finished, CALENDAR)
    assert [(s.kind, s.extended) for s in before] == [(DeadlineKind.REPLY, True)]
    done = step(order, Action.REPLY, HANDLER_A, Payload(reply="答复"), finished)
    assert deadline_statuses(done, local(2026, 11, 30), CALENDAR) == ()
    assert reached_thresholds(done, local(2026, 11, 30), CALENDAR) == ()


# -- deadlines on the 2026 calendar -----------------------------------------------------------------------


def test_the_2026_calendar_is_what_the_deadlines_assume() -> None:
    holidays = [date(2026, 9, 27)] + [date(2026, 10, day) for day in range(1, 8)] + [date(2026, 10, 11)]
    assert not any(CALENDAR.is_working_day(day) for day in holidays)
    # Adjusted working days: Sunday 09-20 and Saturday 10-10 (National Day), Saturdays 02-14 and 02-28.
    for day in (date(2026, 9, 20), date(2026, 10, 10), date(2026, 2, 14), date(2026, 2, 28)):
        assert CALENDAR.is_working_day(day)
        assert day.weekday() >= 5
    assert not any(CALENDAR.is_working_day(date(2026, 2, day)) for day in range(15, 24))


@pytest.mark.parametrize(
    ("registered", "transfer_due", "reply_due"),
    [
        # National Day: Wednesday 09-30 -> Thursday 10-08; 10-08, 09, 10 (Sat), 12, 13.
        (local(2026, 9, 30), local(2026, 10, 8), local(2026, 10, 13)),
        # Registered on the web during the holiday: the clock starts after it.
        (local(2026, 10, 3, 15), local(2026, 10, 8, 15), local(2026, 10, 13, 15)),
        # Friday 10-09: the adjusted working Saturday is the next working day.
        (local(2026, 10, 9, 16), local(2026, 10, 10, 16), local(2026, 10, 15, 16)),
        # Spring Festival: Friday 02-13 -> Saturday 02-14 (adjusted); 02-14, 24, 25, 26, 27.
        (local(2026, 2, 13), local(2026, 2, 14), local(2026, 2, 27)),
        # Saturday 02-14 -> Tuesday 02-24; 02-24..27 and the adjusted Saturday 02-28.
        (local(2026, 2, 14, 9), local(2026, 2, 24, 9), local(2026, 2, 28, 9)),
        # A plain weekend: Saturday 03-07 -> Monday 03-09.
        (local(2026, 3, 7, 9), local(2026, 3, 9, 9), local(2026, 3, 13, 9)),
    ],
)
def test_working_day_deadlines(registered: datetime, transfer_due: datetime, reply_due: datetime) -> None:
    deadlines = new_order(at=registered).deadlines
    assert deadlines.transfer_due == transfer_due
    assert deadlines.reply_due == reply_due


def test_the_longest_extension_across_the_spring_festival() -> None:
    order = step(
        in_progress(new_order(at=local(2026, 2, 13))), Action.REQUEST_EXTENSION, HANDLER_A, Payload(days=15)
    )
    # 02-14, 24-28, 03-02..06, 09..12.
    assert step(order, Action.APPROVE_EXTENSION, HEAD_A).deadlines.reply_due == local(2026, 3, 12)


@pytest.mark.parametrize("urgency", [Urgency.URGENT, Urgency.EMERGENCY])
@pytest.mark.parametrize(
    ("registered", "due"),
    [
        # Open: one hour later.
        (local(2026, 9, 30, 10), local(2026, 9, 30, 11)),
        # Half an hour before closing: the other half hour after the next opening.
        (local(2026, 9, 30, 19, 30), local(2026, 10, 8, 8, 30)),
        # The hotline is closed on holidays: one hour after it opens again.
        (local(2026, 10, 3, 15), local(2026, 10, 8, 9)),
        # At night: from the next opening, on a 7-day schedule a Sunday too.
        (local(2026, 3, 7, 23), local(2026, 3, 8, 9)),
        # The adjusted working Saturday is open.
        (local(2026, 10, 9, 21), local(2026, 10, 10, 9)),
    ],
)
def test_an_urgent_transfer_is_due_within_one_working_hour(
    urgency: Urgency, registered: datetime, due: datetime
) -> None:
    assert new_order(urgency=urgency, at=registered).deadlines.transfer_due == due


def test_an_emergency_is_called_back_within_3_working_days_of_the_reply_reaching_the_caller() -> None:
    order = in_progress(new_order(CallType.COMPLAINT, Urgency.EMERGENCY))
    order = step(order, Action.REPLY, HANDLER_A, Payload(reply="答复"), local(2026, 10, 9, 12))
    assert order.deadlines.callback_due is None
    order = step(order, Action.APPROVE_REPLY, SUPERVISOR, at=local(2026, 10, 9, 15))
    # 10-10 (Saturday, adjusted), 12, 13.
    assert order.deadlines.callback_due == local(2026, 10, 13, 15)
    assert order.feedback_at == local(2026, 10, 9, 15)
    assert [s.kind for s in deadline_statuses(order, local(2026, 10, 12), CALENDAR)] == [
        DeadlineKind.CALLBACK
    ]


@pytest.mark.parametrize("urgency", [Urgency.NORMAL, Urgency.URGENT])
def test_only_emergencies_have_a_callback_deadline(urgency: Urgency) -> None:
    order = in_feedback(urgency=urgency)
    assert order.deadlines.callback_due is None
    assert deadline_statuses(order, local(2026, 12, 1), CALENDAR) == ()


# -- warning levels ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "level"),
    [
        (local(2026, 10, 9, 23, 59), WarningLevel.NONE),
        # The working day before the due Tuesday 10-13 is Monday 10-12.
        (local(2026, 10, 11, 23, 59), WarningLevel.NONE),
        (local(2026, 10, 12, 0), WarningLevel.NEAR_DUE),
        (local(2026, 10, 12, 23, 59), WarningLevel.NEAR_DUE),
        (local(2026, 10, 13, 0), WarningLevel.DUE_TODAY),
        (local(2026, 10, 13, 10), WarningLevel.DUE_TODAY),
        (local(2026, 10, 13, 10, 1), WarningLevel.OVERDUE),
        (local(2026, 11, 30), WarningLevel.OVERDUE),
    ],
)
def test_warning_levels(at: datetime, level: WarningLevel) -> None:
    assert warning_level(local(2026, 10, 13), at, CALENDAR) is level


def test_near_due_starts_on_the_working_day_before_across_a_weekend_and_a_holiday() -> None:
    # Due Monday 10-12: the working day before is the adjusted Saturday 10-10, and Sunday stays near-due.
    assert warning_starts(local(2026, 10, 12), CALENDAR)[0] == local(2026, 10, 10, 0)
    assert warning_level(local(2026, 10, 12), local(2026, 10, 11, 12), CALENDAR) is WarningLevel.NEAR_DUE
    # Due Thursday 10-08: near-due from Wednesday 09-30, through the whole holiday.
    assert warning_starts(local(2026, 10, 8), CALENDAR) == (local(2026, 9, 30, 0), local(2026, 10, 8, 0))
    assert warning_level(local(2026, 10, 8), local(2026, 10, 4), CALENDAR) is WarningLevel.NEAR_DUE
    assert warning_level(local(2026, 10, 8), local(2026, 9, 29, 23), CALENDAR) is WarningLevel.NONE


def test_the_instant_may_be_in_any_zone() -> None:
    due = local(2026, 10, 13)
    assert warning_level(due, datetime(2026, 10, 12, 16, tzinfo=UTC), CALENDAR) is WarningLevel.DUE_TODAY
    assert warning_level(due, datetime(2026, 10, 12, 15, 59, tzinfo=UTC), CALENDAR) is WarningLevel.NEAR_DUE


def test_deadline_statuses_follow_the_state() -> None:
    order = new_order()
    at = local(2026, 10, 8, 9)
    kinds = [(s.kind, s.level, s.extended) for s in deadline_statuses(order, at, CALENDAR)]
    assert kinds == [
        (DeadlineKind.TRANSFER, WarningLevel.DUE_TODAY, False),
        (DeadlineKind.REPLY, WarningLevel.NONE, False),
    ]
    # Transferred: only the reply deadline runs; returned: the transfer one again.
    assert [s.kind for s in deadline_statuses(transferred(), at, CALENDAR)] == [DeadlineKind.REPLY]
    assert [s.kind for s in deadline_statuses(returned(), at, CALENDAR)] == [
        DeadlineKind.TRANSFER,
        DeadlineKind.REPLY,
    ]
    assert deadline_statuses(step(order, Action.CLOSE, AGENT), at, CALENDAR) == ()


def test_reached_thresholds_list_every_level_passed() -> None:
    order = transferred()
    reply_due = local(2026, 10, 13)
    assert reached_thresholds(order, local(2026, 10, 9), CALENDAR) == ()
    assert reached_thresholds(order, local(2026, 10, 12, 8), CALENDAR) == (
        Threshold(DeadlineKind.REPLY, WarningLevel.NEAR_DUE, reply_due),
    )
    assert reached_thresholds(order, local(2026, 10, 14), CALENDAR) == (
        Threshold(DeadlineKind.REPLY, WarningLevel.NEAR_DUE, reply_due),
        Threshold(DeadlineKind.REPLY, WarningLevel.DUE_TODAY, reply_due),
        Threshold(DeadlineKind.REPLY, WarningLevel.OVERDUE, reply_due),
    )


def test_a_level_over_before_the_clock_started_is_not_reported() -> None:
    order = new_order(urgency=Urgency.URGENT, at=local(2026, 10, 8, 9))
    due = local(2026, 10, 8, 10)
    transfer = [
        t for t in reached_thresholds(order, local(2026, 10, 8, 9, 30), CALENDAR) if t.kind == "transfer"
    ]
    assert transfer == [Threshold(DeadlineKind.TRANSFER, WarningLevel.DUE_TODAY, due)]
    transfer = [
        t for t in reached_thresholds(order, local(2026, 10, 8, 11), CALENDAR) if t.kind == "transfer"
    ]
    assert [t.level for t in transfer] == [WarningLevel.DUE_TODAY, WarningLevel.OVERDUE]
    # A normal order registered on the day before its transfer deadline starts near-due.
    normal = new_order(at=local(2026, 10, 8, 9))
    assert reached_thresholds(normal, local(2026, 10, 8, 9), CALENDAR) == (
        Threshold(DeadlineKind.TRANSFER, WarningLevel.NEAR_DUE, local(2026, 10, 9, 9)),
    )


def test_an_extension_moves_the_reminders_to_the_new_due_date() -> None:
    order = step(asking(10), Action.APPROVE_EXTENSION, HEAD_A)
    due = order.deadlines.reply_due
    assert due == local(2026, 10, 20)
    assert reached_thresholds(order, local(2026, 10, 14), CALENDAR) == ()
    assert reached_thresholds(order, local(2026, 10, 19), CALENDAR) == (
        Threshold(DeadlineKind.REPLY, WarningLevel.NEAR_DUE, due),
    )


def test_timezone_naive_instants_are_refused_by_the_warning_functions() -> None:
    with pytest.raises(InvalidActionError):
        warning_level(local(2026, 10, 13), datetime(2026, 10, 13), CALENDAR)
    with pytest.raises(InvalidActionError):
        reached_thresholds(new_order(), datetime(2026, 10, 13), CALENDAR)
