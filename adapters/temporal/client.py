"""Temporal client factory and the project's custom search attributes.

Every client (worker, API, CLI) uses the pydantic data converter so payloads round-trip as models, with the
payload codec of adapters/temporal/codec.py so nothing leaves the process unencrypted.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.runtime import LogForwardingConfig, LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.service import TLSConfig

from adapters.settings import Settings
from adapters.temporal.codec import EncryptionCodec, data_converter, load_or_create_key_file
from adapters.temporal.search_attributes import SEARCH_ATTRIBUTES


@lru_cache(maxsize=1)
def sdk_runtime() -> Runtime:
    """The process's Temporal runtime, with the Rust core's log lines forwarded to the stdlib logger
    ``temporalio.core`` so they pass through the same structlog pipeline as everything else."""
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(
                filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
            )
        )
    )


def _tls(settings: Settings) -> TLSConfig | bool:
    if not settings.temporal_tls:
        return False
    read = lambda p: p.read_bytes() if p else None  # noqa: E731
    return TLSConfig(
        server_root_ca_cert=read(settings.temporal_tls_ca_file),
        client_cert=read(settings.temporal_tls_cert_file),
        client_private_key=read(settings.temporal_tls_key_file),
        domain=settings.temporal_tls_server_name,
    )


async def connect(settings: Settings, *, address: str | None = None, lazy: bool = False) -> Client:
    """Connect a Temporal client with the pydantic converter, TLS and API key from settings.

    Args:
        settings: the process settings.
        address: overrides the configured address (tests).
        lazy: connect on first use instead of now (the API starts even while Temporal is down).

    Returns:
        A client; the caller owns it.
    """
    return await Client.connect(
        address or settings.effective_temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=converter_for(settings),
        tls=_tls(settings),
        api_key=settings.temporal_api_key,
        lazy=lazy,
        runtime=sdk_runtime(),
    )


def codec_for(settings: Settings) -> EncryptionCodec | None:
    """The payload codec the settings ask for (None: encryption off). A configured key file must exist; the
    development one is created on first use."""
    if not settings.payload_encryption:
        return None
    ring = load_or_create_key_file(settings.effective_payload_keys_file, create=settings.payload_keys_file is None)
    return EncryptionCodec(ring, settings.temporal_namespace)


def converter_for(settings: Settings) -> DataConverter:
    """Every client's converter: pydantic payloads, encrypted unless encryption is off."""
    return data_converter(codec_for(settings))


async def ensure_search_attributes(client: Client) -> list[str]:
    """Register any missing custom search attributes on an existing cluster (idempotent).

    Args:
        client: a connected client; its namespace is used.

    Returns:
        The names that were added.
    """
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    missing = {n: t for n, t in SEARCH_ATTRIBUTES.items() if n not in existing.custom_attributes}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    return sorted(missing)
