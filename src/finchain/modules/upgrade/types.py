"""An upgrade plan: which upgrade (by name), at which height, and what operators should know."""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.fields import Integer, Record, Text, wire

#: Upgrade names: what a version registers its handler under (e.g. "v2-evidence-index").
NAME = Text(max_len=64, pattern=r"[a-z0-9][a-z0-9._-]{0,63}", what="an upgrade name")
HEIGHT = Integer(low=1, high=2**63 - 1)


@dataclass(frozen=True, slots=True)
class Plan(Record):
    WHAT = "upgrade plan"
    name: str = wire(NAME)
    height: int = wire(HEIGHT)
    info: str = wire(Text(max_len=1024, allow_empty=True), default="")
