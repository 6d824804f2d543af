"""Amounts of money as people read them. Amounts are stored everywhere as integer cents with a currency code."""
from __future__ import annotations

CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}


def format_money(cents: int, currency: str = "usd") -> str:
    """``$265`` / ``$135.50``; a currency without a known symbol is named after the amount (``5 CHF``)."""
    symbol = CURRENCY_SYMBOLS.get(currency, "")
    amount = f"{cents / 100:,.2f}".removesuffix(".00")
    return f"{symbol}{amount}" if symbol else f"{amount} {currency.upper()}"
