"""The Scale Agentex emulator: the seed's legacy Temporal schedules and the current run schedules."""
