"""Emulator of orq.ai's agent schedule API (seed revision `v3` and the current `display-name`)."""
