"""The answer's JSON schema is a published contract (docs/answer.schema.json) for integrators."""

import json
from pathlib import Path

from zhili.answer import Answer

SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "answer.schema.json"


def test_published_schema_matches_the_model():
    published = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert published == Answer.model_json_schema(), (
        "The answer model changed: add fields (never rename), then regenerate docs/answer.schema.json")


def test_rule_keys_are_part_of_the_contract():
    props = json.loads(SCHEMA.read_text(encoding="utf-8"))["properties"]
    assert {"routing", "risk", "rule_trace", "no_fit", "caution", "results", "by_dimension"} <= set(props)


def test_verdict_and_match_are_part_of_the_contract():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    props = schema["properties"]
    assert props["verdict"]["enum"] == ["fit", "no_fit", "off_topic", "empty"]
    assert props["verdict"]["default"] == "fit" and "fit_signals" in props
    match = schema["$defs"]["Match"]
    assert set(match["properties"]) == {"level", "percent", "explanation"}
    assert match["properties"]["percent"]["type"] == "integer"
    assert "match" in schema["$defs"]["Result"]["properties"]
