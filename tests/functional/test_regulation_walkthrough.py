"""docs/regulation.md's walk-through, command for command, against a real ``finchain dev`` process.

Steps: read the walk-through block and the ``finchain dev`` line from the page →
start the dev chain with that line (a temporary home, a free port) → wait for
its own governance proposal 1, as the page tells the reader → run
every line of the block in order through bash, with the banner's exports; a
line marked ``# refused: CODE`` must fail with that code, every other line
must succeed → check what each step should have done: the rule set active
from its height, which deposits raised which alert, each refusal's rule and
``info``, the freeze taking both officers, the regulator's signed view and a
non-regulator refused, the reports from the SQL index,
and every CNY balance the walk-through moved.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.functional.test_finance_walkthrough import Shell, start_dev, stop
from tests.support import TIMEOUT_FACTOR, free_port, wait_until

pytestmark = pytest.mark.functional
PAGE = Path(__file__).parents[2] / "docs" / "regulation.md"
REFUSED = re.compile(r"\s+# refused: (\w+:\d+)$")
DAY = "--from 2027-03-01T00:00:00+08:00 --to 2027-03-02T00:00:00+08:00"


def walkthrough() -> tuple[list[str], list[str]]:
    """The ``finchain dev`` command and the walk-through's lines, as the page spells them."""
    text = PAGE.read_text()
    (dev,) = re.findall(r"^finchain dev .*$", text, re.M)
    (block,) = re.findall(r'```sh title="walk-through"\n(.*?)```', text, re.S)
    lines = [line for line in block.splitlines() if line and not line.startswith("#")]
    return dev.split(), lines


