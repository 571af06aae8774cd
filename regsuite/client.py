"""The registry client: every API call of the distribution spec over httpx.

Methods return the raw `httpx.Response` so checks can judge every status and
header; whole operations (`push_blob`, `push_image`, `pages`, `all_tags`, ...)
run regsuite.flows and raise `flows.FlowFailed` naming the exchange when an
answer leaves them nowhere to go. Every exchange lands in `self.transcript`,
redacted.

A registry refusing for load (429, or 503 with Retry-After: `regsuite.retry`)
has not answered the request: `request` waits as it asks and sends the same
request again, within the run's budget (`regsuite.pace.Pace`); the refusals
stay in the transcript before the answer that counts. When the budget runs
out, `retry.RateLimited` (a transport error: the check's verdict is `error`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx

from . import flows, protocol, retry
from . import mediatypes as mt
from .auth import RegistryAuth
from .circuit import Circuit, NotSent, endpoint_of, timed_out
from .content import Blob, Manifest
from .httpclient import http_client
from .namespace import WriteLog
from .pace import Pace
from .target import Target
from .transcript import Transcript


def request_timeout(seconds: float, connect: float = 5.0) -> httpx.Timeout:
    """A request's timeout: `seconds` to read or write, connecting within `connect` (or `seconds` if shorter)."""
    return httpx.Timeout(seconds, connect=min(seconds, connect))


DEFAULT_TIMEOUT = request_timeout(15.0)
STREAM_SLICE = 4096  # chunked transfer coding: one chunk per slice
T = TypeVar("T")
Observer = Callable[[flows.Send, httpx.Response], None]


