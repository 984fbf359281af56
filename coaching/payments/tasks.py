"""Background tasks of the payments feature (imported by coaching.tasks)."""
