"""Emulator of Warp Oz's scheduled-agents API (`/agent/schedules`), as `oz-agent-sdk` 0.15.0 speaks it."""
