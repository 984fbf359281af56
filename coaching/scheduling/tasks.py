"""Background tasks of the scheduling feature (imported by coaching.tasks)."""
