"""SMS templates, providers and opt-outs (built by a later issue)."""
