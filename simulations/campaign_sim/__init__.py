"""Discrete-event campaign simulator on virtual time: runs any pacer through the pacer contract.

Modules: ``scenario`` (what to simulate, loaded from TOML), ``engine`` (the event loop, ``simulate``),
``records`` (immutable per-call and per-shift records), ``metrics`` (figures computed from the records),
``compare`` (pacers x seeds, table, CSV and PNG plots). Customers come from ``simulations.call_model``.
Run it with ``dialer simulate simulations/scenarios/*.toml``.
"""
