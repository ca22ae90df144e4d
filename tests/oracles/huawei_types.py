"""Strict validation of a JSON answer against a huaweicloudsdkosm model: the SDK's own `openapi_types` and
`attribute_map`. The SDK itself deserialises leniently (an unknown member is dropped, a wrong type is kept
with a warning), so this is what "strict" means for it: every member is one the model names, of the type it
names, and every date-time is one the SDK's reader takes (it appends `Z` to a time without one)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from huaweicloudsdkosm.v2 import model as osm_model

PRIMITIVES: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "bool": (bool,), "float": (float, int),
                                           "object": (object,)}


def sdk_reads_time(value: str) -> bool:
    """huaweicloudsdkcore's `_deserialize_data_time`: `parse(value if value.endswith("Z") else value + "Z")`."""
    try:
        datetime.fromisoformat((value if value.endswith("Z") else value + "Z").replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def problems(model_name: str, data: Any, where: str = "") -> list[str]:
    """Every way `data` departs from the model; empty when it conforms."""
    klass = getattr(osm_model, model_name)
    if not isinstance(data, dict):
        return [f"{where or model_name}: an object expected, got {type(data).__name__}"]
    by_wire = {wire: attr for attr, wire in klass.attribute_map.items()}
    found = []
    for key, value in data.items():
        if key not in by_wire:
            found.append(f"{where}{key}: not a member of {model_name}")
            continue
        found += _check(klass.openapi_types[by_wire[key]], value, f"{where}{key}")
    return found


def _check(kind: str, value: Any, where: str) -> list[str]:
    if value is None:
        return []  # every response member is optional to the SDK's reader
    if kind.startswith("list["):
        if not isinstance(value, list):
            return [f"{where}: a list expected"]
        inner = kind[5:-1]
        return [p for n, item in enumerate(value) for p in _check(inner, item, f"{where}[{n}]")]
    match = re.fullmatch(r"dict\(str, (.*)\)", kind)
    if match:
        if not isinstance(value, dict):
            return [f"{where}: an object expected"]
        return [p for k, item in value.items() for p in _check(match.group(1), item, f"{where}.{k}")]
    if kind == "datetime":
        return [] if isinstance(value, str) and sdk_reads_time(value) else [f"{where}: {value!r} is no SDK date-time"]
    if kind in PRIMITIVES:
        ok = isinstance(value, PRIMITIVES[kind]) and not (kind == "int" and isinstance(value, bool))
        return [] if ok else [f"{where}: {kind} expected, got {value!r}"]
    return problems(kind, value, where + ".")


def model_of(call: dict[str, Any]) -> str:
    """The SDK response model of the operation a recorded call was."""
    path, method = call["path"], call["method"]
    if path.endswith("/withdraw"):
        return "RevokeMessageResponse"
    if path.endswith("/instant-messages"):
        return "ListNewInstantMessagesResponse"
    if path.endswith("/messages"):
        return "ListMessagesResponse"
    if path.endswith("/message") and method == "POST":
        return "CreateMessagesResponse"
    return "ListCasesResponse" if path.endswith("/cases") else "ShowCaseDetailResponse"


def answer_problems(calls: list[dict[str, Any]]) -> list[str]:
    """Every departure of the fake's recorded JSON answers from the SDK's models (injected faults and
    gateway answers such as an unknown route aside)."""
    found = []
    for call in calls:
        answer = call.get("answer")
        if answer is None or call.get("injected") or not isinstance(answer, dict):
            continue
        if "error" in answer or str(answer.get("error_code") or "").startswith("APIGW"):
            continue  # IAM's or the API gateway's own error body: no OSM model describes it
        # An OSM error is `{error_code, error_msg}`, which the SDK reads into its exception: the model of a
        # write's answer holds exactly those two members.
        model = "CreateMessagesResponse" if answer.get("error_code") else model_of(call)
        found += problems(model, answer, f"{call['method']} {call['path']} ")
    return found
