"""Signed per-call tokens (libs/common/call_auth.py): what a token proves, and every way one is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from libs.common import call_auth
from libs.common.actor import Actor
from libs.common.call_auth import KeySet, Signer, Unauthenticated, Verifier
from libs.common.config import CallAuthSettings, ConfigError

OFFICE = Actor(user_id="7", name="王芳", role="office", unit_id="dcs", person_id="sv-wang")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, KeySet]:
    directory = tmp_path_factory.mktemp("keys")
    trusted = call_auth.write_keys(directory, [("gateway", True), ("tracking", False)])
    return directory, KeySet.load(trusted)


def signer(keys: tuple[Path, KeySet], issuer: str, people: bool = False, kid: str = "") -> Signer:
    return Signer.load(issuer, kid or f"{issuer}-1", keys[0] / f"{issuer}.pem", people)


def b64(data: str | bytes) -> str:
    return base64.urlsafe_b64encode(data.encode() if isinstance(data, str) else data).rstrip(b"=").decode()


def refused(verifier: Verifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as err:
        verifier.verify(token)
    return err.value.reason


def test_the_gateway_names_the_person_acting(keys) -> None:
    token = signer(keys, "gateway", people=True).token("ledger", OFFICE)
    assert Verifier(keys[1], "ledger").verify(token) == OFFICE


def test_a_service_acts_as_itself(keys) -> None:
    actor = Verifier(keys[1], "ledger").verify(signer(keys, "tracking").token("ledger"))
    assert actor == Actor(user_id="tracking", name="tracking", role="system")


def test_a_service_key_cannot_name_a_person(keys) -> None:
    # A tracking key may sign only as tracking, acting as itself: a forged person claim is refused.
    with pytest.raises(ValueError):
        signer(keys, "tracking").token("ledger", OFFICE)
    forged = signer(keys, "tracking", people=True).token("ledger", OFFICE)
    assert refused(Verifier(keys[1], "ledger"), forged) == "not_for_people"


def test_a_key_signs_only_for_its_own_issuer(keys) -> None:
    # tracking's key claiming to be the gateway (which may name people) is refused.
    forged = Signer("gateway", "tracking-1", signer(keys, "tracking").key, people=True).token("ledger", OFFICE)
    assert refused(Verifier(keys[1], "ledger"), forged) == "wrong_issuer"


def test_a_token_is_for_one_service(keys) -> None:
    token = signer(keys, "gateway", people=True).token("tracking", OFFICE)
    assert refused(Verifier(keys[1], "ledger"), token) == "wrong_audience"


def test_an_unknown_key_is_refused(keys, tmp_path: Path) -> None:
    stranger, _ = call_auth.generate("gateway", "gateway-1", people=True)  # same kid, other key
    assert refused(Verifier(keys[1], "ledger"), stranger.token("ledger", OFFICE)) == "invalid"
    other, _ = call_auth.generate("gateway", "gateway-9", people=True)
    assert refused(Verifier(keys[1], "ledger"), other.token("ledger", OFFICE)) == "unknown_key"


def test_expired_and_long_lived_tokens_are_refused(keys) -> None:
    gateway = signer(keys, "gateway", people=True)
    now = int(time.time())
    old = jwt.encode({"iss": "gateway", "aud": "ledger", "sub": "7", "iat": now - 120, "exp": now - 60},
                     gateway.key, algorithm="EdDSA", headers={"kid": "gateway-1"})
    assert refused(Verifier(keys[1], "ledger"), old) == "expired"
    long = jwt.encode({"iss": "gateway", "aud": "ledger", "sub": "7", "iat": now, "exp": now + 86400},
                      gateway.key, algorithm="EdDSA", headers={"kid": "gateway-1"})
    assert refused(Verifier(keys[1], "ledger"), long) == "too_long"


def test_other_algorithms_and_garbage_are_refused(keys) -> None:
    verifier = Verifier(keys[1], "ledger")
    now = int(time.time())
    claims = {"iss": "gateway", "aud": "ledger", "sub": "7", "iat": now, "exp": now + 60}
    # HS256 with the public key as the secret: the classic algorithm-confusion forgery, made by hand
    # (PyJWT itself refuses to sign it).
    public = signer(keys, "gateway").key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'kid': 'gateway-1'}))}.{b64(json.dumps(claims))}"
    mac = b64(hmac.new(public, signing_input.encode(), hashlib.sha256).digest())
    assert refused(verifier, f"{signing_input}.{mac}") == "invalid"
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": "gateway-1"})  # type: ignore[arg-type]
    assert refused(verifier, unsigned) == "invalid"
    assert refused(verifier, "not-a-token") == "invalid"


def test_roles_no_person_holds_are_refused(keys) -> None:
    token = signer(keys, "gateway", people=True).token("ledger", Actor(user_id="7", name="x", role="system"))
    assert refused(Verifier(keys[1], "ledger"), token) == "invalid"
    token = signer(keys, "gateway", people=True).token("ledger", Actor(user_id="7", name="x", role="superuser"))
    assert refused(Verifier(keys[1], "ledger"), token) == "invalid"


def test_a_service_without_a_trusted_set_does_not_start() -> None:
    with pytest.raises(ConfigError, match="DUBAN_CALL_TRUSTED_KEYS is required"):
        call_auth.verifier_for(CallAuthSettings("", "", ""), "ledger")
    with pytest.raises(ConfigError, match="DUBAN_CALL_TRUSTED_KEYS=/nonexistent"):
        call_auth.verifier_for(CallAuthSettings("/nonexistent/trusted.json", "", ""), "ledger")


def test_keygen_adds_to_the_trusted_set_and_rotates(tmp_path: Path) -> None:
    trusted = tmp_path / "trusted.json"
    for kid in ("gateway-2026-11", "gateway-2026-12"):
        assert call_auth.main(["keygen", "--issuer", "gateway", "--kid", kid, "--people",
                               "--private", str(tmp_path / f"{kid}.pem"), "--trusted", str(trusted)]) == 0
    keyset = KeySet.load(trusted)
    assert set(keyset.by_kid) == {"gateway-2026-11", "gateway-2026-12"}  # both valid during the rotation
    for kid in keyset.by_kid:
        token = Signer.load("gateway", kid, tmp_path / f"{kid}.pem", people=True).token("ledger", OFFICE)
        assert Verifier(keyset, "ledger").verify(token) == OFFICE
    assert (tmp_path / "gateway-2026-12.pem").stat().st_mode & 0o077 == 0


def test_a_verified_token_is_remembered_but_still_expires(keys, monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = signer(keys, "gateway", people=True)
    short = Signer(gateway.issuer, gateway.kid, gateway.key, people=True, seconds=1)
    verifier = Verifier(keys[1], "ledger")
    token = short.token("ledger", OFFICE)
    assert verifier.verify(token) == OFFICE and verifier.verify(token) == OFFICE  # the second from memory
    later = time.time() + 30
    monkeypatch.setattr(call_auth.time, "time", lambda: later)
    assert refused(verifier, token) == "expired"
    # A token that failed is not remembered as good: a tampered copy is checked, and refused.
    assert refused(verifier, token[:-2] + ("AA" if not token.endswith("AA") else "BB")) in ("invalid", "expired")


def test_a_caller_signs_once_per_second_per_audience_and_person(keys, monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = signer(keys, "gateway", people=True)
    signed: list[str] = []
    mint = Signer._mint
    def counting(self, *args):
        signed.append(args[0])
        return mint(self, *args)

    monkeypatch.setattr(Signer, "_mint", counting)
    now = [1_800_000_000.2]
    monkeypatch.setattr(call_auth.time, "time", lambda: now[0])
    first = gateway.token("ledger", OFFICE)
    assert gateway.token("ledger", OFFICE) == first and len(signed) == 1
    other = Actor(user_id="8", name="陈静", role="unit_staff", unit_id="fgj")
    assert gateway.token("ledger", other) != first and gateway.token("tracking", OFFICE) != first
    now[0] += 1
    assert gateway.token("ledger", OFFICE) != first
    assert signed == ["ledger", "ledger", "tracking", "ledger"]
