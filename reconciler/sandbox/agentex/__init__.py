"""The Scale Agentex emulator: the original (legacy) Temporal schedules and the current run schedules."""
