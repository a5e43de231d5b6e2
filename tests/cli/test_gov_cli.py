"""``finchain gov`` and the governance half of ``finchain rules`` against a real solo node.

Steps: a member proposes a rule set's activation (``rules activate-proposal``): the
receipt names the proposal and the activation height → the member votes (``gov vote``)
→ ``gov show`` has the vote in its tally → a vote that is not yes/no/abstain is refused
before anything is sent, a non-member's vote by the chain (``gov:``), an unknown
proposal by ``gov show``; every receipt carries the result's ``info`` (the rule set that
judged the transaction).
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from finchain.cli.inprocess import LocalChain
from tests.inprocess_cli import Cli


@pytest.fixture
def cli(runner: CliRunner, api: LocalChain) -> Cli:
    return Cli(api, runner)


def test_a_member_proposes_and_votes_from_the_command_line(cli: Cli) -> None:
    proposed = cli.ok("rules", "activate-proposal", "1", "--height", "100000", "--from", "operator")
    assert proposed["code"] == 0 and proposed["info"] == "ruleset=0"
    assert proposed["activation_height"] == 100000 and proposed["height"] < 100000
    proposal = str(proposed["proposal_id"])
    voted = cli.ok("gov", "vote", proposal, "yes", "--from", "operator")
    assert voted["code"] == 0 and voted["option"] == "yes"
    shown = cli.ok("gov", "show", proposal)
    assert shown["status"] == "voting" and shown["tally"]["yes"] == 1
    assert shown["actions"][0]["msg"] == {
        "type": "compliance/activate",
        "height": 100000,
        "version": 1,
    }


def test_bad_votes_are_refused(cli: Cli) -> None:
    code, _, err = cli.run("gov", "vote", "1", "maybe", "--from", "operator")
    assert code != 0 and "yes, no or abstain" in err
    code, out, err = cli.run("gov", "vote", "1", "yes", "--from", "alice")
    assert code == 1 and "[gov:" in out + err
    code, out, err = cli.run("gov", "show", "999")
    assert code == 1 and "[gov:" in out + err
