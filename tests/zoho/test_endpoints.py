from __future__ import annotations

import pytest

from syncd.errors import ConfigError
from syncd.zoho import DATA_CENTRES, Endpoints


@pytest.mark.parametrize(
    ("dc", "accounts", "api", "upload"),
    [
        ("us", "https://accounts.zoho.com", "https://www.zohoapis.com", "https://content.zohoapis.com"),
        ("eu", "https://accounts.zoho.eu", "https://www.zohoapis.eu", "https://content.zohoapis.eu"),
        ("in", "https://accounts.zoho.in", "https://www.zohoapis.in", "https://content.zohoapis.in"),
        (
            "au",
            "https://accounts.zoho.com.au",
            "https://www.zohoapis.com.au",
            "https://content.zohoapis.com.au",
        ),
        (
            "cn",
            "https://accounts.zoho.com.cn",
            "https://www.zohoapis.com.cn",
            "https://content.zohoapis.com.cn",
        ),
        ("jp", "https://accounts.zoho.jp", "https://www.zohoapis.jp", "https://content.zohoapis.jp"),
        ("ca", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca", "https://upload.zohocloud.ca"),
        ("sa", "https://accounts.zoho.sa", "https://www.zohoapis.sa", "https://files.zoho.sa"),
    ],
)
def test_every_data_centre_maps_to_its_hosts(dc: str, accounts: str, api: str, upload: str) -> None:
    endpoints = Endpoints.for_data_centre(dc.upper())
    assert (endpoints.accounts_url, endpoints.api_url, endpoints.upload_url) == (accounts, api, upload)
    assert endpoints.token_url == accounts + "/oauth/v2/token"
    assert endpoints.follow_api_domain


def test_all_eight_data_centres_are_known() -> None:
    assert set(DATA_CENTRES) == {"us", "eu", "in", "au", "cn", "jp", "ca", "sa"}


@pytest.mark.parametrize("environment", ["sandbox", "developer"])
def test_sandbox_and_developer_use_their_own_api_host_with_the_same_accounts(environment: str) -> None:
    endpoints = Endpoints.for_data_centre("eu", environment)  # type: ignore[arg-type]
    assert endpoints.api_url == f"https://{environment}.zohoapis.eu"
    assert endpoints.accounts_url == "https://accounts.zoho.eu"
    assert not endpoints.follow_api_domain


def test_paths_follow_product_and_version() -> None:
    crm = Endpoints.for_data_centre("us")
    assert crm.bulk_path("read", "42", "result") == "/crm/bulk/v8/read/42/result"
    assert crm.rest_path("Contacts", "upsert") == "/crm/v8/Contacts/upsert"
    assert crm.upload_path == "/crm/v8/upload"
    bigin = Endpoints.for_data_centre("us", product="bigin")
    assert bigin.bulk_path("write") == "/bigin/bulk/v2/write"
    assert Endpoints.explicit("http://127.0.0.1:1/", version="v7").bulk_path("read") == "/crm/bulk/v7/read"


def test_unknown_data_centre_environment_or_product_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown Zoho data centre 'mars'"):
        Endpoints.for_data_centre("mars")
    with pytest.raises(ConfigError, match="environment"):
        Endpoints.for_data_centre("us", "staging")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="product"):
        Endpoints.explicit("http://x", product="desk")  # type: ignore[arg-type]


def test_single_hosts_can_be_overridden_and_an_explicit_api_host_wins() -> None:
    endpoints = Endpoints.for_data_centre("eu").with_urls(api_url="https://proxy.example/")
    assert endpoints.api_url == "https://proxy.example"
    assert endpoints.accounts_url == "https://accounts.zoho.eu"
    assert not endpoints.follow_api_domain
    assert Endpoints.for_data_centre("eu").with_urls(upload_url="https://up.example").follow_api_domain
