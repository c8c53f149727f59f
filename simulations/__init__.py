"""Simulations on virtual time (pacing tuning) and the simulated PBX that speaks AMI."""
