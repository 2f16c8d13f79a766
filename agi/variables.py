"""Channel variables through which AGI routes answer the dialplan.

The dialplan in ``dialplan/`` reads these exact names; ``tests/agi/test_variables.py`` keeps both sides in
step. Routes never answer any other way.
"""

from typing import Final

# entry: "ok", or "error" so the dialplan takes its fallback branch (set last, after everything else).
ENTRY_STATUS: Final = "CC_ENTRY_STATUS"
# entry: which step of cc-entry comes next (the extension step-<value>): language, queue or closed.
NEXT_STEP: Final = "CC_NEXT_STEP"
# entry: the step after the language menu (queue or closed).
AFTER_LANGUAGE: Final = "CC_AFTER_LANGUAGE"
# global: the language menu, as a Playback list ("zh/cc-press-for-language&ug/...").
LANGUAGE_MENU: Final = "CC_LANGUAGE_MENU"
# global: seconds the language menu waits for a key, per attempt.
LANGUAGE_TIMEOUT: Final = "CC_LANGUAGE_TIMEOUT"
# entry and language: the caller's language (CHANNEL(language)).
LANGUAGE: Final = "CC_LANGUAGE"
# language: chosen, retry or default.
LANGUAGE_STATUS: Final = "CC_LANGUAGE_STATUS"
# entry: the prefecture's queue and the overflow queue ("" for none); global: seconds before overflowing.
QUEUE: Final = "CC_QUEUE"
OVERFLOW_QUEUE: Final = "CC_OVERFLOW_QUEUE"
OVERFLOW_AFTER: Final = "CC_OVERFLOW_AFTER"
# entry: where Record() writes a message (in Asterisk's view, without extension); global: how long.
MESSAGE_PATH: Final = "CC_MESSAGE_PATH"
MESSAGE_MAX_SECONDS: Final = "CC_MESSAGE_MAX_SECONDS"
MESSAGE_SILENCE_SECONDS: Final = "CC_MESSAGE_SILENCE_SECONDS"
# message: saved or empty.
MESSAGE_STATUS: Final = "CC_MESSAGE_STATUS"
# callback: ok or error.
CALLBACK_STATUS: Final = "CC_CALLBACK_STATUS"

# transfer, consult, after-agent: ok or error (the dialplan's fallback branch).
TRANSFER_STATUS: Final = "CC_TRANSFER_STATUS"
# transfer and after-agent: the caller's next step in cc-transfer (step-<value>): dial, rate, queue,
# callback or hangup; and a prompt to play first ("" for none).
TRANSFER_STEP: Final = "CC_TRANSFER_STEP"
TRANSFER_ANNOUNCE: Final = "CC_TRANSFER_ANNOUNCE"
# transfer and consult: the leg being dialled; transfer: the expert's number, what the expert hears
# before pressing a key (a Read() prompt list: who calls, the caller's number digit by digit, the
# category; a key may cut it short), and the queue priority for step-queue.
TRANSFER_LEG: Final = "CC_TRANSFER_LEG"
EXPERT_NUMBER: Final = "CC_EXPERT_NUMBER"
EXPERT_WHISPER: Final = "CC_EXPERT_WHISPER"
QUEUE_PRIORITY: Final = "CC_QUEUE_PRIORITY"
# expert: accepted, retry (hear the whisper again) or declined; and where MixMonitor records the leg.
EXPERT_STATUS: Final = "CC_EXPERT_STATUS"
RECORDING_FILE: Final = "CC_RECORDING_FILE"
# rating: stored, retry or none.
RATING_STATUS: Final = "CC_RATING_STATUS"
# global: experts' ring time, seconds to press 1, their language; the rating menu and its wait.
EXPERT_RING_SECONDS: Final = "CC_EXPERT_RING_SECONDS"
CONFIRM_SECONDS: Final = "CC_CONFIRM_SECONDS"
EXPERT_LANGUAGE: Final = "CC_EXPERT_LANGUAGE"
RATING_MENU: Final = "CC_RATING_MENU"
RATING_TIMEOUT: Final = "CC_RATING_TIMEOUT"
# global: where a leg is recorded when the app cannot name the file (Asterisk's view of the directory).
RECORDINGS_DIR: Final = "CC_RECORDINGS_DIR"

STATUS_OK: Final = "ok"
STATUS_ERROR: Final = "error"
MESSAGE_SAVED: Final = "saved"
MESSAGE_EMPTY: Final = "empty"

ROUTE_VARIABLES: Final = (
    ENTRY_STATUS,
    NEXT_STEP,
    AFTER_LANGUAGE,
    LANGUAGE,
    LANGUAGE_STATUS,
    QUEUE,
    OVERFLOW_QUEUE,
    MESSAGE_PATH,
    MESSAGE_STATUS,
    CALLBACK_STATUS,
    TRANSFER_STATUS,
    TRANSFER_STEP,
    TRANSFER_ANNOUNCE,
    TRANSFER_LEG,
    EXPERT_NUMBER,
    EXPERT_WHISPER,
    QUEUE_PRIORITY,
    EXPERT_STATUS,
    RECORDING_FILE,
    RATING_STATUS,
)
# The same for every call, so rendered from the hotline configuration into extensions.conf [globals]
# rather than sent with each call (every variable an AGI route sets is a round trip).
CONFIGURATION_GLOBALS: Final = (
    LANGUAGE_MENU,
    LANGUAGE_TIMEOUT,
    OVERFLOW_AFTER,
    MESSAGE_MAX_SECONDS,
    MESSAGE_SILENCE_SECONDS,
    EXPERT_RING_SECONDS,
    CONFIRM_SECONDS,
    EXPERT_LANGUAGE,
    RATING_MENU,
    RATING_TIMEOUT,
)
