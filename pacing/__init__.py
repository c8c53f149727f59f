"""Queueing maths, online estimators and pacers: how many calls to place now (pure; imports nothing of ours)."""
