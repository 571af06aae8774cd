"""Locust users that behave like registry clients: pull, push and list.

Every request comes from `regsuite.protocol` (what a step sends); auth
challenges are answered by `regsuite.auth.RegistryAuth`, driven here over
geventhttpclient. Whole image operations are reported as transactions under
their own request types ("image-pull", "image-push") with the bytes they
moved, next to the per-request rows.

A refusal for load (429, or 503 with Retry-After: `regsuite.retry`) fails its
row with an error of its own kind ("rate limited: 429 on ..."); with the
profile's `honour_retry_after` the user then waits as the registry asks and
sends the request again, as clients do.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import random
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import gevent
import httpx
from gevent.event import Event
from locust import task
from locust.contrib.fasthttp import FAILURE_EXCEPTIONS, FastHttpUser
from locust.exception import StopUser

from regsuite import flows, protocol, retry
from regsuite import mediatypes as mt
from regsuite.auth import RegistryAuth
from regsuite.content import Manifest, canonical_json, image_config
from regsuite.load import PHASE, TTFB, intended_type
from regsuite.load.blobs import UniqueBlobs
from regsuite.load.phases import phase_of
from regsuite.load.profiles import size_label
from regsuite.loadtest.bodies import BodyError, drain
from regsuite.loadtest.settings import LoadSettings, from_environment

# Module globals, read at call time: a worker replaces them when its master's settings arrive
# (apply_settings), a local process has them from the environment at import.
SETTINGS = from_environment()
PROFILE = SETTINGS.profile
SETTINGS_READY = Event()  # users of a worker wait for their master's settings before they start
SETTINGS_WAIT = 60.0
if SETTINGS.from_master:
    SETTINGS_READY.set()
_CONFIGS: frozenset[str] = frozenset()  # config blobs of the pull pool: their GETs are the "config" phase
_PROCESS_TAG = os.urandom(3).hex()  # keeps repositories and tags of distributed workers apart
_user_numbers = itertools.count()
# Registry logs (and self-tests) tell the generator processes apart by this.
USER_AGENT = f"regsuite-load/{_PROCESS_TAG}"

T = TypeVar("T")
Body = Callable[[], Any] | None  # a fresh request body per attempt (a retry after a challenge resends it)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One context per process: loading the trust store costs ~50 ms, too much per user."""
    return SETTINGS.ssl_context()


@functools.cache
def _token_client() -> httpx.Client:
    """Token fetches left out of the statistics go through this client (one per process)."""
    return httpx.Client(verify=_ssl_context(), timeout=30.0)


@dataclass
class Transaction:
    bytes: int = 0


