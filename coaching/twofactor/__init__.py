"""Second factor at sign-in: TOTP codes (an authenticator app) and one-time recovery codes.

Coaches and admins must use it; clients may turn it on. Passing it is recorded on the sign-in's
``LoginSession`` row (``second_factor_at``), and the user loader refuses a sign-in that needs it
and has not passed it (``coaching.accounts.services.user_for_login_session``).
"""
