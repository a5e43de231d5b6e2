"""Events: what happened in a transaction or block, for indexers and subscribers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    """A typed event with attributes in a fixed order (built by each module's events.py)."""

    type: str
    attributes: tuple[tuple[str, str], ...]

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.type, "attributes": [[k, v] for k, v in self.attributes]}

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Event:
        return cls(obj["type"], tuple((str(k), str(v)) for k, v in obj["attributes"]))

    def get(self, name: str) -> str | None:
        for key, value in self.attributes:
            if key == name:
                return value
        return None
