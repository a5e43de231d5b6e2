"""Anti-money-laundering: sanctions lists and travel-rule records (docs/regulation/aml.md)."""
