"""The dialer engine: AMI adapter, call and agent state machines, hopper, runners, router, the clock."""
