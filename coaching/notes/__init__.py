"""Session notes and couple notes: the coach's confidential record of a couple.

``policy`` decides who reads what (the one place for it); ``services`` loads, writes,
signs and searches; ``views`` are the coach's and admin's pages.
"""
