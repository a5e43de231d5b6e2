"""Running CometBFT nodes: the ABCI process, its supervisor, local testnets."""
