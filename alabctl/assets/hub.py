"""The Models Hub over HTTP: per-folder ``metadata.json`` (cached), archive URLs, request signing.

``public/models`` and ``@community`` folders are read anonymously; every other folder is licensed
and each request is signed with AWS SigV4 using the license's keys (research §1.1).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast
from urllib.parse import quote

import requests
from requests.auth import AuthBase

from alabctl.assets.credentials import AwsCredentials, LicenseKeys
from alabctl.assets.metadata import HubRecord, parse_index
from alabctl.files import write_atomic
from alabctl.spec.errors import PermanentError, TransientError, UsageError, UserError
from alabctl.spec.names import PUBLIC_HUB_URL, PUBLIC_REPOSITORY, Kind, url_problem
from alabctl.spec.readfile import LIMITS, FileKind, read_text, too_large

if TYPE_CHECKING:  # the manifest models load only when manifests are read
    from alabctl.spec.repository import Repository

T = TypeVar("T")

_BAD_URL = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
)
"""What requests raises for a URL it can not use: retrying will not help."""

HUB_ENV = "ALABCTL_HUB_URL"
COMMUNITY_HUB_URL = "https://s3.amazonaws.com/community.johnsnowlabs.com"
INDEX_TTL = 3600.0
"""Seconds a fetched ``metadata.json`` is reused before it is fetched again."""


def hub_url(flag: str | None, repository: Repository | None, env: Mapping[str, str] | None = None) -> str:
    """``--hub URL`` > a Hub manifest among the inputs > ``$ALABCTL_HUB_URL`` > the public bucket.

    The URL is checked before anything is fetched (:func:`url_problem`): a bad ``--hub`` or
    ``$ALABCTL_HUB_URL`` is a usage error, a bad Hub manifest url a user error at its line.
    """
    env = os.environ if env is None else env
    if flag:
        if problem := url_problem(flag):
            raise UsageError(f"--hub {flag}: {problem}", f"e.g. --hub {PUBLIC_HUB_URL}")
        return flag.rstrip("/")
    if repository is not None and repository.of_kind(Kind.HUB):
        url = repository.hub().url
        if problem := url_problem(url):
            where = repository.of_kind(Kind.HUB)[0].origin.where(("spec", "url"))
            raise UserError(f"{where}: the Hub's url {url} {problem}", f"e.g. url: {PUBLIC_HUB_URL}")
        return url
    if value := env.get(HUB_ENV):
        if problem := url_problem(value):
            raise UsageError(
                f"${HUB_ENV} is {value}, which {problem}", f"set it to e.g. {PUBLIC_HUB_URL}, or unset it"
            )
        return value.rstrip("/")
    return PUBLIC_HUB_URL


def is_licensed(folder: str) -> bool:
    """Every folder but ``public/models`` and ``@community`` ones needs the license's keys."""
    return folder != PUBLIC_REPOSITORY and not folder.startswith("@")


def sigv4(credentials: AwsCredentials) -> AuthBase:
    """A requests auth that signs each request for S3 with AWS SigV4."""
    from requests_aws4auth import AWS4Auth

    return cast(
        AuthBase,
        AWS4Auth(
            credentials.access_key_id,
            credentials.secret_access_key,
            credentials.region,
            "s3",
            session_token=credentials.session_token,
        ),
    )


