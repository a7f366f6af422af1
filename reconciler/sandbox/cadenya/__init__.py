"""Emulator of Cadenya's agent-schedule API (API reference and SDK 1.8.0); decisions they leave open
are written down in README.md next to this file."""
