"""A TCP proxy that puts a registry at a distance: each direction's bytes are held for RTT/2 before they go on.

What a CI runner sees of a registry in another zone or region: every round trip costs `rtt` seconds, the
bandwidth is the machine's. Bytes keep their order; a connection closed on one side is closed on the other
once the bytes before the close have gone through. Loopback only.

    with DelayProxy("127.0.0.1", registry_port, rtt=0.05) as proxy:
        ... proxy.url ...   # http://127.0.0.1:<port>

    python benchmarks/delay_proxy.py --upstream 127.0.0.1:5000 --rtt-ms 50   # serve until interrupted
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import threading
import time
from types import TracebackType

CHUNK = 1 << 16


class DelayProxy:
    """A delaying TCP relay on a free loopback port, run by an event loop on a thread of its own."""

    def __init__(self, upstream_host: str, upstream_port: int, rtt: float, *, host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.delay = rtt / 2
        self.host = host
        self.port = 0
        self.connections = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> DelayProxy:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def start(self) -> DelayProxy:
        self._thread = threading.Thread(target=self._run, name="delay-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the delay proxy did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._accept, self.host, 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            tasks = asyncio.all_tasks(self._loop)
            for task in tasks:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._loop.close()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.close()
            return
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(self._relay(client_reader, upstream_writer),
                                 self._relay(upstream_reader, client_writer), return_exceptions=True)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read as bytes come; hand each chunk on once it has been `delay` seconds on the way."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def send() -> None:
            while True:
                due, data = await queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    with contextlib.suppress(OSError):
                        writer.close()
                    return
                writer.write(data)
                with contextlib.suppress(OSError, ConnectionError):
                    await writer.drain()

        sender = asyncio.ensure_future(send())
        try:
            while True:
                try:
                    data = await reader.read(CHUNK)
                except (OSError, ConnectionError):
                    data = b""
                queue.put_nowait((time.monotonic() + self.delay, data))
                if not data:
                    break
            await sender
        finally:
            sender.cancel()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="host:port of the registry")
    parser.add_argument("--rtt-ms", type=float, required=True)
    args = parser.parse_args()
    host, _, port = args.upstream.rpartition(":")
    with DelayProxy(host, int(port), args.rtt_ms / 1000) as proxy:
        print(f"{proxy.url} -> {args.upstream}, {args.rtt_ms:g} ms round trip", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
