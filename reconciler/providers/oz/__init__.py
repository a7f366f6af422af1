"""Warp Oz: scheduled agents over `/agent/schedules`, ownership in `metadata`."""
