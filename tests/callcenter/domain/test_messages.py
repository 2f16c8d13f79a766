import math

from callcenter.domain.messages import assess_recording

RATE = 8000


def tone(seconds: float, amplitude: int) -> list[int]:
    return [int(amplitude * math.sin(2 * math.pi * 440 * n / RATE)) for n in range(int(seconds * RATE))]


def test_voice_long_enough_is_a_message() -> None:
    assessment = assess_recording(tone(1.0, 0) + tone(2.5, 4000) + tone(1.0, 0), RATE, 2.0)
    assert assessment.is_message
    assert 2.4 < assessment.voiced_seconds < 2.6
    assert 4.4 < assessment.seconds < 4.6


def test_silence_line_noise_and_a_short_word_are_not() -> None:
    assert not assess_recording(tone(6.0, 0), RATE, 2.0).is_message
    assert not assess_recording(tone(6.0, 100), RATE, 2.0).is_message
    assert not assess_recording(tone(1.0, 4000) + tone(5.0, 0), RATE, 2.0).is_message
    assert not assess_recording([], RATE, 2.0).is_message
