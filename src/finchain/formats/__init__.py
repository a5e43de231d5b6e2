"""Encodings shared by the chain and its off-chain libraries: did:finchain, multibase,
Multikey and JWK public keys, dateTimeStamp times. Below core: modules may use them."""
