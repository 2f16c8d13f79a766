"""Channel variables through which AGI routes answer the dialplan.

The dialplan in ``dialplan/`` reads these exact names; ``tests/agi/test_variables.py`` keeps both sides in
step. Routes never answer any other way.
"""

from typing import Final

# Set by every route: "ok", or "error" so the dialplan takes its fallback branch.
ENTRY_STATUS: Final = "CC_ENTRY_STATUS"
# Which step of cc-entry the call goes to next (the extension step-<value>).
NEXT_STEP: Final = "CC_NEXT_STEP"
# The prompt the next step plays.
PROMPT: Final = "CC_PROMPT"

STATUS_OK: Final = "ok"
STATUS_ERROR: Final = "error"

ROUTE_VARIABLES: Final = (ENTRY_STATUS, NEXT_STEP, PROMPT)
