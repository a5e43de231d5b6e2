"""Node assembly: configuration, engines, HTTP API."""
