"""A solo node from a node's home: the validator key, the settings, the signing record.

The solo engine (``finchain.engines.solo``) knows nothing of homes and config
files; this is where ``HOME/config.toml``, ``HOME/genesis.json``, the keystore
and ``HOME/validator_state.json`` become its arguments.
"""

from __future__ import annotations

from pathlib import Path

from finchain.chain import AppFactory, FinchainApp
from finchain.engines.solo.node import SoloClock, SoloNode, SoloSettings, validator_entry
from finchain.engines.solo.signstate import FILE_NAME as SIGN_STATE_FILE
from finchain.node.config import NodeConfig
from finchain.node.errors import ErrValidatorKey
from finchain.node.home import Home

__all__ = ["open_solo_node"]


def open_solo_node(
    home: Home | Path,
    *,
    config: NodeConfig | None = None,
    instant: bool | None = None,
    block_interval: float | None = None,
    passphrase_file: Path | None = None,
    app_factory: AppFactory = FinchainApp,
    clock: SoloClock | None = None,
) -> SoloNode:
    """The solo node of ``home``, not started; keyword arguments override config.toml.

    Refuses a validator key that is not the single validator of genesis.json.
    ``app_factory`` builds the application (``FinchainApp``, or a composition of
    one's own: docs/writing-a-module.md).
    """
    home = home if isinstance(home, Home) else Home(Path(home))
    home.require()
    config = config or home.config()
    genesis = home.genesis()
    key = home.validator_key(passphrase_file)
    declared = [v.get("pub_key") for v in genesis.validators]
    if declared != [validator_entry(key)["pub_key"]]:
        raise ErrValidatorKey(
            "the validator key in the keystore is not the single validator named in genesis.json"
        )
    settings = SoloSettings(
        instant=config.solo.instant if instant is None else instant,
        block_interval=block_interval or config.solo.block_interval,
        mempool_max_txs=config.solo.mempool_max_txs,
        mempool_max_bytes=config.solo.mempool_max_bytes,
        clock=clock or SoloClock(),
    )
    app = app_factory(home.data_dir, keep_recent=config.storage.keep_recent)
    try:
        app.init_chain(genesis)
    except BaseException:
        app.close()
        raise
    return SoloNode(app, genesis, key, settings=settings, sign_state=home.path / SIGN_STATE_FILE)
