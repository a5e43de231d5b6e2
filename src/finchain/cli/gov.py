"""``finchain gov``: a governance member's vote, and a proposal's record (docs/governance.md).

Commands that need governance (``rules activate-proposal``, …) only submit a
proposal; it passes when the members vote for it. ``vote`` casts a member's
vote, ``show`` reads the proposal: status, tally, heights, actions.
"""

from __future__ import annotations

from typing import Annotated

import typer

from finchain.cli.output import CliError
from finchain.cli.txflags import NodeOptions, TxOptions, query_command, tx_command
from finchain.client import builders as b

app = typer.Typer(help="Governance: vote on proposals, read them.", no_args_is_help=True)

IdArg = Annotated[int, typer.Argument(help="the proposal id", min=1)]
OPTIONS = ("yes", "no", "abstain")


@tx_command(app, "vote")
def vote(
    proposal_id: IdArg,
    option: Annotated[str, typer.Argument(help="yes, no or abstain")],
    *,
    tx: TxOptions,
) -> None:
    """Vote OPTION on PROPOSAL_ID as a member (a later vote replaces an earlier one)."""
    if option not in OPTIONS:
        raise CliError(f"the vote must be yes, no or abstain, not {option!r}")
    with tx.session() as s:
        receipt = s.send(b.vote(proposal_id, option))
    tx.report(receipt, {"proposal_id": proposal_id, "option": option, "voter": s.account})


@query_command(app, "show")
def show(proposal_id: IdArg, *, q: NodeOptions) -> None:
    """PROPOSAL_ID: title, actions, status, tally (as it stands while voting) and the
    heights voting ends and it executes."""
    with q.connect() as client:
        params = {"proposal_id": str(proposal_id)}
        found = client.query("gov/proposal", params).value
        if found.get("tally") is None:  # recorded at the close; until then, the running count
            found["tally"] = client.query("gov/tally", params).value
    q.emit(found, title=f"proposal #{proposal_id}")


__all__ = ["app"]
