"""Billing's signals: how billing tells the packages above it that something happened, without importing them.

This is the one way a lower package informs a higher one (see docs/architecture.md): the lower package declares
blinker signals in its ``hooks.py`` and documents sender and keywords; the higher package writes receivers and
connects them in ``create_app``'s ``register_hook_receivers`` (organizations/hooks.py does so for these two).

Receivers run inside the fulfilment (or refund) transaction: they add rows to ``db.session`` and never commit, so a
seat licence exists exactly when its order is recorded as paid.
"""
from blinker import Namespace

_signals = Namespace()

seat_order_paid = _signals.signal("seat-order-paid")
"""A seat tier was paid. Sender: the ``Order``; keyword ``line``: its ``OrderLine`` (tier_code, quantity, access_days).
Receivers create the organisation's seat licence."""

seat_order_refunded = _signals.signal("seat-order-refunded")
"""A refund took seats back. Sender: the ``Order``; keywords ``line`` and ``seats_kept`` (seats still paid for).
Receivers shrink the seat licence (and revoke the surplus seats)."""
