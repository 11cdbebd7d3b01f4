"""The key ring's batch helpers give exactly what the one-value ones give."""

from __future__ import annotations

import base64
import json
import os

import pytest

from branchdesk.platform.crypto import DataKeyRing


def _ring(hash_key: str) -> DataKeyRing:
    keys = {"current": "k1", "keys": {"k1": base64.b64encode(os.urandom(32)).decode()}}
    return DataKeyRing.parse(json.dumps(keys), hash_key)


# a short key, one of a SHA-256 block exactly, one longer than a block (hashed first), one not ASCII
@pytest.mark.parametrize("hash_key", ["tests-hash-key-16", "k" * 64, "x" * 100, "部署的哈希密钥-tests-hash-key"])
def test_digest_many_is_the_keyed_hash_of_each_value(hash_key):
    # given a ring and values with a gap, an empty text and non-ASCII text
    ring = _ring(hash_key)
    values = ["+8613812345678", None, "北京市人民路1号", "", "110105194912310025"]
    # when they are hashed in one batch, under two purposes
    for purpose in ("client.phone", "client.address"):
        # then each is what digest gives it alone (HMAC-SHA256 of purpose, NUL, value)
        assert ring.digest_many(purpose, values) == [ring.digest(purpose, v) for v in values]
    assert ring.digest_many("client.phone", values[:1]) != ring.digest_many("client.address", values[:1])


def test_seal_many_opens_to_each_value():
    ring = _ring("tests-hash-key-16")
    values = ["13812345678", None, "上海市南京西路8号"]
    sealed = ring.seal_many("client.phone", values)
    assert [ring.open("client.phone", s) for s in sealed] == values
