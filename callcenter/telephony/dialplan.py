"""Names the dialplan in ``dialplan/`` defines and the application refers to."""

from typing import Final

# Where calls from the public network (callers dialling 12348) enter.
INBOUND_CONTEXT: Final = "from-public"
