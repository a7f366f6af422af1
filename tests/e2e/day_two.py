"""What an operator does on a platform, by hand (plain HTTP, as its UI would): pause a schedule, edit its
message. Used by the day-two tests (issue 18) to make drift and pauses the reconciler did not make."""

from __future__ import annotations

from typing import Any

import httpx

from tests.reliability.revision_profiles import OZ_TEAM, WS, Entry, Profile

RECORDS = frozenset(
    {"cadenya", "agentex-run-schedules", "orq", "orq-display-name", "oz"}
)  # room for a record


def _ok(response: httpx.Response) -> Any:
    assert response.is_success, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json() if response.content else None


def operator_pause(profile: Profile, client: httpx.Client, entry: Entry) -> None:
    sid, agent = entry.platform_id, entry.agent
    if profile.provider == "cadenya":
        _ok(client.post(f"/v1/workspaces/{WS}/agents/{agent}/schedules/{sid}:pause"))
    elif profile.provider == "agentex":
        _ok(client.post(f"/agents/{agent}/schedules/{sid}/pause", json={"note": "incident 4711"}))
    elif profile.provider == "orq":
        _ok(client.patch(f"/v3/agents/{agent}/schedules/{sid}", json={"is_active": False}))
    elif profile.provider == "oz":
        _ok(client.post(f"/agent/schedules/{sid}/pause"))
    else:
        _ok(client.patch(f"/api/scheduled-agents/{sid}/disable"))


def operator_edit_message(profile: Profile, client: httpx.Client, entry: Entry, text: str) -> None:
    """Change the schedule's input on the platform (Agentex legacy: its workflow_params, by delete and create)."""
    sid, agent = entry.platform_id, entry.agent
    if profile.id == "cadenya":
        path = f"/v1/workspaces/{WS}/agents/{agent}/schedules/{sid}"
        spec = _ok(client.get(path))["spec"]
        key = "initialMessage" if "initialMessage" in spec else "firstUserMessage"
        _ok(client.patch(path, json={"spec": {key: text}, "updateMask": f"spec.{key}"}))
    elif profile.id == "agentex-run-schedules":
        body = {"initial_input": {"content": text, "author": "user", "type": "text"}}
        _ok(client.patch(f"/agents/{agent}/schedules/{sid}", json=body))
    elif profile.provider == "orq":
        found = _ok(client.get(f"/v3/agents/{agent}/schedules"))["schedules"]
        payload = next(item for item in found if item["_id"] == sid)["payload"]
        _ok(client.patch(f"/v3/agents/{agent}/schedules/{sid}", json={"payload": {**payload, "input": text}}))
    elif profile.provider == "oz":
        item = _ok(client.get(f"/agent/schedules/{sid}"))
        body = {k: item[k] for k in ("name", "cron_schedule", "enabled", "metadata") if k in item}
        if item.get("agent_uid"):
            body["agent_uid"] = item["agent_uid"]
        _ok(client.put(f"/agent/schedules/{sid}", json={**body, "prompt": text}))
    elif profile.provider == "tbd-agents":
        _ok(client.patch(f"/api/scheduled-agents/{sid}", json={"prompt": text}))
    else:  # Agentex legacy has no update: an operator deletes the schedule and creates it again, changed
        path = f"/agents/{agent}/schedules/{sid}"
        item = _ok(client.get(path))
        body = {
            "name": item["name"],
            "workflow_name": item["action"]["workflow_name"],
            "task_queue": item["action"]["task_queue"],
            "workflow_params": {"edited": text},
            "cron_expression": item["spec"]["cron_expressions"][0],
        }
        _ok(client.delete(path))
        _ok(client.post(f"/agents/{agent}/schedules", json=body))


__all__ = ["OZ_TEAM", "RECORDS", "operator_edit_message", "operator_pause"]
