"""The local development SMTP server: accepts every message on 127.0.0.1 and keeps each one as a file.

    python -m devservices.mailserver --maildir DIR --port PORT

`ocop services start` runs it in the background (devservices/local.py); devservices/mailbox.py reads what it
keeps. Each message is written as `<receive time in ns>-<random>.eml`, first under a hidden name and then
renamed, so a reader never sees half a message; the name sorts by arrival. Above the message as received go
`Return-Path` and one `Delivered-To` per envelope recipient, as a real mail server would add them. The server
answers 250 only once the file is in place: a sender that was told "accepted" finds the message there.
Nothing is relayed anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import time
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"
MAX_MESSAGE_BYTES = 10 * 1024 * 1024


class MaildirHandler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        trace = [f"Return-Path: <{envelope.mail_from or ''}>"]
        trace += [f"Delivered-To: {recipient}" for recipient in envelope.rcpt_tos]
        data = ("\r\n".join(trace) + "\r\n").encode() + content
        await asyncio.to_thread(self._write, data)
        return "250 Message accepted for delivery"

    def _write(self, data: bytes) -> None:
        name = f"{time.time_ns()}-{secrets.token_hex(4)}.eml"
        partial = self.directory / f".{name}.partial"
        with partial.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, self.directory / name)


async def serve(directory: Path, port: int) -> None:
    handler = MaildirHandler(directory)
    loop = asyncio.get_running_loop()

    def factory() -> Any:
        return SMTP(
            handler,
            data_size_limit=MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,
            hostname="ocop-mail.local",
            ident="OCOP development mail server",
        )

    server = await loop.create_server(factory, host=HOST, port=port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local SMTP server that keeps every message as a file.")
    parser.add_argument("--maildir", type=Path, required=True, help="directory for the received messages")
    parser.add_argument("--port", type=int, required=True, help=f"port on {HOST}")
    args = parser.parse_args(argv)
    args.maildir.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.maildir, args.port))


if __name__ == "__main__":
    main()
