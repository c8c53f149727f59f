"""Phone surveys: definitions and their state machine (model), versions and answers (repository), uploaded
prompts (prompts), statistics (stats)."""
