"""Emulator of TBD Agents' scheduled-agents API (`/api/scheduled-agents`), as the server code has it."""