class RegistryUser(FastHttpUser):
    abstract = True
    network_timeout = 120.0
    connection_timeout = 10.0
    ssl_context_factory = staticmethod(lambda: _ssl_context())
    default_headers = {"User-Agent": USER_AGENT}
    intended_start: float | None = None  # arrival runs: when the schedule meant this iteration to start

    def wait_time(self) -> float:
        low, high = PROFILE.wait
        return random.uniform(low, high) if high > 0 else 0.0

    def on_start(self) -> None:
        if not SETTINGS_READY.wait(SETTINGS_WAIT):
            raise StopUser(f"no settings from the master within {SETTINGS_WAIT:g} s")
        self.number = next(_user_numbers)
        self.auth = RegistryAuth(SETTINGS.username, SETTINGS.password) if SETTINGS.username else None

    # -- one step ---------------------------------------------------------------

    def send(self, send: flows.Send, *, body: Body = None, read: Callable[[Any], int] | None = None) -> Any:
        """Send one exchange, answering auth challenges; raise FlowFailed (recorded on its row) when the answer
        is not one it expects.

        `read` consumes a streamed body (returns the bytes read); the row's time then includes the download.
        A refusal for load is waited out and sent again when the profile honours Retry-After.
        """
        attempt, waited = 0, 0.0
        while True:
            attempt += 1
            try:
                return self._send_answered(send, body, read)
            except _Refused as refused:
                reply = refused.reply
                assert reply is not None
                step = retry.next_step(reply.status, reply.header("retry-after"), attempt=attempt, waited=waited)
                if not PROFILE.honour_retry_after or not isinstance(step, retry.Retry):
                    raise
                gevent.sleep(step.wait)
                waited += step.wait

    def _send_answered(self, send: flows.Send, body: Body, read: Callable[[Any], int] | None) -> Any:
        step = send.step
        url = step.path if "://" in step.path else f"{self.host}{step.path}"
        if self.auth is None:
            return self._send_once(send, url, {}, body, read, challenge_answered=lambda _r: False)
        request = httpx.Request(step.method, url, headers=step.headers)
        conversation = _AuthConversation(self.auth, request)
        outgoing: httpx.Request | None = conversation.start()
        for _ in range(4):  # request, token fetch, retry: a bounded conversation
            if outgoing is None:
                raise flows.FlowFailed(send, None, "a token (the token endpoint refused the credentials)", row=True)
            if outgoing is not request:
                outgoing = conversation.answer(self._fetch_token(outgoing))
                continue
            response = self._send_once(send, url, conversation.headers(), body, read,
                                       conversation.challenge_answered)
            if conversation.next is None:
                return response
            outgoing = conversation.next
        raise flows.FlowFailed(send, None, "an answer once authenticated (authentication did not settle)", row=True)

    def _send_once(self, send: flows.Send, url: str, extra: dict[str, str], body: Body,
                   read: Callable[[Any], int] | None, challenge_answered: Callable[[Any], bool]) -> Any:
        started = time.perf_counter()
        step = send.step
        # Streamed always: the call returns when the headers are in (the time to first byte), the body is read here.
        with self.client.request(
            step.method, url, name=step.name, headers={**step.headers, **extra},
            data=body() if body else None, catch_response=True, stream=True,
        ) as response:
            first_byte = time.perf_counter()
            status = response.status_code
            try:
                length = read(response) if read is not None and status in send.expect else _read_all(send, response)
            except flows.FlowFailed as broken:
                response.failure(str(broken))
                self._time_phase(send, started, first_byte, time.perf_counter(), broken)
                raise
            response.request_meta["response_length"] = length
            ended = time.perf_counter()
            response.request_meta["response_time"] = (ended - started) * 1000
            if status == 401 and challenge_answered(response):
                response.success()  # a challenge is part of the protocol; the retry is its own row
                return response
            if status not in send.expect and retry.throttled(status, (response.headers or {}).get("retry-after")):
                refused = _Refused(send, _reply(response))
                response.failure(str(refused))
                self._time_phase(send, started, first_byte, ended, refused)
                raise refused
            if status not in send.expect:
                failed = flows.FlowFailed(send, _reply(response), "/".join(map(str, send.expect)), row=True)
                response.failure(str(failed))
                self._time_phase(send, started, first_byte, ended, failed)
                raise failed
            response.success()
            self._time_phase(send, started, first_byte, ended, None)
            return response

    def _time_phase(self, send: flows.Send, started: float, first_byte: float, ended: float,
                    error: Exception | None) -> None:
        """The exchange once more under its pull or push phase: time to first byte and total."""
        phase = phase_of(send.role, config=send.download is not None and send.download.digest in _CONFIGS)
        if phase is None:
            return
        fire = self.environment.events.request.fire
        fire(request_type=TTFB, name=phase.value, response_time=(first_byte - started) * 1000, response_length=0,
             exception=error, context={})
        fire(request_type=PHASE, name=phase.value, response_time=(ended - started) * 1000, response_length=0,
             exception=error, context={})

    def _fetch_token(self, token_request: httpx.Request) -> httpx.Response:
        if PROFILE.count_token_fetches:
            with self.client.request("GET", str(token_request.url), name="token", catch_response=True,
                                     headers=dict(token_request.headers)) as r:
                if r.status_code != 200:
                    r.failure(f"GET token: expected 200, got {r.status_code or 'no answer'}")
                else:
                    r.success()
                return httpx.Response(r.status_code, headers=dict(r.headers or {}), content=r.content or b"",
                                      request=token_request)
        return _token_client().send(token_request)

    # -- whole operations ---------------------------------------------------------

    @contextmanager
    def transaction(self, request_type: str, name: str) -> Iterator[Transaction]:
        tx = Transaction()
        started = time.perf_counter()
        error: Exception | None = None
        try:
            yield tx
        except flows.FlowFailed as exc:
            error = exc  # recorded on the step's row already; the transaction fails with it
        except Exception as exc:  # anything else fails the transaction too, then locust logs it
            error = exc
            raise
        finally:
            ended = time.perf_counter()
            self.environment.events.request.fire(
                request_type=request_type, name=name, response_time=(ended - started) * 1000,
                response_length=tx.bytes, exception=error, context={},
            )
            if self.intended_start is not None:  # the same operation, timed from its intended start
                self.environment.events.request.fire(
                    request_type=intended_type(request_type), name=name,
                    response_time=(ended - self.intended_start) * 1000, response_length=0, exception=error,
                    context={},
                )


    def drive(self, flow: flows.Flow[T], tx: Transaction | None = None) -> T:
        """Drive a regsuite flow over this user's connection (not `run`: that is locust's); `tx` counts the bytes."""

        def transport(send: flows.Send) -> flows.Reply:
            body, length = _body(send.body)
            download = send.download
            response = self.send(send, body=body, read=self._reader(send) if download else None)
            content = (response.content or b"") if send.read else b""
            if tx is not None:
                tx.bytes += length + len(content) + (download.size if download else 0)
            return flows.Reply(response.status_code, response.headers or {}, content, response)

        try:
            return flows.run(flow, transport)
        except flows.FlowFailed as failed:  # load statistics group failures by text: one per row, not per URL
            if failed.row:
                raise
            raise flows.FlowFailed(failed.send, failed.reply, failed.needed, got=failed.got, row=True) from None

    @staticmethod
    def _reader(send: flows.Send) -> Callable[[Any], int]:
        """Consume a blob body (loadtest.bodies.drain: never held whole); its size (and digest) checked."""
        blob = send.download
        assert blob is not None

        def read(response: Any) -> int:
            hasher = hashlib.sha256() if PROFILE.pull.verify else None
            failed = functools.partial(flows.FlowFailed, send, _reply(response), row=True)
            try:
                total = drain(response, blob.size, hasher)
            except (BodyError, OSError) as exc:
                raise failed("the blob's body", got=str(exc)) from None
            if total != blob.size:
                raise failed(f"{blob.size} bytes, as its descriptor says", got=f"{total} bytes")
            if hasher and f"sha256:{hasher.hexdigest()}" != blob.digest:
                raise failed("content of the digest its descriptor gives",
                             got="a body whose content does not match its digest")
            return total

        return read


