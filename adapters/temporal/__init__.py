"""Temporal adapters: the client, the payload codec, the custom search attributes."""
