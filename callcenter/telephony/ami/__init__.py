"""The AMI adapter: one client, one function per action, events out as frozen dataclasses."""
