"""What the couple takes home after a session: the coach's summary and homework, each
partner's ticks and reflections. Pure rules live in ``rules``; ``services`` loads and saves."""
