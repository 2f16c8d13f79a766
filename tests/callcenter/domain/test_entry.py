from callcenter.domain.entry import STEP_GREETING, decide_entry


def test_every_caller_hears_the_greeting_for_now() -> None:
    for caller in ("13912345678", None, "+441234"):
        decision = decide_entry(caller, "12348")
        assert decision.next_step == STEP_GREETING
        assert decision.prompt
