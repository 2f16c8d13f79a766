"""Whether an off-hours recording is a message: long enough, and with a voice in it, not silence."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

FRAME_SECONDS = 0.02
# 16-bit samples: about -40 dBFS. Line noise and comfort noise stay below it, speech does not.
VOICE_RMS = 330.0


@dataclass(frozen=True)
class MessageAssessment:
    seconds: float
    voiced_seconds: float
    is_message: bool


def assess_recording(
    samples: Sequence[int], sample_rate: int, min_voiced_seconds: float
) -> MessageAssessment:
    frame = max(1, int(sample_rate * FRAME_SECONDS))
    voiced_frames = 0
    for start in range(0, len(samples) - frame + 1, frame):
        chunk = samples[start : start + frame]
        rms = math.sqrt(sum(value * value for value in chunk) / frame)
        if rms >= VOICE_RMS:
            voiced_frames += 1
    voiced = voiced_frames * frame / sample_rate
    seconds = len(samples) / sample_rate if sample_rate else 0.0
    return MessageAssessment(seconds=seconds, voiced_seconds=voiced, is_message=voiced >= min_voiced_seconds)