class RegistryClient:
    def __init__(
        self,
        target: Target,
        *,
        transcript: Transcript | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        auth: bool = True,
        max_connections: int = 20,
        guard: Callable[[httpx.Request], None] | None = None,
        write_log: WriteLog | None = None,
        circuit: Circuit | None = None,
        pace: Pace | None = None,
    ) -> None:
        self.target = target
        # Shared by a run's clients, so a stalled endpoint is learnt once; a client of its own otherwise.
        self.circuit = circuit if circuit is not None else Circuit()
        # Shared likewise: the run's courtesy rate, and its waits for a rate-limited registry.
        self.pace = pace if pace is not None else Pace()
        self.transcript = transcript if transcript is not None else Transcript()
        self.auth = RegistryAuth(target.username, target.password) if auth else None
        self.http = http_client(
            base_url=target.url,
            verify=target.verify(),
            timeout=timeout,
            auth=self.auth,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            event_hooks={
                # The guard runs first: a refused request is never sent, nor recorded as sent, nor paced.
                "request": [*([guard] if guard else []), self.pace.on_request, self._record_request],
                "response": [self._record_response, *([write_log.on_response] if write_log else [])],
            },
        )

    # -- plumbing -------------------------------------------------------------

    # Through `self.transcript` as it is when the exchange happens: a client lent to one job after another
    # records each job's exchanges in that job's transcript.
    def _record_request(self, request: httpx.Request) -> None:
        self.transcript.on_request(request)

    def _record_response(self, response: httpx.Response) -> None:
        self.transcript.on_response(response)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request; `url` is a path on the target or an absolute URL (a Location).

        The circuit may refuse it (NotSent, a transport error) when its endpoint stopped answering
        or the run is stopping; the refusal is in the transcript like any failed exchange. A refusal
        for load is waited out and the request sent again (retry.RateLimited when that takes too long).
        """
        content = kwargs.get("content")
        if isinstance(content, Iterator):  # a streamed body, kept to be sent again after a refusal
            kwargs = {**kwargs, "content": list(content)}
        began, waited, attempt = time.monotonic(), 0.0, 0
        while True:
            attempt += 1
            response = self._send(method, url, kwargs)
            step = retry.next_step(response.status_code, response.headers.get("retry-after"), attempt=attempt,
                                   waited=waited, policy=self.pace.policy, left=self.pace.left())
            if step is None:
                return response
            what = endpoint_of(response.request).label()
            self.pace.refused(response.status_code, what)
            if isinstance(step, retry.GiveUp):
                self.pace.gave_up()
                message = retry.exhausted(response.status_code, what, attempt, time.monotonic() - began, step.why)
                raise retry.RateLimited(message, request=response.request)
            self.pace.wait(step.wait)
            waited += step.wait

    def _send(self, method: str, url: str, kwargs: dict[str, Any]) -> httpx.Response:
        """One exchange, through the circuit."""
        request = self.http.build_request(
            method, url, **{k: v for k, v in kwargs.items() if k not in ("auth", "follow_redirects")}
        )
        auth = kwargs.get("auth", httpx.USE_CLIENT_DEFAULT)
        if _origin(request.url) != _origin(self.http.base_url):
            auth = None  # credentials go to the registry's own host only (a Location may name another one)
        try:
            if self.circuit.admit(request):  # a trial of an open circuit: a short timeout
                trial = min(self.http.timeout.read or self.circuit.trial_timeout, self.circuit.trial_timeout)
                request.extensions["timeout"] = httpx.Timeout(trial).as_dict()
        except NotSent as refused:
            self.transcript.on_request(request)
            self.transcript.on_error(request, refused)
            raise
        try:
            with self.pace.in_flight():
                response = self.http.send(
                    request,
                    auth=auth,
                    follow_redirects=kwargs.get("follow_redirects", False),
                )
        except httpx.TimeoutException as exc:
            self.circuit.record(request, exc)
            described = timed_out(request, exc)
            self.transcript.on_error(request, described)
            raise described from exc
        except BaseException as exc:  # the write guard's refusal and an interrupt end a trial too
            if isinstance(exc, httpx.HTTPError):
                self.transcript.on_error(request, exc)
            self.circuit.record(request, exc)
            raise
        self.circuit.record(request, None)
        return response

    @contextmanager
    def stream(self, method: str, url: str, **kwargs: Any) -> Iterator[httpx.Response]:
        with self.pace.in_flight(), self.http.stream(method, url, **kwargs) as response:
            yield response

    def resolve(self, response: httpx.Response, location: str | None = None) -> str:
        """The absolute URL of a response's Location (relative ones resolve against the request)."""
        location = location if location is not None else response.headers.get("location", "")
        return str(response.request.url.join(location))

    # -- base -----------------------------------------------------------------

    def ping(self) -> httpx.Response:
        return self.send(protocol.ping())

    # -- blobs ----------------------------------------------------------------

    def send(
        self, step: protocol.Step, content: bytes = b"", headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send one protocol step; `headers` override the step's own (checks send wrong ones on purpose)."""
        return self.request(
            step.method, step.path, content=content, headers={**step.headers, **(headers or {})}, **kwargs
        )

    def head_blob(self, name: str, digest: str, *, follow_redirects: bool = False) -> httpx.Response:
        return self.send(protocol.head_blob(name, digest), follow_redirects=follow_redirects)

    def get_blob(
        self, name: str, digest: str, *, range: str | None = None, follow_redirects: bool = True
    ) -> httpx.Response:
        headers = {"Range": range} if range else {}
        return self.send(protocol.get_blob(name, digest), headers=headers, follow_redirects=follow_redirects)

    def delete_blob(self, name: str, digest: str) -> httpx.Response:
        return self.send(protocol.delete(name, "blobs", digest))

    # -- uploads --------------------------------------------------------------

    def start_upload(
        self,
        name: str,
        *,
        digest: str | None = None,
        data: bytes | None = None,
        mount: str | None = None,
        from_: str | None = None,
        headers: dict[str, str] | None = None,
        digest_algorithm: str | None = None,
    ) -> httpx.Response:
        query: list[tuple[str, str]] = []
        if digest_algorithm:
            query.append(("digest-algorithm", digest_algorithm))
        if mount:
            query.append(("mount", mount))
            if from_:
                query.append(("from", from_))
        if digest:
            query.append(("digest", digest))
        body = data if data is not None else b""
        return self.send(protocol.start_upload(name, query, len(body)), body, headers)

    def patch_upload(
        self, location: str, data: bytes, *, start: int | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """PATCH a chunk; with `start`, as a chunked upload with Content-Range, else streamed."""
        step = (
            protocol.patch_stream(location, len(data))
            if start is None
            else protocol.patch_chunk(location, start, len(data))
        )
        return self.send(step, data, headers)

    def put_upload(
        self, location: str, digest: str, data: bytes = b"", headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return self.send(protocol.finish_upload(location, digest, len(data)), data, headers)

    def upload_status(self, location: str) -> httpx.Response:
        return self.send(protocol.upload_status(location))

    def cancel_upload(self, location: str) -> httpx.Response:
        return self.send(protocol.cancel_upload(location))

    # -- operations (regsuite.flows) -------------------------------------------

    def run(self, flow: flows.Flow[T], observe: Observer | None = None) -> T:
        """Drive a flow over this client; `observe(send, response)` sees each exchange (and may judge it)."""

        def transport(send: flows.Send) -> flows.Reply:
            response = self.send(send.step, _content(send.body), follow_redirects=send.follow)
            if observe is not None:
                observe(send, response)
            return flows.Reply(response.status_code, response.headers, response.content, response)

        return flows.run(flow, transport)

    def push_blob(
        self, name: str, blob: Blob | bytes, *, method: str = flows.POST_PUT, chunk_size: int | None = None
    ) -> httpx.Response:
        """Push a blob by one of flows.METHODS; the final (201) response."""
        source = blob if isinstance(blob, Blob) else Blob(blob)
        return self.run(flows.upload(name, source, method, chunk_size=chunk_size)).raw  # type: ignore[no-any-return]

    def mount_blob(self, name: str, digest: str, from_: str | None) -> httpx.Response:
        return self.start_upload(name, mount=digest, from_=from_)

    # -- manifests ------------------------------------------------------------

    def put_manifest(
        self,
        name: str,
        reference: str,
        manifest: Manifest | bytes,
        media_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body = manifest.body if isinstance(manifest, Manifest) else manifest
        ctype = media_type or (manifest.media_type if isinstance(manifest, Manifest) else mt.OCI_MANIFEST)
        return self.send(protocol.put_manifest(name, reference, ctype, len(body)), body, headers)

    def get_manifest(self, name: str, reference: str, accept: str = mt.ACCEPT_ALL_MANIFESTS) -> httpx.Response:
        return self.send(protocol.get_manifest(name, reference, accept))

    def head_manifest(self, name: str, reference: str, accept: str = mt.ACCEPT_ALL_MANIFESTS) -> httpx.Response:
        return self.send(protocol.head_manifest(name, reference, accept))

    def delete_manifest(self, name: str, reference: str) -> httpx.Response:
        return self.send(protocol.delete(name, "manifests", reference))

    def push_image(
        self,
        name: str,
        manifest: Manifest,
        tag: str | None = None,
        *,
        blob_method: str = flows.POST_PUT,
        writes: list[flows.Write] | None = None,
        present: set[str] | None = None,
    ) -> httpx.Response:
        """Push every blob and child manifest, then the manifest by tag (or digest).

        `writes`, when given, collects every write that answered 201, each read back through its Location
        (flows.reading_back). `present`, when given, is every blob the repository holds: others are uploaded
        without a HEAD first (and added).
        """
        flow = flows.push_image(name, manifest, tag, blob_method=blob_method, present=present, ask=present is None)
        return self.run(flow if writes is None else flows.reading_back(flow, writes)).raw  # type: ignore[no-any-return]

    # -- discovery ------------------------------------------------------------

    def list_tags(self, name: str, n: int | None = None, last: str | None = None) -> httpx.Response:
        return self.send(protocol.tags_list(name, n, last))

    def catalog(self, n: int | None = None, last: str | None = None) -> httpx.Response:
        return self.send(protocol.catalog(n, last))

    def referrers(self, name: str, digest: str, artifact_type: str | None = None) -> httpx.Response:
        return self.send(protocol.referrers(name, digest, artifact_type))

    def pages(self, first: httpx.Response | protocol.Step, key: str, limit: int = flows.MAX_PAGES, *,
              until: Callable[[flows.Page], bool] | None = None) -> list[flows.Page]:
        """Every page of a list (flows.pages): from a first request, or from its answer already in hand."""
        if isinstance(first, protocol.Step):
            return self.run(flows.pages(first, key, limit, until=until))
        step = protocol.Step(first.request.method, str(first.request.url), "")
        reply = flows.Reply(first.status_code, first.headers, first.content, first)
        return self.run(flows.pages(step, key, limit, answered=reply, until=until))

    def all_tags(self, name: str) -> list[str]:
        return self.run(flows.tags(name))

    def repositories_under(self, prefix: str) -> list[str]:
        return self.run(flows.repositories_under(prefix))


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _content(body: flows.Body) -> Any:
    """A flow's body as httpx content: bytes, or an iterator for chunked transfer coding."""
    if body is None or isinstance(body, bytes):
        return body or b""
    data = body.open()
    data = data if isinstance(data, bytes | bytearray | memoryview) else data.read()
    if not body.streamed:
        return bytes(data)
    return (bytes(data[i : i + STREAM_SLICE]) for i in range(0, len(data), STREAM_SLICE))
