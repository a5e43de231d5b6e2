"""evidence module: proof of existence of documents, by hash, signed by one or more parties."""