class HubClient:
    """One hub: where its folders are, how to read them, and a local cache of their indexes."""

    def __init__(
        self,
        url: str,
        *,
        cache_dir: Path | None = None,
        credentials: AwsCredentials | LicenseKeys | None = None,
        refresh: bool = False,
        ttl: float = INDEX_TTL,
        timeout: float = 30.0,
        session: requests.Session | None = None,
        attempts: int = 4,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
    ) -> None:
        self.attempts, self.base_delay, self.max_delay = max(1, attempts), base_delay, max_delay
        self.url = url.rstrip("/")
        self.cache_dir = cache_dir
        self.credentials = credentials
        self.refresh = refresh
        self.ttl = ttl
        self.timeout = timeout
        self.session = session or requests.Session()
        self._indexes: dict[str, list[HubRecord]] = {}

    def folder_url(self, folder: str) -> str:
        """The URL of a folder; ``@x`` lives in the community bucket on John Snow Labs' own hub."""
        if folder.startswith("@") and self.url == PUBLIC_HUB_URL:
            return f"{COMMUNITY_HUB_URL}/{quote(folder[1:])}"
        return f"{self.url}/{quote(folder)}"

    def asset_url(self, record: HubRecord) -> str:
        """Where a record's archive is."""
        return f"{self.folder_url(record.repository)}/{quote(record.file_name)}"

    def auth(self, folder: str) -> AuthBase | None:
        """How to sign requests to ``folder``: nothing for public ones, SigV4 for licensed ones.

        The license is read here, the first time a licensed folder is requested (never for public
        ones); an error names the folder that needed it.
        """
        if not is_licensed(folder):
            return None
        if self.credentials is None:
            raise UserError(
                f"'{folder}' is a licensed hub folder and no license was given",
                "pass -f with a License manifest (fromEnv or fromFile) holding the license's AWS keys",
            )
        if isinstance(self.credentials, AwsCredentials):
            return sigv4(self.credentials)
        try:
            return sigv4(self.credentials.get())
        except UserError as exc:
            raise UserError(
                f"'{folder}' is a licensed hub folder and its license can not be used: {exc.message}",
                exc.hint,
            ) from None

    def index(self, folder: str) -> list[HubRecord]:
        """Every record of the folder's ``metadata.json`` (cached on disk for ``ttl`` seconds)."""
        if folder not in self._indexes:
            url = f"{self.folder_url(folder)}/metadata.json"
            self._indexes[folder] = parse_index(self._fetch_index(url, folder), folder, url)
        return self._indexes[folder]

    def _cache_file(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".jsonl")

    def _fetch_index(self, url: str, folder: str) -> str:
        cached = self._cache_file(url)
        if cached is not None and not self.refresh:
            try:
                if time.time() - cached.stat().st_mtime < self.ttl:
                    return read_text(cached, FileKind.HUB_INDEX)
            except (OSError, UserError):
                pass
        text = self._get_index(url, folder)
        if cached is not None:
            write_atomic(cached, text)
        return text

    def get(self, url: str, folder: str) -> requests.Response:
        """GET a small object (retried with backoff); HTTP and connection failures become alabctl errors."""
        return self._retrying(lambda: self._get_once(url, folder))

    def _get_once(self, url: str, folder: str) -> requests.Response:
        try:
            response = self.session.get(url, auth=self.auth(folder), timeout=self.timeout)
        except _BAD_URL as exc:
            raise PermanentError(f"{url} is not a URL the hub can be read at: {exc}") from None
        except requests.RequestException as exc:
            raise TransientError(f"cannot reach the hub at {self.url}: {type(exc).__name__}") from None
        check_status(response, url)
        return response

    def _get_index(self, url: str, folder: str) -> str:
        """A ``metadata.json`` read as it streams, refused past the hub index cap."""
        return self._retrying(lambda: self._get_index_once(url, folder))

    def _get_index_once(self, url: str, folder: str) -> str:
        cap = LIMITS[FileKind.HUB_INDEX]
        try:
            with self.session.get(url, auth=self.auth(folder), timeout=self.timeout, stream=True) as response:
                check_status(response, url)
                body = bytearray()
                for chunk in response.iter_content(1 << 16):
                    body += chunk
                    if len(body) > cap:
                        raise too_large(url, FileKind.HUB_INDEX)
        except _BAD_URL as exc:
            raise PermanentError(f"{url} is not a URL the hub can be read at: {exc}") from None
        except requests.RequestException as exc:
            raise TransientError(f"cannot reach the hub at {self.url}: {type(exc).__name__}") from None
        try:
            return body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PermanentError(f"{url}: the hub index is not UTF-8 text") from None

    def _retrying(self, call: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return call()
            except TransientError as exc:
                attempt += 1
                if attempt >= self.attempts:
                    raise TransientError(
                        f"{exc.message} (gave up after {attempt} attempts)",
                        hint="check the hub URL (--hub) and the network, then run the command again",
                    ) from None
                time.sleep(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))

    def head_size(self, url: str, folder: str) -> int | None:
        """The archive's size from a HEAD request, or ``None`` when the hub does not say."""
        try:
            response = self.session.head(url, auth=self.auth(folder), timeout=self.timeout)
        except requests.RequestException:
            return None
        if response.status_code != 200:
            return None
        length = response.headers.get("Content-Length", "")
        return int(length) if length.isdigit() else None


def check_status(response: requests.Response, url: str) -> None:
    """Raise the alabctl error an HTTP status means (403/404 permanent, 5xx transient)."""
    status = response.status_code
    if status < 400:
        return
    if status in (401, 403):
        raise PermanentError(
            f"the hub refused {url} (HTTP {status})",
            "licensed folders need a valid license with AWS keys; check the License manifest",
        )
    if status == 404:
        raise PermanentError(f"not found on the hub: {url}", "check the name, language and repository")
    if status >= 500 or status == 429:
        raise TransientError(f"the hub answered HTTP {status} for {url}", delay=2.0)
    raise PermanentError(f"the hub answered HTTP {status} for {url}")
