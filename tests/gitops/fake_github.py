"""A small stand-in for the three GitHub REST routes the action uses, served for real on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, HTTPException, Request

TOKEN = "ghs_test_token_0123456789"


@dataclass
class FakeGitHub:
    url: str = ""
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> {"issue": n, "body": ...}
    requests: list[str] = field(default_factory=list)


def _app(state: FakeGitHub) -> FastAPI:
    app = FastAPI()

    def check(request: Request) -> None:
        state.requests.append(f"{request.method} {request.url.path}")
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            raise HTTPException(401, "Bad credentials")

    @app.get("/repos/{owner}/{repo}/issues/{number}/comments")
    def list_comments(
        owner: str, repo: str, number: int, request: Request, per_page: int = 30, page: int = 1
    ) -> list[dict[str, Any]]:
        check(request)
        mine = [
            {"id": i, "body": c["body"]} for i, c in sorted(state.comments.items()) if c["issue"] == number
        ]
        return mine[(page - 1) * per_page : page * per_page]

    @app.post("/repos/{owner}/{repo}/issues/{number}/comments", status_code=201)
    async def create(owner: str, repo: str, number: int, request: Request) -> dict[str, Any]:
        check(request)
        new_id = len(state.comments) + 1000
        state.comments[new_id] = {"issue": number, "body": (await request.json())["body"]}
        return {"id": new_id}

    @app.patch("/repos/{owner}/{repo}/issues/comments/{comment_id}")
    async def update(owner: str, repo: str, comment_id: int, request: Request) -> dict[str, Any]:
        check(request)
        state.comments[comment_id]["body"] = (await request.json())["body"]
        return {"id": comment_id}

    return app


@contextmanager
def fake_github() -> Iterator[FakeGitHub]:
    state = FakeGitHub()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(_app(state), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.02)
    state.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        yield state
    finally:
        server.should_exit = True
        thread.join(timeout=10)
