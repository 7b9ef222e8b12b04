"""docs/event.schema.json agrees with the project's validator on every contract fixture.

The validator's verdict on each case is the `expect` of Tests/Fixtures/contract/cases.jsonl
(and `apply` for the seven example files); ContractCasesTests (Swift) checks that the validator
gives exactly these verdicts. Here, `jsonschema` must accept exactly the cases the validator
accepts, except the cases of rules a JSON Schema cannot express, named one by one below, each
of which must be accepted by the schema *and* rejected by the validator with its reason.
"""
import base64
import json
import pathlib

import jsonschema
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures" / "contract"
SCHEMA = json.loads((ROOT / "docs" / "event.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

# Fixture cases the schema accepts although the worker rejects them: the rules the schema's
# description lists as not expressible, with the reason code the worker gives.
EXPECTED_EXCEPTIONS = {
    "order event on payments": "wrong_topic",        # (3) the topic is not in the value
    "key differs from order_id": "key_mismatch",     # (2) the key is not in the value
    "no key": "key_mismatch",                        # (2)
    "value over 1 MiB": "too_large",                 # (4) a schema sees no bytes
    "total off by one": "total_mismatch",            # (1) a sum over the items
    "total_cents 3098.0": "invalid_field",           # (5) integers are compared by value
    "items sum overflows Int64": "total_mismatch",   # (1) a sum over the items, past 64 bits
    "lone surrogate escape in customer_id": "malformed",  # (6) Python's parser accepts it; the worker's does not
}


def _strict_constant(name):
    raise ValueError(f"{name} is not JSON")


def parse(value: bytes):
    """Strict JSON (what a schema validator is given): UTF-8 only, no NaN/Infinity."""
    return json.loads(value.decode("utf-8", errors="strict"), parse_constant=_strict_constant)


def build(case):
    """The value of a case stored by recipe (`build`) instead of bytes."""
    assert case["build"].startswith("order.created.json with data.note set to 1,048,576 'x' characters"), case["build"]
    event = json.loads((FIXTURES / "order.created.json").read_text())
    event["data"]["note"] = "x" * 1_048_576
    return json.dumps(event).encode()


def load_cases():
    cases = []
    for line in (FIXTURES / "cases.jsonl").read_text().splitlines():
        if line.strip():
            case = json.loads(line)
            value = base64.b64decode(case["value_b64"]) if case["value_b64"] is not None else build(case)
            cases.append((case["name"], value, case["expect"]))
    for path in sorted(FIXTURES.glob("*.json")):
        cases.append((path.name, path.read_bytes(), "apply"))
    return cases


CASES = load_cases()


def schema_accepts(value: bytes) -> bool:
    try:
        document = parse(value)
    except (UnicodeDecodeError, ValueError):
        return False
    return VALIDATOR.is_valid(document)


def test_the_schema_is_a_valid_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_example_file_and_every_reason_is_covered():
    reasons = {expect for _, _, expect in CASES}
    assert {"apply", "malformed", "unsupported_version", "unknown_event_type", "wrong_topic", "invalid_field",
            "key_mismatch", "invalid_amount", "invalid_currency", "total_mismatch", "too_large"} <= reasons
    assert len([c for c in CASES if c[0].endswith(".json")]) == 7


@pytest.mark.parametrize("name,value,expect", CASES, ids=[c[0] for c in CASES])
def test_schema_agrees_with_the_validator(name, value, expect):
    accepted = schema_accepts(value)
    if name in EXPECTED_EXCEPTIONS:
        assert expect == EXPECTED_EXCEPTIONS[name], f"{name}: the validator says {expect}"
        assert accepted, f"{name} is a named exception, but the schema rejects it: drop it from the list"
    else:
        assert accepted == (expect == "apply"), f"{name}: schema {'accepts' if accepted else 'rejects'}, validator says {expect}"


def test_named_exceptions_exist_and_are_listed_in_the_description():
    names = {c[0] for c in CASES}
    assert set(EXPECTED_EXCEPTIONS) <= names
    description = SCHEMA["description"]
    for reason in set(EXPECTED_EXCEPTIONS.values()) - {"invalid_field"}:
        assert reason in description, reason
    assert "integer lexical form" in description


def example(event_type):
    return json.loads((FIXTURES / f"{event_type}.json").read_text())


@pytest.mark.parametrize("path,value", [
    (("customer_id",), "cus\u0000nul"),
    (("data", "reason"), "a\u0000b"),
    (("event_id",), ""),
    (("event_id",), "x" * 65),
    (("occurred_at",), "2026-11-26T12:00:00"),
    (("occurred_at",), "2026-13-26T12:00:00Z"),
    (("schema_version",), "1"),
    (("schema_version",), 2),
])
def test_contract_rules_the_schema_expresses(path, value):
    event = example("order.cancelled")
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert not VALIDATOR.is_valid(event)


@pytest.mark.parametrize("field,value,valid", [
    ("amount_cents", 1_000_000_000_000, True),
    ("amount_cents", 1_000_000_000_001, False),
    ("amount_cents", -1, False),
    ("currency", "EUR", True),
    ("currency", "eur", False),
])
def test_amount_bounds(field, value, valid):
    event = example("payment.captured")
    event["data"][field] = value
    assert VALIDATOR.is_valid(event) == valid


def test_a_unicode_id_of_64_scalars_passes():
    event = example("order.cancelled")
    event["order_id"] = "é" * 64  # 128 UTF-8 bytes, 64 scalars
    assert VALIDATOR.is_valid(event)
