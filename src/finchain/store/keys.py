"""The store's key layout in the shared RocksDB: the only place its keys are spelled.

Every subsystem shares one :class:`~finchain.store.db.Database` so that a block
commits in one atomic write batch; they stay apart by the first byte of the key:

==========  =========================================  ====================================
prefix      key                                        value
==========  =========================================  ====================================
``sn``      ``sn ‖ version(8) ‖ nibble path``          internal tree node (``smt`` format)
``sr``      ``sr ‖ version(8)``                        root of that version (a child record)
``sl``      ``sl ‖ key``                               latest committed value of ``key``
``sh``      ``sh ‖ H(key) ‖ ~version(8)``              ``01 ‖ value`` or ``00`` (deleted)
``sx``      ``sx ‖ version(8)``                        nodes that became stale at version
``sy``      ``sy ‖ version(8)``                        value versions that became stale
``sm``      ``sm``                                     state meta (version, first, oldest, hash)
``bb``      ``bb ‖ height(8)``                         block bytes
``bt``      ``bt ‖ tx id``                             ``height(8) ‖ index(4)``
``bm``      ``bm``                                     last block height (8)
``a``       anything                                   reserved for application metadata
==========  =========================================  ====================================

Integers are unsigned big-endian, so byte order is numeric order. ``~version``
is ``2^64 - 1 - version``: a key's history sorts newest first and
``get_at(key, v)`` is one seek to ``sh ‖ H(key) ‖ ~v``. A nibble path is one
byte (0-15) per nibble.
"""

from __future__ import annotations

U64_MAX = (1 << 64) - 1

NODE = b"sn"
ROOT = b"sr"
LATEST = b"sl"
HISTORY = b"sh"
STALE_NODES = b"sx"
STALE_VALUES = b"sy"
STATE_META = b"sm"

BLOCK = b"bb"
TX_INDEX = b"bt"
BLOCK_META = b"bm"

APP_PREFIX = b"a"


def u64(n: int) -> bytes:
    return n.to_bytes(8, "big")


def node_key(version: int, path: bytes) -> bytes:
    return NODE + version.to_bytes(8, "big") + path


def root_key(version: int) -> bytes:
    return ROOT + version.to_bytes(8, "big")


def latest_key(key: bytes) -> bytes:
    return LATEST + key


def history_key(key_hash: bytes, version: int) -> bytes:
    return HISTORY + key_hash + (U64_MAX - version).to_bytes(8, "big")


def stale_nodes_key(version: int) -> bytes:
    return STALE_NODES + version.to_bytes(8, "big")


def stale_values_key(version: int) -> bytes:
    return STALE_VALUES + version.to_bytes(8, "big")


def block_key(height: int) -> bytes:
    return BLOCK + height.to_bytes(8, "big")


def tx_index_key(tx_id: bytes) -> bytes:
    return TX_INDEX + tx_id
