"""Regulation as code: rule sets in CEL that the chain enforces before a transaction executes."""
