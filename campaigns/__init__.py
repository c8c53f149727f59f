"""Campaigns, call lists and leads, list import, calling windows, retry policy, callbacks and eligibility."""