class _Refused(flows.FlowFailed):
    """A row the registry refused for load; its text ("rate limited: 429 on GET /v2/<name>/...") keeps rate
    limiting apart from other failures in every load report (regsuite.load.stats)."""

    def __init__(self, send: flows.Send, reply: flows.Reply) -> None:
        super().__init__(send, reply, "an answer, not a refusal for load", row=True)
        self.args = (retry.refusal(reply.status, f"{send.step.method} {send.step.name}"),)


def _body(body: flows.Body) -> tuple[Body, int]:
    """A flow's body as a fresh-body factory (a retry after a challenge resends it) and its length."""
    if isinstance(body, flows.Part):
        return body.open, body.length
    if body:
        data = body
        return (lambda: data), len(data)
    return None, 0


class _AuthConversation:
    """RegistryAuth's httpx auth flow driven over geventhttpclient: the same challenge logic as the client."""

    def __init__(self, auth: RegistryAuth, request: httpx.Request) -> None:
        self.request = request
        self.flow = auth.auth_flow(request)
        self.next: httpx.Request | None = None

    def start(self) -> httpx.Request:
        return next(self.flow)

    def headers(self) -> dict[str, str]:
        value = self.request.headers.get("authorization")
        return {"Authorization": value} if value else {}

    def answer(self, response: httpx.Response) -> httpx.Request | None:
        try:
            return self.flow.send(response)
        except StopIteration:
            return None

    def challenge_answered(self, response: Any) -> bool:
        self.next = self.answer(_as_httpx(response, self.request))
        return self.next is not None


def _read_all(send: flows.Send, response: Any) -> int:
    """Read a streamed answer's whole body (so the connection can carry the next request); its length."""
    try:
        return len(response.content or b"")
    except FAILURE_EXCEPTIONS as exc:
        raise flows.FlowFailed(send, _reply(response), "a whole answer", got=str(exc) or type(exc).__name__,
                               row=True) from None


def _reply(response: Any) -> flows.Reply:
    """A geventhttpclient answer as flows see it (status and headers; the body is not read here)."""
    return flows.Reply(response.status_code or 0, response.headers or {}, b"", response)


def _as_httpx(response: Any, request: httpx.Request) -> httpx.Response:
    return httpx.Response(response.status_code, headers=list((response.headers or {}).items()),
                          content=response.content or b"", request=request)


# -- pull -----------------------------------------------------------------------


