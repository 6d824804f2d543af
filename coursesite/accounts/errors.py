"""The refusal every account rule raises, whatever its topic."""
from __future__ import annotations


class AccountError(ValueError):
    """A request the account rules refuse; ``str(error)`` says why, for the person who made it."""
