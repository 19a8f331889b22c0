"""Where a Zoho account lives: accounts, API and upload hosts, product and API version.

Zoho runs separate data centres; a refresh token only works against the accounts host of the data
centre that issued it. :meth:`Endpoints.for_data_centre` maps a data centre and environment to hosts
(the table in ``zoho-bulk-api.md`` §4.3); :meth:`Endpoints.explicit` points everything at one base URL
(the emulator, a proxy).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from syncd.errors import ConfigError

Product = Literal["crm", "bigin"]
Environment = Literal["production", "sandbox", "developer"]

# data centre -> (accounts host, API domain suffix, bulk-write upload host)
_DATA_CENTRES: dict[str, tuple[str, str, str]] = {
    "us": ("https://accounts.zoho.com", "zohoapis.com", "https://content.zohoapis.com"),
    "eu": ("https://accounts.zoho.eu", "zohoapis.eu", "https://content.zohoapis.eu"),
    "in": ("https://accounts.zoho.in", "zohoapis.in", "https://content.zohoapis.in"),
    "au": ("https://accounts.zoho.com.au", "zohoapis.com.au", "https://content.zohoapis.com.au"),
    "cn": ("https://accounts.zoho.com.cn", "zohoapis.com.cn", "https://content.zohoapis.com.cn"),
    "jp": ("https://accounts.zoho.jp", "zohoapis.jp", "https://content.zohoapis.jp"),
    "ca": ("https://accounts.zohocloud.ca", "zohoapis.ca", "https://upload.zohocloud.ca"),
    "sa": ("https://accounts.zoho.sa", "zohoapis.sa", "https://files.zoho.sa"),
}
DATA_CENTRES = tuple(_DATA_CENTRES)
_API_PREFIX: dict[str, str] = {"production": "www", "sandbox": "sandbox", "developer": "developer"}
_DEFAULT_VERSION: dict[str, str] = {"crm": "v8", "bigin": "v2"}


@dataclass(frozen=True)
class Endpoints:
    """The hosts and path scheme of one Zoho account.

    ``follow_api_domain``: use the ``api_domain`` a token response names instead of ``api_url``
    (Zoho's advice for production; sandbox and developer hosts are fixed by the environment).
    """

    accounts_url: str
    api_url: str
    upload_url: str
    product: Product = "crm"
    version: str = "v8"
    data_centre: str = "custom"
    follow_api_domain: bool = True

    @classmethod
    def for_data_centre(
        cls,
        data_centre: str = "us",
        environment: Environment = "production",
        product: Product = "crm",
        version: str | None = None,
    ) -> Endpoints:
        dc = data_centre.lower()
        if dc not in _DATA_CENTRES:
            known = ", ".join(DATA_CENTRES)
            raise ConfigError(f"unknown Zoho data centre {data_centre!r}; expected one of {known}")
        if environment not in _API_PREFIX:
            raise ConfigError(
                f"unknown Zoho environment {environment!r}; expected production, sandbox or developer"
            )
        accounts, suffix, upload = _DATA_CENTRES[dc]
        return cls(
            accounts_url=accounts,
            api_url=f"https://{_API_PREFIX[environment]}.{suffix}",
            upload_url=upload,
            product=_check_product(product),
            version=version or _DEFAULT_VERSION[product],
            data_centre=dc,
            follow_api_domain=environment == "production",
        )

    @classmethod
    def explicit(
        cls,
        base_url: str,
        *,
        api_url: str | None = None,
        upload_url: str | None = None,
        product: Product = "crm",
        version: str | None = None,
    ) -> Endpoints:
        """Every host at ``base_url`` unless given separately (the emulator serves all of them)."""
        base = base_url.rstrip("/")
        return cls(
            accounts_url=base,
            api_url=(api_url or base).rstrip("/"),
            upload_url=(upload_url or base).rstrip("/"),
            product=_check_product(product),
            version=version or _DEFAULT_VERSION[product],
            data_centre="custom",
            follow_api_domain=False,
        )

    def with_urls(
        self, *, accounts_url: str | None = None, api_url: str | None = None, upload_url: str | None = None
    ) -> Endpoints:
        """Override single hosts (a proxy, a private link); an explicit API host wins over ``api_domain``."""
        return replace(
            self,
            accounts_url=(accounts_url or self.accounts_url).rstrip("/"),
            api_url=(api_url or self.api_url).rstrip("/"),
            upload_url=(upload_url or self.upload_url).rstrip("/"),
            follow_api_domain=self.follow_api_domain and api_url is None,
        )

    @property
    def token_url(self) -> str:
        return f"{self.accounts_url}/oauth/v2/token"

    def bulk_path(self, operation: str, *parts: str) -> str:
        """``/crm/bulk/v8/read`` and below."""
        return "/".join([f"/{self.product}/bulk/{self.version}/{operation}", *parts])

    def rest_path(self, *parts: str) -> str:
        """``/crm/v8/Contacts/upsert`` and the like."""
        return "/".join([f"/{self.product}/{self.version}", *parts])

    @property
    def upload_path(self) -> str:
        return f"/{self.product}/{self.version}/upload"

    @property
    def numeric_version(self) -> float:
        """``v2.1`` -> 2.1; used to pick wire variants that changed between versions."""
        try:
            return float(self.version.lstrip("v"))
        except ValueError:
            return float(_DEFAULT_VERSION[self.product].lstrip("v"))

    def describe(self) -> str:
        """For error messages: which data centre and accounts host were used."""
        return f"data centre {self.data_centre!r}, accounts host {self.accounts_url}"


def _check_product(product: str) -> Product:
    if product == "crm":
        return "crm"
    if product == "bigin":
        return "bigin"
    raise ConfigError(f"unknown Zoho product {product!r}; expected 'crm' or 'bigin'")
