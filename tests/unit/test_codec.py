"""The payload codec (issue 7 item 1): AES-256-GCM or SM4-GCM per key, key id in the metadata, rotation,
the namespace bound in, tampering refused, unencrypted payloads passed through, failures encoded too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.exceptions import ApplicationError

from adapters.temporal.codec import (
    ENCODING,
    KEY_ID,
    CodecError,
    EncryptionCodec,
    KeyRing,
    data_converter,
    load_or_create_key_file,
    new_key_ring,
)

PERSONAL = "张三丰 532302198001010015".encode()


def _payload(data: bytes = PERSONAL) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=data)


@pytest.mark.parametrize("cipher", ["aes-256-gcm", "sm4-gcm"])
async def test_a_payload_round_trips_and_nothing_of_it_is_left_in_the_clear(cipher: str) -> None:
    codec = EncryptionCodec(new_key_ring("k1", cipher), "default")  # type: ignore[arg-type]

    [sealed] = await codec.encode([_payload()])
    [opened] = await codec.decode([sealed])

    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata[KEY_ID] == b"k1"
    assert sealed.metadata["encryption-cipher"] == cipher.encode()
    assert PERSONAL not in sealed.SerializeToString()
    assert "json/plain".encode() not in sealed.SerializeToString(), "the inner metadata is encrypted too"
    assert opened == _payload()


async def test_two_encryptions_of_the_same_payload_differ() -> None:
    codec = EncryptionCodec(new_key_ring(), "default")
    a, b = await codec.encode([_payload(), _payload()])
    assert a.data != b.data


async def test_after_rotation_new_payloads_use_the_new_key_and_old_ones_still_decode() -> None:
    old_ring = new_key_ring("k1")
    [old] = await EncryptionCodec(old_ring, "default").encode([_payload()])
    rotated = old_ring.rotated("k2", "sm4-gcm")

    codec = EncryptionCodec(rotated, "default")
    [new] = await codec.encode([_payload()])

    assert new.metadata[KEY_ID] == b"k2"
    assert await codec.decode([old, new]) == [_payload(), _payload()]
    without_old = EncryptionCodec(KeyRing(active="k2", keys={"k2": rotated.keys["k2"]}), "default")
    with pytest.raises(CodecError, match="no key 'k1'"):
        await without_old.decode([old])


async def test_a_payload_from_another_namespace_or_tampered_with_does_not_decrypt() -> None:
    ring = new_key_ring()
    [sealed] = await EncryptionCodec(ring, "casework-532302").encode([_payload()])
    with pytest.raises(CodecError, match="does not decrypt"):
        await EncryptionCodec(ring, "casework-532331").decode([sealed])
    flipped = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(CodecError) as err:
        await EncryptionCodec(ring, "casework-532302").decode([flipped])
    assert "张三丰" not in str(err.value)


async def test_payloads_recorded_before_encryption_pass_through() -> None:
    codec = EncryptionCodec(new_key_ring(), "default")
    assert await codec.decode([_payload()]) == [_payload()]


async def test_failure_messages_and_stack_traces_are_encrypted_too() -> None:
    """Temporal's default failure converter leaves messages and stack traces in the clear; ours encodes them."""
    converter = data_converter(EncryptionCodec(new_key_ring(), "default"))
    try:
        raise ApplicationError("居民身份证号 532302198001010015 不符", type="invalid_input")
    except ApplicationError as err:
        failure = Failure()
        await converter.encode_failure(err, failure)

    wire = failure.SerializeToString()
    assert b"532302198001010015" not in wire and "身份证".encode() not in wire
    assert failure.message == "Encoded failure"
    assert failure.encoded_attributes.metadata["encoding"] == ENCODING


def test_the_development_key_file_is_created_private_and_a_configured_one_must_exist(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "payload-keys.json"
    ring = load_or_create_key_file(path, create=True)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_key_file(path, create=False) == ring
    assert json.loads(path.read_text())["active"] == ring.active
    with pytest.raises(FileNotFoundError):
        load_or_create_key_file(tmp_path / "missing.json", create=False)


def test_a_key_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="needs 16 bytes"):
        KeyRing.from_json(json.dumps({"active": "k", "keys": {"k": {"cipher": "sm4-gcm", "key": "AAAA"}}}))
