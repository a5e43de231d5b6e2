"""Sanctions lists as a state machine: random chunks, seals (right and wrong) and discards by
regulators and non-regulators, through real blocks, against a plain model.

After every step: each account's ``listed_version`` is the model's, the active and draft
versions agree, the module's invariant holds, and a refused transaction changed no
aml state and failed with the code the model expects.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from finchain.client import aml_builders as amlb
from finchain.codec import RawMsg
from finchain.errors import ErrorCode
from finchain.modules.accounts.types import account_id
from finchain.modules.aml.errors import (
    ErrBadVersion,
    ErrEntryOrder,
    ErrNotPublisher,
    ErrNotRegulator,
    ErrSealMismatch,
    ErrUnknownList,
)
from finchain.modules.aml.types import list_hash
from tests.aml.test_aml_module import World
from tests.modules.test_governance import code, make_gov

POOL = sorted((account_id(n) for n in range(900, 910)), key=str.encode)
who = st.sampled_from([2, 3, 5])  # 2 and 3 are regulators, 5 is not
versions = st.integers(0, 2)  # offset from the next version / the draft


@dataclass
class Draft:
    version: int
    publisher: int
    entries: list[str] = field(default_factory=list)


class ListMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="finchain-aml-sm-"))
        self.world = World(make_gov(self.dir))
        self.next = 1
        self.draft: Draft | None = None
        self.active = 0
        self.lists: dict[int, set[str]] = {}

    def send(self, sender: int, msg: RawMsg, error: ErrorCode | None) -> bool:
        before = self.world.state()
        result = self.world.send(sender, msg)
        assert code(result) is error, (error, result.codespace, result.code, result.log)
        if error is not None:
            assert self.world.state() == before
        return error is None

    def _target(self, offset: int) -> int:
        base = self.draft.version if self.draft else self.next
        return base + offset

    @rule(sender=who, offset=versions, picked=st.sets(st.sampled_from(POOL), min_size=1))
    def add(self, sender: int, offset: int, picked: set[str]) -> None:
        version, chunk = self._target(offset), sorted(picked, key=str.encode)
        error: ErrorCode | None = None
        if sender == 5:
            error = ErrNotRegulator
        elif self.draft is None:
            error = None if version == self.next else ErrBadVersion
        elif version != self.draft.version:
            error = ErrBadVersion
        elif self.draft.publisher != sender:
            error = ErrNotPublisher
        elif self.draft.entries and chunk[0].encode() <= self.draft.entries[-1].encode():
            error = ErrEntryOrder
        if self.send(sender, amlb.list_add(version, chunk), error):
            if self.draft is None:
                self.draft = Draft(version, sender)
                self.next += 1
            self.draft.entries += chunk

    @rule(sender=who, offset=versions, right=st.booleans(), empty=st.booleans())
    def seal(self, sender: int, offset: int, right: bool, empty: bool) -> None:
        version = self._target(offset)
        claimed = [] if empty else (self.draft.entries if self.draft else [])
        if not right:
            claimed = [*claimed, POOL[0]] if POOL[0] not in claimed else claimed[1:]
        digest = list_hash("sha256", claimed)
        error: ErrorCode | None
        opening = self.draft is None and not claimed
        if sender == 5:
            error = ErrNotRegulator
        elif opening:
            error = None if version == self.next else ErrBadVersion
        elif self.draft is None or version != self.draft.version:
            error = ErrUnknownList
        elif self.draft.publisher != sender:
            error = ErrNotPublisher
        else:
            error = None if claimed == self.draft.entries else ErrSealMismatch
        if self.send(sender, amlb.list_seal(version, len(claimed), digest), error):
            if opening:
                self.next += 1
            self.lists[version] = set(claimed)
            self.active, self.draft = version, None

    @rule(sender=who, offset=versions)
    def discard(self, sender: int, offset: int) -> None:
        version = self._target(offset)
        error: ErrorCode | None = None
        if sender == 5:
            error = ErrNotRegulator
        elif self.draft is None or version != self.draft.version:
            error = ErrUnknownList
        if self.send(sender, amlb.list_discard(version), error):
            self.draft = None

    @invariant()
    def agrees_with_the_model(self) -> None:
        if not hasattr(self, "world"):
            return
        app = self.world.app
        assert app.aml.active_list_version(app.state) == self.active
        assert app.aml.draft_version(app.state) == (self.draft.version if self.draft else None)
        assert app.aml.next_version(app.state) == self.next
        listed = self.lists.get(self.active, set())
        for entry in POOL:
            expected = self.active if entry in listed else None
            assert app.aml.listed_version(app.state, entry) == expected
        assert app.check_invariants() == []

    def teardown(self) -> None:
        if hasattr(self, "world"):
            self.world.app.close()
            shutil.rmtree(self.dir, ignore_errors=True)


ListMachine.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestListMachine = ListMachine.TestCase
