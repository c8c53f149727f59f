"""The simulated SMS provider (``dialer sms-sim``): ``sms.sim.state`` decides, ``sms.sim.server`` speaks HTTP."""