class Transcript:
    """What each line of the walk-through printed, found by a piece of the line."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, str]] = []

    def add(self, line: str, output: str) -> None:
        self.runs.append((line, output))

    def of(self, fragment: str, occurrence: int = 0) -> str:
        found = [output for line, output in self.runs if fragment in line]
        assert len(found) > occurrence, f"no line {occurrence + 1} containing {fragment!r}"
        return found[occurrence]


def query(url: str, path: str, **params: str) -> Any:
    answer = httpx.get(f"{url}/v1/query/{path}", params=params, timeout=10)
    answer.raise_for_status()
    return answer.json()["value"]


def proposal_exists(url: str, proposal_id: int) -> bool:
    answer = httpx.get(
        f"{url}/v1/query/gov/proposal", params={"proposal_id": str(proposal_id)}, timeout=10
    )
    return answer.status_code == 200


def chain_state(url: str) -> str:
    """For a failure message: the height, and how the activation proposal (2) ended."""
    height = httpx.get(f"{url}/v1/status", timeout=10).json()["height"]
    answer = httpx.get(f"{url}/v1/query/gov/proposal", params={"proposal_id": "2"}, timeout=10)
    proposal = answer.json().get("value", {}) if answer.status_code == 200 else {}
    keep = ("status", "submit_height", "execute_at", "failure")
    return f"\n[chain at height {height}; proposal 2: { ({k: proposal.get(k) for k in keep}) }]"


def cny_units(url: str, account: str) -> int:
    answer = httpx.get(f"{url}/v1/accounts/{account}/balances/CNY", timeout=10)
    answer.raise_for_status()
    return int(answer.json()["value"]["amount"])


def csv_rows(text: str) -> list[dict[str, str]]:
    """The alert rows of a CSV report: the part before the first statistics table."""
    rows = text.split("\n\n", 1)[0]
    return list(csv.DictReader(io.StringIO(rows)))


def test_the_regulation_walkthrough_runs_as_written(tmp_path: Path) -> None:
    started = time.monotonic()
    dev, lines = walkthrough()
    assert len(lines) >= 25, "the walk-through block was not found whole"
    home, work = tmp_path / "reg-demo", tmp_path / "work"
    work.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_dev(dev, home, port, tmp_path / "dev.log")
    transcript = Transcript()
    try:
        # the page: once `finchain gov show 1` answers (the dev chain's own proposal)
        wait_until(lambda: proposal_exists(url, 1), timeout=60, what="the dev chain's proposal 1")
        shell = Shell(work, url, home)
        shell.env["FINCHAIN_INDEX_DB"] = f"sqlite://{home / 'index.db'}"
        names = ("operator", "alice", "bob", "carol", "regulator")
        ids = {name: shell.json(f"finchain account show {name}")["id"] for name in names}
        before = {name: cny_units(url, ids[name]) for name in names}
        for line in lines:
            refused = REFUSED.search(line)
            done = shell.run(line)
            output = done.stdout + done.stderr
            transcript.add(line, output)
            if refused is None:
                assert done.returncode == 0, f"`{line}` failed:\n{output}{chain_state(url)}"
            else:
                assert done.returncode == 1 and f"[{refused.group(1)}]" in output, (
                    f"`{line}` should be refused with {refused.group(1)}:\n{output}"
                    + chain_state(url)
                )
        after = {name: cny_units(url, ids[name]) for name in names}
        ruleset = query(url, "compliance/ruleset", version="1")
        intervention = query(url, "interventions/intervention", id="1")
        carol = shell.json("finchain account show carol")
        report = shell.run(f"finchain index report structuring {DAY} --format json")
        assert report.returncode == 0, report.stderr
        structuring = json.loads(report.stdout)
    finally:
        stop(process)
    elapsed = time.monotonic() - started

    # 1-3: published by the regulator, active from the height governance chose; before
    # it, no rule judged (ruleset=0)
    assert ruleset["publisher"] == ids["regulator"] and len(ruleset["rules"]) == 8
    assert ruleset["status"] == "active" and ruleset["activation_height"] == 40
    assert "ruleset=0" in transcript.of("transfer operator 1000.00", 0)
    # 4: the same payment after activation: the travel rule, named with its rule set
    travel = transcript.of("transfer operator 1000.00", 1)
    assert "rule travel_rule.cny of rule set 1" in travel and "ruleset=1" in travel
    # 5: 49,999.99 is not reported, 50,000.00 is (the receipt kept for step 9)
    assert "compliance_alert" not in transcript.of("49999.99 --to alice")
    deposit = json.loads((work / "cash-50000.json").read_text())
    alerts = [e for e in deposit["events"] if e["type"] == "compliance_alert"]
    assert [dict(e["attributes"])["rule"] for e in alerts] == ["large_value.cash.cny"]
    assert deposit["info"] == "ruleset=1"
    # 6: carol's third deposit of 19,000.00 raises structuring (and Art. 5's cumulative cash)
    deposits = [transcript.of("19000.00 --to carol", n) for n in range(3)]
    assert ["structuring.cny" in out for out in deposits] == [False, False, True]
    assert ["large_value.cash.cny" in out for out in deposits] == [False, False, True]
    # 7: the regulated asset to an unverified identity, refused with its reason
    unverified = transcript.of("100.00 FUND --from alice")
    assert "rule verified_identity of rule set 1" in unverified
    assert "the recipient must hold a verified identity" in unverified
    # 8: the sanctions hit names the list version in the result's info
    hit = transcript.of("transfer bob 500.00")
    assert "rule sanctions of rule set 1" in hit and "ruleset=1;sanctions=1" in hit
    # 9: tx show of a committed tx: its rule set and its alert
    shown = transcript.of("finchain tx show")
    assert "ruleset=1" in shown and "large_value.cash.cny" in shown
    # 10: one approval did nothing (carol paid), the second froze her account
    assert intervention["status"] == "in_effect" and len(intervention["approvals"]) == 2
    assert {a["officer"] for a in intervention["approvals"]} == {ids["regulator"], ids["operator"]}
    assert intervention["legal_basis"] and intervention["order_hash"]
    assert carol["status"] == "frozen"
    # 11: the regulator's view: the DID's holdings (the operator's CNY, alice's payment
    # included), carol's account with its freeze; alice's signed request refused
    assert str(before["operator"] + 100_000) in transcript.of("finchain regulator did")
    seen = transcript.of("regulator account carol --from regulator")
    assert "freeze_account" in seen and "in_effect" in seen
    # 12: the reports from the SQL index
    large = csv_rows((work / "large_value.csv").read_text())
    assert sorted((r["counterparty"], r["amount"]) for r in large) == sorted(
        [(ids["bob"], "5000000"), (ids["carol"], "1900000")]
    )
    assert {r["rule"] for r in large} == {"large_value.cash.cny"}
    assert (work / "structuring.pdf").read_bytes().startswith(b"%PDF")
    assert [(a["rule"], a["counterparty"], str(a["amount"])) for a in structuring["rows"]] == [
        ("structuring.cny", ids["carol"], "1900000")
    ]
    # every CNY movement: the payment before activation, the deposits, carol's 10.00
    # before the freeze; nothing refused moved anything
    assert after["alice"] - before["alice"] == -100_000 + 4_999_999 + 1_000
    assert after["operator"] - before["operator"] == 100_000
    assert after["bob"] - before["bob"] == 5_000_000
    assert after["carol"] - before["carol"] == 3 * 1_900_000 - 1_000
    assert after["regulator"] == before["regulator"]
    assert elapsed < 150 * TIMEOUT_FACTOR, f"the walk-through took {elapsed:.0f} s"
