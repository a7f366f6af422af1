"""Emulator of orq.ai's agent schedule API (the original revision `v3` and the current `display-name`)."""
