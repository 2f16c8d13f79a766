"""Telephony adapters: the only modules that import panoramisk, pyst2 or vosk."""
