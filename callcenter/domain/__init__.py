"""The domain: pure Python, no I/O. Calendar, routing, tickets and statistics live here."""