class PullUser(RegistryUser):
    """Pulls a seeded image as a client does: HEAD the tag, GET manifest, config and layers."""

    abstract = True

    def on_start(self) -> None:
        super().on_start()
        self.pulls = itertools.count(self.number)  # users start on different size classes

    @task
    def pull_image(self) -> None:
        if not SETTINGS.pool:
            raise RuntimeError("no pull pool: the runner seeds one before the run")
        image = SETTINGS.pool[next(self.pulls) % len(SETTINGS.pool)]
        manifests_only = PROFILE.pull.manifests_only
        name = f"{image.label} manifests" if manifests_only else image.label
        with self.transaction("image-pull", name) as tx:
            self.drive(flows.pull_image(image.repo, image.tag, expected_digest=image.manifest_digest,
                                      blobs=not manifests_only), tx)


# -- push -----------------------------------------------------------------------

# Generated once per process, before any user starts: pushes never hash a large buffer.
_PUSH_BLOBS: dict[int, UniqueBlobs] = {}


def _make_push_blobs() -> None:
    _PUSH_BLOBS.clear()
    if PROFILE.mix.get("push") and SETTINGS.from_master:
        _PUSH_BLOBS.update({size: UniqueBlobs(f"load-push/{size}", size) for size in PROFILE.push.sizes})


_make_push_blobs()


class PushUser(RegistryUser):
    """Pushes a new image per task: a fresh layer, its config, the manifest by tag."""

    abstract = True

    def on_start(self) -> None:
        super().on_start()
        self.pushes = itertools.count()
        shared = PROFILE.push.repositories == "shared"
        own = f"push-{_PROCESS_TAG}-{self.number}"
        self.repo = f"{SETTINGS.namespace}/{'push' if shared else own}"

    @task
    def push_image(self) -> None:
        n = next(self.pushes)
        sizes, methods = PROFILE.push.sizes, PROFILE.push.methods
        size, method = sizes[n % len(sizes)], methods[(n // len(sizes)) % len(methods)]
        layer = _PUSH_BLOBS[size].next()
        config = image_config(layer.digest, [layer.digest])
        body = canonical_json({
            "schemaVersion": 2,
            "mediaType": mt.OCI_MANIFEST,
            "config": config.descriptor(),
            "layers": [{"mediaType": mt.OCI_LAYER, "digest": layer.digest, "size": layer.size}],
        })
        manifest = Manifest(body, mt.OCI_MANIFEST, (layer, config))  # type: ignore[arg-type]  # a UniqueBlob pushes like a Blob
        with self.transaction("image-push", f"{size_label(size)} {method}") as tx:
            tag = f"{_PROCESS_TAG}-{self.number}-{n}"
            self.drive(flows.push_image(self.repo, manifest, tag, blob_method=method,
                                      chunk_size=PROFILE.push.chunk_size), tx)


# -- list -----------------------------------------------------------------------


class ListUser(RegistryUser):
    """Lists the catalog (one page) and the pull pool's tags."""

    abstract = True

    @task
    def list_content(self) -> None:
        try:
            self.send(flows.Send(protocol.catalog(n=100), flows.Role.LIST, (200,)))
            if SETTINGS.pool:
                self.send(flows.Send(protocol.tags_list(SETTINGS.pool[0].repo), flows.Role.LIST, (200,)))
        except flows.FlowFailed:
            pass  # recorded on its row


USER_TYPES: dict[str, type[RegistryUser]] = {"pull": PullUser, "push": PushUser, "list": ListUser}


def _note_configs() -> None:
    global _CONFIGS
    _CONFIGS = frozenset(image.config.digest for image in SETTINGS.pool)


_note_configs()


def apply_settings(settings: LoadSettings) -> bool:
    """Take the master's settings (a worker); False when they are the ones in force already."""
    global SETTINGS, PROFILE
    if settings == SETTINGS:
        return False
    SETTINGS, PROFILE = settings, settings.profile
    _note_configs()
    _ssl_context.cache_clear()
    _token_client.cache_clear()
    _make_push_blobs()
    SETTINGS_READY.set()
    return True


def selected_users() -> dict[str, type[RegistryUser]]:
    """Concrete user classes for the profile's mix (zero-weight types left out)."""
    return {USER_TYPES[kind].__name__: _concrete(USER_TYPES[kind], weight)
            for kind, weight in PROFILE.mix.items() if weight > 0}


def every_user() -> dict[str, type[RegistryUser]]:
    """Every user type (a worker: its master names the ones to start)."""
    return {base.__name__: _concrete(base, 1) for base in USER_TYPES.values()}


def _concrete(base: type[RegistryUser], weight: int) -> type[RegistryUser]:
    return type(base.__name__, (base,), {"abstract": False, "weight": weight, "__module__": base.__module__})
