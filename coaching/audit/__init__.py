"""The access log: an append-only record of who read or changed what in a couple's record.

Other features call ``coaching.audit.services.record`` inside their own transaction.
"""
