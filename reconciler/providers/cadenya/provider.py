"""Cadenya over HTTP: list a bundle's schedules per agent, create, update, pause, resume, archive, delete.

Schedules are listed per agent only, so `list_live` enumerates the workspace's agents and lists each one's
schedules concurrently: unfiltered on the agents the bundle names (to see name collisions), filtered by the
ownership label elsewhere (to find what left the bundle). Pages are as large as the API allows.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.errors import ConfigError, ReconcilerError, RejectedError
from reconciler.plan.live import LiveSchedule
from reconciler.providers.base import LivePart, Provider
from reconciler.providers.cadenya import wire
from reconciler.providers.cadenya.activity import activity_from_wire
from reconciler.providers.capabilities import CAPABILITIES
from reconciler.providers.http import ApiClient, segment

PAGE_SIZE = 1000  # the API's maximum (larger values are coerced down)


@dataclass(frozen=True, slots=True)
class _Page:
    digest: bytes  # SHA-256 of the page's bytes as the platform sent them
    next_cursor: str
    lives: tuple[LiveSchedule, ...]  # every schedule of the page, decoded (owned or not)


@dataclass(frozen=True, slots=True)
class _Listing:
    query: list[tuple[str, str]]  # the list's parameters (labels filter, includeInfo), without the cursor
    pages: tuple[_Page, ...]


def _next_cursor(body: dict[str, Any]) -> str:
    pagination = body.get("pagination") or {}
    return str(pagination.get("nextCursor") or pagination.get("next_cursor") or "")


class CadenyaProvider(Provider):
    name = "cadenya"
    capabilities = CAPABILITIES["cadenya"]
    records_applied = True  # the label reconciler.dev/applied (wire.APPLIED_LABEL)
    read_back_from_timing_and_options = True  # wire.schedule_for reads desired.timing, normal_options options
    # A rename (or a move between bundles) is the PATCH every update sends: `metadata.name` and the marker
    # labels change with the spec, on the same id; `info.totalFires` is kept (README.md).
    renames_in_place = True

    def __init__(
        self,
        client: ApiClient,
        bundle: Bundle,
        digest_key: bytes,
        *,
        environ: Mapping[str, str] | None = None,
        parallelism: int = 8,
    ) -> None:
        super().__init__(client, bundle, digest_key, environ=environ, parallelism=parallelism)
        workspace = bundle.target.get("workspace") or self.environ.get("CADENYA_WORKSPACE_ID")
        if not workspace:
            raise ConfigError(
                f"bundle '{bundle.key}': cadenya needs a workspace: set target.workspace or CADENYA_WORKSPACE_ID"
            )
        self.workspace = workspace
        self._missing: set[str] = set()  # agents whose schedule list answered 404 (see missing_agents)
        self._decoded: dict[str, _Listing] = {}  # agent -> its last listing, decoded (_schedule_pages)

    def source_token(self, path: str) -> str:
        return wire.label_token(path)  # a label value: the path itself only when it fits (rarely: `/`)

    # -- reading -------------------------------------------------------------------------------------
    def list_live(self) -> list[LiveSchedule]:
        return self._read(info=False)

    def read_activity(self) -> list[LiveSchedule]:
        """The same lists as `list_live`, with `includeInfo=true`: the fire counters come with them, at no
        extra request (the API counts such a list "more against your rate limit", so only `status` asks)."""
        return self._read(info=True)

    def list_live_parts(self, emit: LivePart) -> None:
        self._read(info=False, emit=emit)  # agent by agent: each agent's list is one part

    def read_ahead(self, agents: frozenset[str]) -> None:
        # The agent listing and each listed agent's first page, as `_read` asks for them. Not sent: a later
        # page (its cursor is in the page before it, not decoded here) and the list of an agent the workspace
        # lacks (its 404 is an error, which reads do not share: the real read would send it again).
        def first_page(agent: str) -> None:
            params = self._list_params(owned_only=agent not in agents, info=False)
            with contextlib.suppress(ReconcilerError):  # sent again by the real read, which reports it
                self.client.request("GET", self._schedules(agent), params=self._page(params, ""))

        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            list(pool.map(first_page, sorted(set(self._agent_ids()))))

    def _read(self, *, info: bool, emit: LivePart | None = None) -> list[LiveSchedule]:
        wanted = {s.agent for s in self.bundle.schedules}
        agents = sorted(set(self._agent_ids()) | wanted)

        def one(agent: str) -> list[LiveSchedule]:
            found = self._list_agent(agent, owned_only=agent not in wanted, info=info)
            if emit is not None:
                emit(found, (agent,))
            return found

        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            return [live for found in pool.map(one, agents) for live in found]

    def _agent_ids(self) -> Iterator[str]:
        for item in self._items(f"{self._ws()}/agents", {}):
            agent_id = (item.get("metadata") or {}).get("id")
            if agent_id:
                yield agent_id

    def _list_agent(self, agent: str, *, owned_only: bool, info: bool = False) -> list[LiveSchedule]:
        try:
            pages = self._schedule_pages(agent, self._list_params(owned_only=owned_only, info=info), info)
        except RejectedError as exc:
            if exc.status == 404:  # an agent the bundle names but the workspace lacks: nothing live yet
                self._missing.add(agent)
                return []
            raise
        return [
            live for page in pages for live in page.lives if live.owner == self.bundle.key or not owned_only
        ]

    def _list_params(self, *, owned_only: bool, info: bool) -> dict[str, str]:
        params = {"labels": f"{wire.BUNDLE_LABEL}={self.bundle.key}"} if owned_only else {}
        if info:
            params["includeInfo"] = "true"
        return params

    def _schedule_pages(self, agent: str, params: dict[str, str], info: bool) -> list[_Page]:
        """An agent's schedules, page by page; a page whose bytes are those this provider read last time (for
        the same agent and query) keeps the schedules decoded then, a changed one is decoded afresh.

        The controller lists every agent each round with one provider per bundle: most pages are as they
        were, and decoding them was half the CPU of a warm re-plan. One listing is remembered per agent
        (the last), and a page's JSON is let go before the next page is asked for."""
        known = self._decoded.get(agent)
        query = sorted(params.items())
        reuse = known.pages if known is not None and known.query == query else []
        pages: list[_Page] = []
        cursor = ""
        while True:
            answer = self.client.request("GET", self._schedules(agent), params=self._page(params, cursor))
            digest = hashlib.sha256(answer.content).digest()
            if len(pages) < len(reuse) and reuse[len(pages)].digest == digest:
                page = reuse[len(pages)]  # the same bytes: the same schedules, and the same next cursor
            else:
                body = answer.json()
                lives = tuple(self._decode(item, agent, info) for item in body.get("items") or [])
                page = _Page(digest, _next_cursor(body), lives)
                del body
            del answer
            pages.append(page)
            cursor = page.next_cursor
            if not cursor:
                self._decoded[agent] = _Listing(query, tuple(pages))
                return pages

    def _decode(self, item: dict[str, Any], agent: str, info: bool) -> LiveSchedule:
        # A listed schedule keeps none of the wire item (`raw`): its counters, where asked for, are read here.
        live = wire.live_from_wire(item, agent, self.digest_key, keep_raw=False)
        return replace(live, activity=activity_from_wire(item)) if info else live

    @staticmethod
    def _page(params: dict[str, str], cursor: str) -> dict[str, str]:
        return {**params, "limit": str(PAGE_SIZE), **({"cursor": cursor} if cursor else {})}

    def _items(self, path: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        """Every item of a list, one page at a time (as large as the API allows)."""
        cursor = ""
        while True:
            body = self.client.request("GET", path, params=self._page(params, cursor)).json()
            cursor = _next_cursor(body)
            yield from body.get("items") or []
            if not cursor:
                return

    def missing_agents(self, agents: set[str]) -> set[str]:
        return agents & self._missing  # every agent the bundle names was listed by `list_live`

    def list_all(self, agent: str | None = None) -> list[LiveSchedule]:
        """Every schedule in the workspace (or of one agent), whoever owns it: what `export` reads."""
        agents = [agent] if agent else sorted(set(self._agent_ids()))
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            per_agent = pool.map(lambda a: self._list_agent(a, owned_only=False), agents)
            return [live for found in per_agent for live in found]

    def find_owned(self, desired: DesiredSchedule) -> LiveSchedule | None:
        for live in self._list_agent(desired.agent, owned_only=True):
            if live.name == desired.name and live.display_name == desired.name and live.state != "archived":
                return live
        return None

    def as_live(self, desired: DesiredSchedule) -> LiveSchedule:
        item = {
            "metadata": {**wire.metadata_for(self.bundle.key, desired, self.source), "id": ""},
            "spec": wire.spec_for(desired),
            "state": "STATE_PAUSED" if desired.state == "paused" else "STATE_ACTIVE",
        }
        return wire.live_from_wire(item, desired.agent, self.digest_key)

    # -- writing -------------------------------------------------------------------------------------
    def create(self, desired: DesiredSchedule) -> LiveSchedule:
        body = {"metadata": self._metadata(desired), "spec": wire.spec_for(desired)}
        created = self.client.request("POST", self._schedules(desired.agent), json=body).json()
        live = wire.live_from_wire(created, desired.agent, self.digest_key)
        # Created active with the record already saying `paused`: a crash before the pause leaves a schedule
        # the record says we paused, which the next plan pauses (never one that passes for an operator's).
        return self.pause(live) if desired.state == "paused" else live

    def update(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        """The fields, the record and the state, in an order no crash can turn into a pause that looks
        like an operator's: to pause, the record says `paused` (PATCH) before `:pause`; to resume, `:resume`
        comes first and the record says `active` (PATCH) only after it."""
        if desired.state == "active" and live.state == "paused":
            live = self.resume(live)
        updated = self._patch(desired, live)
        if desired.state == "paused" and updated.state != "paused":
            return self.pause(updated)
        if desired.state == "active" and updated.state != "active":
            return self.resume(updated)  # archived: restored in place, and the record already says active
        return updated

    def adopt(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        return self.update(desired, live)

    def _patch(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        body = {
            "metadata": self._metadata(desired),
            "spec": wire.spec_for(desired),
            "updateMask": "metadata.name,metadata.labels,metadata.bundleKey,spec",
        }
        # Replacing the named fields with the same values twice gives the same result: safe to retry.
        item = self.client.request("PATCH", self._schedule(live), json=body, idempotent=True).json()
        return wire.live_from_wire(item, live.agent, self.digest_key)

    def _metadata(self, desired: DesiredSchedule) -> dict[str, Any]:
        return wire.metadata_for(self.bundle.key, desired, self.source, self.record_of(desired))

    def pause(self, live: LiveSchedule) -> LiveSchedule:
        return self._verb(live, "pause")

    def resume(self, live: LiveSchedule) -> LiveSchedule:
        return self._verb(live, "resume")

    def archive(self, live: LiveSchedule) -> LiveSchedule:
        return self._verb(live, "archive")

    def delete(self, live: LiveSchedule) -> None:
        self.client.request("DELETE", self._schedule(live), expected=(200, 204, 404))

    def _verb(self, live: LiveSchedule, verb: str) -> LiveSchedule:
        # The sandbox and the API treat "already in that state" as a no-op: repeating is safe.
        item = self.client.request("POST", f"{self._schedule(live)}:{verb}", idempotent=True).json()
        return wire.live_from_wire(item, live.agent, self.digest_key)

    # -- paths ---------------------------------------------------------------------------------------
    def _ws(self) -> str:
        return f"/v1/workspaces/{segment(self.workspace)}"

    def _schedules(self, agent: str) -> str:
        return f"{self._ws()}/agents/{segment(agent)}/schedules"

    def _schedule(self, live: LiveSchedule) -> str:
        return f"{self._schedules(live.agent)}/{segment(live.remote_id)}"
