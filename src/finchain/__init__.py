"""finchain: a shared ledger for financial institutions."""

__version__ = "0.1.0"
