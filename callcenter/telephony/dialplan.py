"""Names the dialplan in ``dialplan/`` defines and the application refers to."""

from typing import Final

# Where calls from the public network (callers dialling 12348) enter.
INBOUND_CONTEXT: Final = "from-public"
# The PJSIP endpoint standing for the public phone network (experts' mobiles and landlines).
TRUNK_ENDPOINT: Final = "pstn"
