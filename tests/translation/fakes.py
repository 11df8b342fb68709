"""Test doubles for the translation layer: local HTTP servers that speak the OpenAI chat and
LibreTranslate APIs, a deterministic pseudo-translator behind them, and an in-process engine.

The pseudo-translation is not a translation; it produces text *shaped* like one (target
script, proportionate length, placeholders kept) so the pipeline's checks pass or fail for
the reasons each test sets up.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from redbridge.translation.engine import EngineError, SourceLang, TargetLang, base_language
from redbridge.translation.protect import PLACEHOLDER_RE

_HAN_RUN = re.compile("[\u4e00-\u9fff]+")
_LATIN_WORD = re.compile("[A-Za-z]+")

_TO_ASCII = str.maketrans({"，": ", ", "。": ". ", "！": "! ", "？": "? ", "：": ": "})

ESSAY = (
    "Sure! Here is an essay about why this platform is the best, as you asked.\n\n"
    + "It is important to remember that every community needs good rules. " * 12
)


def pseudo_translate(text: str, target: str) -> str:
    """Han runs become English words (to English), Latin words become Han characters (to
    Chinese); placeholders and everything else stay."""
    parts = re.split(f"({PLACEHOLDER_RE.pattern})", text)
    out: list[str] = []
    for part in parts:
        if part is None:
            continue
        if PLACEHOLDER_RE.fullmatch(part):
            out.append(part)
        elif re.fullmatch(r"\d+", part):
            continue  # the capture group of the index
        elif target == "en":
            words = _HAN_RUN.sub(lambda m: " ".join(["good"] * len(m.group(0))), part)
            out.append(words.translate(_TO_ASCII))
        else:
            out.append(_LATIN_WORD.sub(lambda m: "好" * max(1, len(m.group(0)) // 3), part))
    return "".join(out)


@dataclass
class FakeEngine:
    """An in-process engine with the pseudo-translator; records every batch it is given."""

    name: str = "fake:1"
    sees_placeholders: bool = True
    instructable: bool = False
    max_segment_chars: int = 400
    max_segment_sentences: int = 1
    fail_with: str | None = None
    drop_last: bool = False
    transform: Callable[[str, TargetLang], str] | None = None
    batches: list[list[str]] = field(default_factory=list)

    def supports(self, source: SourceLang, target: TargetLang) -> bool:
        return source != base_language(target)

    def translate_batch(self, texts: Sequence[str], source: SourceLang, target: TargetLang) -> list[str]:
        self.batches.append(list(texts))
        if self.fail_with:
            raise EngineError(self.fail_with)
        transform = self.transform or pseudo_translate
        outputs = [transform(text, target) for text in texts]
        return outputs[:-1] if self.drop_last else outputs


@dataclass
class FakeServer:
    """What a test can see of a running fake server."""

    url: str
    requests: list[dict[str, Any]]
    mode: dict[str, str]
    release: threading.Event
    # Called in the server thread before each answer (a test's fake clock advances here).
    on_request: list[Callable[[], None]] = field(default_factory=list)


def _target_from_prompt(system: str) -> str:
    match = re.search(r"into (English|Simplified Chinese|Traditional Chinese|Chinese)\.", system)
    assert match, system
    return "en" if match.group(1) == "English" else "zh"


def _chat_answer(mode: str, body: dict[str, Any]) -> tuple[int, Any, float]:
    """(status, JSON body or raw str, seconds to stall before answering)."""
    system = body["messages"][0]["content"]
    text = json.loads(body["messages"][1]["content"])["text"]
    target = _target_from_prompt(system)
    content: str
    if mode == "good":
        content = json.dumps({"translation": pseudo_translate(text, target)}, ensure_ascii=False)
    elif mode == "fenced":
        content = "```json\n" + json.dumps({"translation": pseudo_translate(text, target)}, ensure_ascii=False) + "\n```"
    elif mode == "essay-json":
        content = json.dumps({"translation": ESSAY})
    elif mode == "essay-plain" or (mode.startswith("essay-for:") and mode.removeprefix("essay-for:") in text):
        content = ESSAY
    elif mode.startswith("essay-for:"):
        content = json.dumps({"translation": pseudo_translate(text, target)}, ensure_ascii=False)
    elif mode == "preface":
        content = json.dumps({"translation": "Here is the translation: " + pseudo_translate(text, target)})
    elif mode == "untranslated":
        content = json.dumps({"translation": text}, ensure_ascii=False)
    elif mode == "drop-placeholder":
        content = json.dumps({"translation": PLACEHOLDER_RE.sub("", pseudo_translate(text, target))},
                             ensure_ascii=False)
    elif mode == "duplicate-placeholder":
        translated = pseudo_translate(text, target)
        first = PLACEHOLDER_RE.search(translated)
        content = json.dumps({"translation": translated + (" " + first.group(0) if first else "")},
                             ensure_ascii=False)
    elif mode == "extra-key":
        content = json.dumps({"translation": pseudo_translate(text, target), "note": "I kept the names."})
    elif mode == "huge":
        return 200, json.dumps({"translation": "x" * (1 << 20)}), 0.0
    elif mode == "length":
        content = json.dumps({"translation": pseudo_translate(text, target)[:3]}, ensure_ascii=False)
        return 200, {"choices": [{"message": {"role": "assistant", "content": content}, "finish_reason": "length"}]}, 0.0
    elif mode == "500":
        return 500, {"error": "boom"}, 0.0
    elif mode == "slow":
        return 200, {}, 30.0
    else:
        raise AssertionError(mode)
    return 200, {"choices": [{"message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}, 0.0


def _libre_answer(mode: str, body: dict[str, Any]) -> tuple[int, Any, float]:
    target = "en" if body["target"] == "en" else "zh"
    if mode == "good":
        return 200, {"translatedText": [pseudo_translate(q, target) for q in body["q"]]}, 0.0
    if mode == "short":
        return 200, {"translatedText": [pseudo_translate(q, target) for q in body["q"]][:-1]}, 0.0
    if mode == "500":
        return 500, {"error": "boom"}, 0.0
    if mode == "slow":
        return 200, {}, 30.0
    raise AssertionError(mode)


@contextmanager
def serve(kind: str, mode: str = "good") -> Iterator[FakeServer]:
    """Run a fake ``kind`` ("chat" or "libre") server on loopback in a thread.

    ``mode`` may be changed while it runs (``server.mode["mode"] = "500"``). Mode "trickle"
    sends a 200 and then one byte at a time, forever (until the test ends).
    """
    requests: list[dict[str, Any]] = []
    hooks: list[Callable[[], None]] = []
    state = {"mode": mode}
    release = threading.Event()
    answer = _chat_answer if kind == "chat" else _libre_answer
    path = "/v1/chat/completions" if kind == "chat" else "/translate"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            requests.append(body)
            if self.path != path:
                self.send_response(404)
                self.end_headers()
                return
            if state["mode"] == "trickle":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                while not release.wait(0.05):
                    try:
                        self.wfile.write(b" ")
                        self.wfile.flush()
                    except OSError:
                        return
                return
            for hook in hooks:
                hook()
            status, payload, stall = answer(state["mode"], body)
            if stall and release.wait(stall):
                return
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield FakeServer(base + ("/v1" if kind == "chat" else ""), requests, state, release, hooks)
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
