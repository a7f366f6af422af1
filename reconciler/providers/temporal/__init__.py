"""Temporal: schedules over the HTTP API of a Temporal server (self-hosted, or the dev server)."""
