"""Benchmark: alabctl's downloader against ``curl`` on the same files from the same local hub.

Builds archives totalling ``--size-mb`` (random, incompressible bytes inside real zips), serves them
from a separate process (sendfile), then times: alabctl's ``fetch`` + ``verify`` (SHA-256 and MD5
hashed while streaming), a full ``hub pull`` (download + safe unzip + install), and ``curl -s -o``.
Prints MB/s for each and the ratio to curl (aim: >= 0.8).

    .venv/bin/python bench/hub.py --size-mb 500
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import requests

from alabctl.assets.download import RetryPolicy, fetch, verify
from alabctl.assets.home import Home
from alabctl.assets.hub import HubClient
from alabctl.assets.pull import Puller, PullOptions, Target
from alabctl.assets.store import Store

SERVER = r"""
import http.server, os, sys
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
    def copyfile(self, source, outputfile):
        outputfile.flush()
        self.connection.sendfile(source)
os.chdir(sys.argv[2])
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def build(root: Path, total_mb: int, files: int) -> list[str]:
    folder = root / "public" / "models"
    folder.mkdir(parents=True)
    per = max(1, total_mb * 1_000_000 // files)
    lines, names = [], []
    for i in range(files):
        name = f"bench_model_{i}"
        key = f"{name}_en_4.4.0_3.0_{1_690_000_000_000 + i}"
        with zipfile.ZipFile(folder / f"{key}.zip", "w", zipfile.ZIP_STORED) as zf:
            zf.writestr(
                "metadata/part-00000", json.dumps({"class": "x.NerDLModel", "uid": f"u{i}", "paramMap": {}})
            )
            with zf.open("fields/weights/part-00000", "w", force_zip64=True) as out:
                left = per
                while left > 0:
                    chunk = os.urandom(min(left, 1 << 22))
                    out.write(chunk)
                    left -= len(chunk)
        size = (folder / f"{key}.zip").stat().st_size
        lines.append(
            json.dumps(
                {
                    "name": name,
                    "language": "en",
                    "libVersion": {"parts": [4, 4, 0]},
                    "sparkVersion": {"parts": [3, 0]},
                    "readyToUse": True,
                    "time": 1_690_000_000_000 + i,
                    "isZipped": True,
                    "size": size,
                }
            )
        )
        names.append(name)
    (folder / "metadata.json").write_text("\n".join(lines) + "\n")
    return names


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str) -> None:
    for _ in range(100):
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise SystemExit("the bench server did not start")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--files", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="alabctl-bench-"))
    server = None
    try:
        names = build(work / "hub", args.size_mb, args.files)
        files = sorted((work / "hub/public/models").glob("*.zip"))
        total = sum(f.stat().st_size for f in files) / 1e6
        port = free_port()
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(port), str(work / "hub")])
        url = f"http://127.0.0.1:{port}"
        wait_up(url + "/public/models/metadata.json")
        print(f"{len(files)} archives, {total:.0f} MB, served from {url}")

        session = requests.Session()
        out = work / "out"
        out.mkdir()
        start = time.perf_counter()
        for f in files:
            dest = out / f.name
            digest = fetch(
                session, f"{url}/public/models/{f.name}", dest, retry=RetryPolicy(), size=f.stat().st_size
            )
            verify(digest, size=f.stat().st_size)
            dest.unlink()
        alab = total / (time.perf_counter() - start)
        print(f"alabctl fetch+verify (sha256):     {alab:8.1f} MB/s")

        home = Home(work / "home")
        puller = Puller(home, HubClient(url, cache_dir=home.hub_cache), Store(home.db), PullOptions())
        start = time.perf_counter()
        puller.pull([Target(n) for n in names])
        pull = total / (time.perf_counter() - start)
        print(f"alabctl hub pull (+unzip, install, {PullOptions().workers} workers): {pull:8.1f} MB/s")

        curl = shutil.which("curl")
        if curl:
            start = time.perf_counter()
            for f in files:
                subprocess.run(
                    [curl, "-s", "-o", str(out / f.name), f"{url}/public/models/{f.name}"], check=True
                )
                (out / f.name).unlink()
            rate = total / (time.perf_counter() - start)
            print(f"curl -s -o:                        {rate:8.1f} MB/s")
            print(f"ratio alabctl fetch / curl:        {alab / rate:8.2f}")
        else:
            print("curl not found: no comparison")
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
