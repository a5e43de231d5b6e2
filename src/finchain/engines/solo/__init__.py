"""The solo engine: one validator key producing blocks in-process.

The node (``node``), its mempool, signed headers and the signing record.
"""
