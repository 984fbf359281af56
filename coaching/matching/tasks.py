"""Background tasks of the matching feature (imported by coaching.tasks)."""
