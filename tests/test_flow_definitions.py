"""flows.definitions: flows and keywords are validated when loaded, naming the file and the step."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from flows.definitions import DEFINITIONS_DIR, FlowError, load_flow, load_keywords, parse_flow, parse_keywords

FLOW = yaml.safe_load((DEFINITIONS_DIR / "report.yaml").read_text())
KEYWORDS = yaml.safe_load((DEFINITIONS_DIR / "keywords.yaml").read_text())
PATH = Path("flows/definitions/report.yaml")


def test_shipped_definitions_load() -> None:
    flow = load_flow()
    assert [s.id for s in flow.steps] == ["category", "place", "when", "details", "confirm"]
    assert load_keywords().categories["drugs"]


def broken(step_index: int | None, **change: Any) -> dict[str, Any]:
    data = copy.deepcopy(FLOW)
    target = data["steps"][step_index] if step_index is not None else data
    for key, value in change.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (broken(1, expects="plaice"), "step 'place': expects 'plaice' is not one of"),
        (broken(0, prompt="ask_colour"), "step 'category': prompt 'ask_colour' is not a message key"),
        (broken(0, prompt=None), "step 'category': missing `prompt`"),
        (broken(2, slot=None), "step 'when': a step that expects 'when' needs a `slot`"),
        (broken(2, one_line_default="tomorrow"), "step 'when': one_line_default must be"),
        (broken(3, colour="red"), "step 'details': unknown keys"),
        (broken(3, id="category"), "duplicate step id"),
        (broken(None, on_complete="bye"), "on_complete: unknown message"),
        (broken(None, steps=[]), "`steps` must be a non-empty list"),
        (broken(None, id=None), "missing `id`"),
        ("just text", "top level"),
    ],
)
def test_invalid_flows_name_file_and_step(data: Any, message: str) -> None:
    with pytest.raises(FlowError) as info:
        parse_flow(data, PATH)
    assert str(info.value).startswith(str(PATH))
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"yes": [True, "OK"]}, "yes: expected a non-empty list of words (quote YES/NO/ON)"),
        ({"status": []}, "status: expected a non-empty list"),
        ({"categories": {"drugs": ["ยาบ้า"]}}, "categories.trafficking"),
        ({"when": None}, "when.now"),
    ],
)
def test_invalid_keywords(change: dict[str, Any], message: str) -> None:
    data = {**copy.deepcopy(KEYWORDS), **change}
    with pytest.raises(FlowError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_keywords(data, Path("keywords.yaml"))
