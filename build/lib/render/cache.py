"""Rendered bytes kept in memory by (kind, content hash), and a way to render off the event loop.

Renderers stay pure; this wraps them. Rendering is deterministic, so a hit is exactly what a render would give,
and any worker may fill its own cache. Bounded by entries and bytes, least recently used out first.

Handlers call `render_png` / `render_pdf`: a hit is answered on the loop at once, a miss renders in a thread.
"""

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from render.certificate import Certificate, content_hash
from render.pdf import Engine, certificate_pdf
from render.png import certificate_png

Renderer = Callable[[Certificate], bytes]


class RenderCache:
    def __init__(self, max_entries: int = 256, max_bytes: int = 64 * 2**20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._size = 0
        # Renders run in worker threads (render_in_thread), so the dict and the byte count move together.
        self._lock = threading.Lock()

    def get(self, kind: str, digest: str) -> bytes | None:
        with self._lock:
            value = self._entries.get((kind, digest))
            if value is not None:
                self._entries.move_to_end((kind, digest))
            return value

    def put(self, kind: str, digest: str, value: bytes) -> None:
        if len(value) > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop((kind, digest), None)
            self._size -= len(old) if old is not None else 0
            self._entries[(kind, digest)] = value
            self._size += len(value)
            while len(self._entries) > self.max_entries or self._size > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted)

    def render(self, kind: str, renderer: Renderer, data: Certificate) -> bytes:
        """The cached bytes of `renderer(data)`; `kind` must name the renderer and every option it was given."""
        digest = content_hash(data)
        value = self.get(kind, digest)
        if value is None:
            # Two callers missing at once both render; the bytes are identical, so the second put is harmless.
            value = renderer(data)
            self.put(kind, digest, value)
        return value

    async def render_async(self, kind: str, renderer: Renderer, data: Certificate) -> bytes:
        """As `render`, with a miss rendered in a worker thread; a hit never waits behind a render."""
        digest = content_hash(data)
        value = self.get(kind, digest)
        if value is None:
            value = await render_in_thread(renderer, data)
            self.put(kind, digest, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0

    def __len__(self) -> int:
        return len(self._entries)


default_cache = RenderCache()
# Rendering holds the GIL most of the time, so more threads only slow the event loop down: measured here with
# 12 renders queued, the default pool (6 threads) let the loop stall up to 240 ms, two threads 90 ms, for the same
# total time. Two rather than one, so a 300-row PDF does not hold up every other certificate.
_render_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="render")


def cached_png(data: Certificate) -> bytes:
    return default_cache.render("png", certificate_png, data)


def cached_pdf(data: Certificate, engine: Engine = "weasyprint") -> bytes:
    return default_cache.render(f"pdf:{engine}", partial(certificate_pdf, engine=engine), data)


async def render_png(data: Certificate) -> bytes:
    """The phone image, cached, rendered off the event loop: what a handler awaits."""
    return await default_cache.render_async("png", certificate_png, data)


async def render_pdf(data: Certificate, engine: Engine = "weasyprint") -> bytes:
    """The A4 PDF, cached, rendered off the event loop: what a handler awaits."""
    return await default_cache.render_async(f"pdf:{engine}", partial(certificate_pdf, engine=engine), data)


async def render_in_thread(fn: Renderer, data: Certificate) -> bytes:
    """Run a render in the render threads so the event loop keeps answering webhooks."""
    return await asyncio.get_running_loop().run_in_executor(_render_threads, fn, data)
