"""Emulator of Cadenya's agent-schedule API (seed 001, SDK 1.8.0); decisions the seed leaves open
are written down in README.md next to this file."""
