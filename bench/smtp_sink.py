#!/usr/bin/python3
"""A discarding SMTP sink for bench/fanout: aiosmtpd, answers 250 to every message and counts.

    /usr/bin/python3 bench/smtp_sink.py PORT     (runs until killed)
"""
import asyncio
import sys
import time

from aiosmtpd.controller import Controller


class Count:
    def __init__(self):
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        return "250 OK"


if __name__ == "__main__":
    c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
    c.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        c.stop()
