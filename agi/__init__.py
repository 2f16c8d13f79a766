"""Everything Asterisk reaches through AGI: one module per FastAGI route, and classic fallbacks."""
