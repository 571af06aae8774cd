"""The protocol flows (regsuite.flows) with no I/O, and the same flows over the real client.

Each flow runs twice: against a scripted transport (a list of answers, no
sockets), and through `RegistryClient.run` against a real distribution
registry. Both runs must send the same sequence of requests (method and role
of each exchange): the load users, the checks and the client all drive these
same functions, so what is proven here holds for every driver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from regsuite import content, flows, protocol
from regsuite.client import RegistryClient
from regsuite.content import Blob, random_bytes
from regsuite.target import Target

Script = list[tuple[int, dict[str, str]] | tuple[int, dict[str, str], bytes]]
LOC = {"Location": "/v2/r/blobs/uploads/u1"}


@dataclass
class Scripted:
    """Answers each Send with the next scripted reply; records what was sent."""

    script: Script
    sent: list[flows.Send]

    def __call__(self, send: flows.Send) -> flows.Reply:
        self.sent.append(send)
        status, headers, *body = self.script.pop(0)
        return flows.Reply(status, httpx.Headers(headers), body[0] if body else b"")


def scripted(flow: flows.Flow[object], script: Script) -> tuple[object, list[tuple[str, str]]]:
    transport = Scripted(list(script), [])
    result = flows.run(flow, transport)
    assert not transport.script, "the flow stopped before the script ended"
    return result, [(s.step.method, s.role) for s in transport.sent]


def real(client: RegistryClient, flow: flows.Flow[object]) -> tuple[object, list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []
    result = client.run(flow, observe=lambda send, _response: seen.append((send.step.method, send.role)))
    return result, seen


BLOB = Blob(random_bytes("flows/blob", 2500))


def two_image_index(seed: str) -> content.Manifest:
    return content.index([content.image(f"{seed}/a", layers=1), content.image(f"{seed}/b", layers=2)])
FLOW_CASES: dict[str, tuple[Callable[[str], flows.Flow[object]], Script]] = {
    "post-put": (lambda repo: flows.post_put(repo, BLOB), [(202, LOC), (201, LOC)]),
    "post-digest (falls back on 202)": (lambda repo: flows.post_digest(repo, BLOB), [(202, LOC), (201, LOC)]),
    "chunked": (
        lambda repo: flows.chunked(repo, BLOB, chunk_size=1000),
        [(202, LOC), (202, LOC), (202, LOC), (202, LOC), (201, LOC)],
    ),
    "chunked, last chunk in the PUT": (
        lambda repo: flows.chunked(repo, BLOB, chunk_size=1000, last_in_put=True),
        [(202, LOC), (202, LOC), (202, LOC), (201, LOC)],
    ),
    "stream": (lambda repo: flows.stream(repo, BLOB), [(202, LOC), (202, LOC), (201, LOC)]),
    "resumable": (
        lambda repo: flows.resumable(repo, BLOB, chunk_size=1000),
        [(202, LOC), (202, LOC), (204, {**LOC, "Range": "0-999"}), (202, LOC), (202, LOC), (201, LOC)],
    ),
}


def test_a_chunked_push_never_sends_a_chunk_below_the_registrys_minimum() -> None:
    script: Script = [(202, {**LOC, "OCI-Chunk-Min-Length": "1024"}), (202, LOC), (202, LOC), (202, LOC), (201, LOC)]
    transport = Scripted(script, [])
    flows.run(flows.chunked("r", BLOB, chunk_size=100), transport)
    ranges = [s.step.headers.get("Content-Range") for s in transport.sent if s.role == "chunk"]
    assert ranges == ["0-1023", "1024-2047", "2048-2499"]


def test_post_digest_that_answers_201_sends_nothing_more() -> None:
    result, sent = scripted(flows.post_digest("r", BLOB), [(201, LOC)])
    assert sent == [("POST", "post-digest")] and isinstance(result, flows.Reply) and result.status == 201


@pytest.mark.parametrize("mounted", [True, False], ids=["mounted", "falls-back-to-upload"])
def test_mount(mounted: bool) -> None:
    script: Script = [(201, LOC)] if mounted else [(202, LOC), (201, LOC)]
    _, sent = scripted(flows.mount("r", BLOB, "other"), script)
    assert sent == ([("POST", "mount")] if mounted else [("POST", "mount"), ("PUT", "finish")])


def test_resumable_push_after_a_refused_skip_ahead_resumes_from_the_reported_offset() -> None:
    script: Script = [(202, LOC), (202, LOC), (416, {}), (204, {**LOC, "Range": "0-999"}), (202, LOC), (202, LOC),
                      (201, LOC)]
    transport = Scripted(script, [])
    flows.run(flows.resumable("r", BLOB, chunk_size=1000, skip_ahead=True), transport)
    assert [s.role for s in transport.sent] == ["start", "chunk", "skip-ahead", "status", "resume", "resume", "finish"]
    assert [s.step.headers.get("Content-Range") for s in transport.sent if s.role == "resume"] == [
        "1000-1999", "2000-2499"]


def test_an_answer_the_flow_cannot_go_on_from_names_the_step() -> None:
    with pytest.raises(flows.FlowFailed, match="chunk: expected 202, got 416 PATCH"):
        scripted(flows.chunked("r", BLOB, chunk_size=1000), [(202, LOC), (416, {})])
    with pytest.raises(flows.FlowFailed, match="start: expected 202 with a Location header"):
        scripted(flows.post_put("r", BLOB), [(202, {})])


def test_a_relative_location_resolves_against_the_request() -> None:
    transport = Scripted([(202, {"Location": "u1?state=abc"}), (201, LOC)], [])
    flows.run(flows.post_put("r", BLOB), transport)
    assert transport.sent[1].step.path.startswith("/v2/r/blobs/uploads/u1?state=abc&digest=")


def test_push_image_uploads_only_what_is_missing_children_first() -> None:
    index = two_image_index("flows/index")
    script: Script = []
    read = (200, {"Docker-Content-Digest": "sha256:x"})  # a read-back that names what it serves
    for i, child in enumerate(index.children):
        for j, _ in enumerate(child.blobs):
            script += [(200, {})] if (i, j) == (0, 0) else [(404, {}), (202, LOC), (201, LOC), read]
        script.append((201, {}))
    script.append((201, {"Location": "/v2/r/manifests/v1"}))
    script.append((200, {}, b"{}"))  # a manifest is read back whole
    writes: list[flows.Write] = []
    _, sent = scripted(flows.reading_back(flows.push_image("r", index, "v1"), writes), script)
    blobs = index.all_blobs()
    assert sent.count(("HEAD", "blob-exists")) == len(blobs), "every blob asked about once"
    assert sent[-2:] == [("PUT", "manifest-put"), ("GET", "read-back")]
    assert len(writes) == len(blobs) - 1 + len(index.children) + 1  # every upload and manifest PUT
    assert [len(w.read) for w in writes].count(0) == len(index.children), "no Location, nothing to read back"
    assert writes[-1].send.wrote == flows.Written("r", protocol.Kind.MANIFESTS, index.digest, index.size, "v1",
                                                  index.media_type)
    assert writes[0].read[0][0].step.path == LOC["Location"] and writes[0].read[0][0].follow
    assert [s.step.method for s, _ in writes[0].read] == ["HEAD"], "a HEAD naming the digest is enough for a blob"


def test_a_blob_head_naming_no_digest_is_read_whole() -> None:
    script: Script = [(202, LOC), (201, LOC), (200, {}), (200, {}, BLOB.data)]
    writes: list[flows.Write] = []
    _, sent = scripted(flows.reading_back(flows.post_put("r", BLOB), writes), script)
    assert sent[-2:] == [("HEAD", "read-back"), ("GET", "read-back")] and len(writes[0].read) == 2


def test_pull_image_walks_an_index_to_every_blob() -> None:
    index = two_image_index("flows/pull")
    script: Script = [(200, {"Docker-Content-Digest": index.digest}), (200, {}, index.body)]
    for child in index.children:
        script.append((200, {}, child.body))
        script += [(200, {})] * len(child.blobs)
    pulled, sent = scripted(flows.pull_image("r", "v1"), script)
    assert isinstance(pulled, flows.Pulled)
    assert pulled.manifests == 1 + len(index.children) and pulled.blobs == sum(len(c.blobs) for c in index.children)
    assert sent[0] == ("HEAD", "manifest-head")


def test_delete_image_goes_parents_first_and_stops_when_deletes_are_off() -> None:
    index = two_image_index("flows/delete")
    transport = Scripted([(202, {})] * (2 + len(index.tree())) + [(202, {})] * len(index.all_blobs()), [])
    done = flows.run(flows.delete_image("r", index, tags=["v1"]), transport)
    paths = [s.step.path for s in transport.sent]
    assert paths[0] == "/v2/r/manifests/v1" and paths[1] == f"/v2/r/manifests/{index.digest}"
    assert all("/blobs/" in p for p in paths[1 + len(index.tree()) :])
    assert done.manifests == 1 + len(index.tree()) and not done.disabled
    off = Scripted([(405, {})], [])
    assert flows.run(flows.delete_image("r", index), off).disabled and len(off.sent) == 1


def test_list_all_follows_link_to_the_end() -> None:
    script: Script = [
        (200, {"Link": '</v2/r/tags/list?n=2&last=b>; rel="next"'}, b'{"tags": ["a", "b"]}'),
        (200, {}, b'{"tags": ["c"]}'),
    ]
    items, sent = scripted(flows.list_all(protocol.tags_list("r", n=2), "tags"), script)
    assert items == ["a", "b", "c"] and len(sent) == 2


# -- the same flows over the real client ----------------------------------------------------------------


@pytest.fixture
def client(shared_distribution: Target) -> Iterator[RegistryClient]:
    with RegistryClient(shared_distribution) as c:
        yield c


@pytest.mark.parametrize("case", list(FLOW_CASES), ids=list(FLOW_CASES))
def test_the_real_client_sends_what_the_script_expects(client: RegistryClient, case: str) -> None:
    make, script = FLOW_CASES[case]
    repo = f"selftest/flows/{abs(hash(case)) % 10**8}"
    _, expected = scripted(make(repo), script)
    reply, sent = real(client, make(repo))
    assert sent == expected
    assert isinstance(reply, flows.Reply) and reply.status == 201
    assert client.get_blob(repo, BLOB.digest).content == BLOB.data


def test_the_real_client_pushes_pulls_and_deletes_an_image(client: RegistryClient) -> None:
    repo, index = "selftest/flows/image", two_image_index("flows/real-image")
    real(client, flows.push_image(repo, index, "v1"))
    pulled, sent = real(client, flows.pull_image(repo, "v1"))
    assert isinstance(pulled, flows.Pulled) and pulled.digest == index.digest
    assert pulled.blobs == sum(len(c.blobs) for c in index.children)
    tags, _ = real(client, flows.list_all(protocol.tags_list(repo, n=1), "tags"))
    assert tags == ["v1"]
    done, _ = real(client, flows.delete_image(repo, index, tags=["v1"]))
    assert isinstance(done, flows.Deleted) and done.blobs == len(index.all_blobs()), done.problems
    assert client.head_manifest(repo, index.digest).status_code == 404


def test_push_image_into_a_repository_whose_blobs_are_known_sends_no_head() -> None:
    image = content.image("flows/known", layers=2)
    shared = image.blobs[0].digest  # say the config is there already
    script: Script = [(202, LOC), (201, LOC)] * (len(image.blobs) - 1) + [(201, {})]
    _, sent = scripted(flows.push_image("r", image, "v1", present={shared}, ask=False), script)
    assert ("HEAD", "blob-exists") not in sent
    assert sent.count(("POST", "start")) == len(image.blobs) - 1
