"""Background tasks of the intake feature (imported by coaching.tasks)."""
