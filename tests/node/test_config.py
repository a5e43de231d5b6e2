"""config.toml: every mistake names the file, the key and what is allowed; nothing starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from finchain.errors import FinchainError
from finchain.node.api import ApiLimits
from finchain.node.config import DEFAULT_CONFIG, load_config
from finchain.node.errors import ErrConfig
from finchain.node.server import limits_from


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_default_config_parses_to_defaults(tmp_path):
    config = load_config(write(tmp_path, DEFAULT_CONFIG))
    assert (
        config.api.port == 8640
        and config.solo.block_interval == 1.0
        and config.node.engine == "solo"
    )


def test_api_deadlines_reach_the_served_limits(tmp_path):
    text = (
        "[api]\nmax_uploads = 8\nhead_timeout = 2\nbody_timeout = 3.5\nbody_min_rate = 2048\n"
        "max_connections = 300\n"
    )
    limits = limits_from(load_config(write(tmp_path, text)))
    assert (limits.max_uploads, limits.head_timeout, limits.body_timeout) == (8, 2.0, 3.5)
    assert limits.max_connections == 300
    assert limits.body_min_rate == 2048 and isinstance(limits.head_timeout, float)
    assert limits_from(load_config(write(tmp_path, DEFAULT_CONFIG))) == ApiLimits()


def test_missing_file_means_defaults(tmp_path):
    assert load_config(tmp_path / "absent.toml").api.listen == "127.0.0.1:8640"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[api\nlisten=1", "not valid TOML"),
        ("[mystery]\nx = 1\n", "unknown section [mystery]"),
        ("[api]\nport = 1\n", "unknown key api.port"),
        ('[api]\nmax_batch = "10"\n', "key api.max_batch must be int"),
        ("[api]\nmax_batch = 0\n", "key api.max_batch must be greater than 0"),
        ('[node]\nengine = "raft"\n', "allowed: solo, cometbft"),
        ('[node]\nlog_format = "xml"\n', "allowed: text, json"),
        ('[api]\nlisten = "localhost"\n', "api.listen must be host:port"),
        ('[api]\nlisten = "127.0.0.1:99999"\n', "api.listen must be host:port"),
        ("[storage]\nkeep_recent = -1\n", "storage.keep_recent must be 0"),
        ("[solo]\ninstant = 1\n", "solo.instant must be bool"),
        ("[api]\nmax_uploads = 0\n", "key api.max_uploads must be greater than 0"),
        ("[api]\nmax_connections = 0\n", "key api.max_connections must be greater than 0"),
        ("[api]\nmax_connections = 5000000\n", "key api.max_connections must be at most"),
        ("[api]\nhead_timeout = 0\n", "key api.head_timeout must be greater than 0"),
        ("[api]\nhead_timeout = 3600\n", "key api.head_timeout must be at most 300"),
        ('[api]\nbody_timeout = "10s"\n', "key api.body_timeout must be float"),
        ("[api]\nbody_timeout = -1.5\n", "key api.body_timeout must be greater than 0"),
        ("[api]\nbody_min_rate = 10\n", "key api.body_min_rate must be at least 1024"),
        ("[api]\nbody_min_rate = 1.5e5\n", "key api.body_min_rate must be int"),
    ],
)
def test_errors_name_file_key_and_allowed_values(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(FinchainError) as err:
        load_config(path)
    assert ErrConfig.matches(err.value)
    assert str(path) in err.value.message and expected in err.value.message
