"""Recurring sessions: a series of holds placed together, paid together, cancelled one by one."""
