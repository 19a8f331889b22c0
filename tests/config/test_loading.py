from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from syncd.config import (
    Constant,
    Cron,
    FindByLookup,
    Interval,
    PipelineLookup,
    SourceField,
    SyncdConfig,
    load_config,
    parse_config,
    parse_duration,
)
from syncd.config.schedule import format_duration
from syncd.engine.model import ConflictPolicy, DeletePolicy, Direction, WritePath
from syncd.errors import ConfigError

ZOHO = '[zoho]\nclient_id = "1000.ABC"\nclient_secret = "s3cret-value"\nrefresh_token = "1000.rt-value"\n'
PIPELINE = """
[connectors.shop]
type = "csv"
directory = "/srv/shop"
password = "hunter2"

[pipelines.contacts]
connector = "shop"
stream = "customers"
module = "Contacts"
find_by = "Email"

[pipelines.contacts.fields]
Email = "email"
"""


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path)}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "syncd.toml"
    path.write_text(text)
    return path


def load(tmp_path: Path, text: str, **environ: str) -> SyncdConfig:
    return load_config(write(tmp_path, text), environ={"HOME": str(tmp_path), **environ})


def problem(tmp_path: Path, text: str, **environ: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, **environ)
    return str(caught.value)


def test_a_minimal_file_gets_the_documented_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, ZOHO + PIPELINE)
    assert config.state.url == f"sqlite:///{tmp_path}/.local/state/syncd/syncd.sqlite"
    assert (config.zoho.product, config.zoho.data_centre, config.zoho.api_version) == ("crm", "us", "v8")
    assert (config.credits.daily_limit, config.credits.reserve) == (50_000, 5_000)
    pipeline = config.pipelines["contacts"]
    assert pipeline.direction is Direction.BOTH
    assert pipeline.conflict_policy is ConflictPolicy.NEWEST_WINS
    assert pipeline.delete_policy is DeletePolicy.OFF
    assert pipeline.path is WritePath.AUTO
    assert pipeline.schedule == Interval(timedelta(minutes=15))
    assert pipeline.full_snapshot_every == timedelta(days=1)
    assert pipeline.fields == {"Email": SourceField(source="email")}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"STATE_DIRECTORY": "/var/lib/syncd:/var/lib/other"}, "sqlite:////var/lib/syncd/syncd.sqlite"),
        ({"XDG_STATE_HOME": "/home/op/.state"}, "sqlite:////home/op/.state/syncd/syncd.sqlite"),
    ],
)
def test_the_state_store_defaults_to_the_state_directory(
    tmp_path: Path, environ: dict[str, str], expected: str
) -> None:
    assert load(tmp_path, ZOHO, **environ).state.url == expected


def test_environment_variables_are_interpolated(tmp_path: Path) -> None:
    text = ZOHO.replace('"1000.ABC"', '"${CLIENT}"') + '[state]\nurl = "${DB:-sqlite:///x.db}?$$"\n'
    config = load(tmp_path, text, CLIENT="1000.FROM-ENV")
    assert config.zoho.client_id == "1000.FROM-ENV"
    assert config.state.url == "sqlite:///x.db?$"


def test_a_missing_environment_variable_names_the_file_key_and_variable(tmp_path: Path) -> None:
    message = problem(tmp_path, ZOHO.replace('"s3cret-value"', '"${ZOHO_SECRET}"'))
    assert (
        message
        == f"{tmp_path}/syncd.toml: zoho.client_secret: the environment variable ZOHO_SECRET is not set"
    )


def test_file_keys_read_secrets_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("from-a-file\n")
    config = load(tmp_path, ZOHO.replace('client_secret = "s3cret-value"', 'client_secret_file = "secret"'))
    assert config.zoho.client_secret is not None
    assert config.zoho.client_secret.get_secret_value() == "from-a-file"


def test_file_keys_work_for_connector_options_too(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("pa55")
    config = load(tmp_path, ZOHO + PIPELINE.replace('password = "hunter2"', 'password_file = "pw"'))
    assert config.connectors["shop"].options["password"] == "pa55"


def test_a_value_and_its_file_key_together_are_refused(tmp_path: Path) -> None:
    message = problem(tmp_path, ZOHO + 'client_secret_file = "secret"\n')
    assert "zoho.client_secret_file: set either client_secret or client_secret_file, not both" in message


def test_an_unreadable_secret_file_is_named(tmp_path: Path) -> None:
    message = problem(
        tmp_path, ZOHO.replace('refresh_token = "1000.rt-value"', 'refresh_token_file = "nope"')
    )
    assert f"zoho.refresh_token_file: cannot read {tmp_path}/nope: No such file or directory" in message


def test_systemd_credentials_fill_in_missing_zoho_secrets(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "zoho_client_secret").write_text("from-systemd\n")
    (credentials / "zoho_refresh_token").write_text("rt-from-systemd")
    config = load(tmp_path, '[zoho]\nclient_id = "1000.ABC"\n', CREDENTIALS_DIRECTORY=str(credentials))
    assert config.zoho.client_secret is not None and config.zoho.refresh_token is not None
    assert config.zoho.client_secret.get_secret_value() == "from-systemd"
    assert config.zoho.refresh_token.get_secret_value() == "rt-from-systemd"


def test_secrets_never_show_in_repr(tmp_path: Path) -> None:
    config = load(tmp_path, ZOHO + PIPELINE)
    shown = repr(config)
    for secret in ("s3cret-value", "1000.rt-value", "hunter2"):
        assert secret not in shown


def test_secrets_are_not_echoed_in_errors(tmp_path: Path) -> None:
    message = problem(tmp_path, ZOHO.replace('refresh_token = "1000.rt-value"', "refresh_token = 12345"))
    assert "zoho.refresh_token: Input should be a valid string" in message
    assert "12345" not in message


def test_missing_credentials_are_required_unless_the_emulator_is_used(tmp_path: Path) -> None:
    message = problem(tmp_path, '[zoho]\nclient_id = "x"\n')
    assert "zoho.client_secret: is required (set client_secret, client_secret_file" in message
    assert "zoho.refresh_token: is required" in message
    assert load(tmp_path, "[zoho]\nemulator = true\n").zoho.emulator


def test_the_embedded_emulator_and_explicit_urls_exclude_each_other(tmp_path: Path) -> None:
    message = problem(tmp_path, '[zoho]\nemulator = true\napi_url = "http://127.0.0.1:8700"\n')
    assert "zoho.api_url: emulator = true starts the embedded emulator" in message


def test_a_missing_zoho_section_is_an_error_not_a_silent_emulator(tmp_path: Path) -> None:
    assert f"{tmp_path}/syncd.toml: zoho: is required" in problem(tmp_path, "")


def test_every_problem_names_the_file_and_the_dotted_key(tmp_path: Path) -> None:
    text = ZOHO + PIPELINE.replace('stream = "customers"', 'stream = "customers"\ndirection = "sideways"')
    text += "limit = 3\n[credits]\ndaily_limit = -1\n"
    lines = problem(tmp_path, text).splitlines()
    where = f"{tmp_path}/syncd.toml: "
    assert lines == [
        f"{where}credits.daily_limit: Input should be greater than 0 (got -1)",
        f"{where}pipelines.contacts.direction: Input should be 'push', 'pull' or 'both' (got 'sideways')",
        f"{where}pipelines.contacts.fields.limit: expected a source field name, or a table with source "
        "(and default), constant, pipeline and key, or find_by and source (got 3)",
    ]


def test_an_unknown_key_is_named(tmp_path: Path) -> None:
    text = ZOHO + PIPELINE.replace('module = "Contacts"', 'module = "Contacts"\ndirecton = "push"')
    message = problem(tmp_path, text)
    assert message == f"{tmp_path}/syncd.toml: pipelines.contacts.directon: is not a known key"


def test_invalid_toml_names_the_file_and_the_line(tmp_path: Path) -> None:
    message = problem(tmp_path, "[zoho\n")
    assert message.startswith(f"{tmp_path}/syncd.toml: not valid TOML:")
    assert "line 1" in message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.toml: cannot read the configuration file"):
        load_config(tmp_path / "nowhere.toml")


def test_reserve_must_leave_something_to_spend(tmp_path: Path) -> None:
    message = problem(tmp_path, ZOHO + "[credits]\ndaily_limit = 5000\nreserve = 5000\n")
    assert "credits.reserve: must be less than daily_limit (5000)" in message


def test_field_mappings_take_every_documented_form(tmp_path: Path) -> None:
    fields = """
First_Name = { source = "given", default = "-" }
Lead_Source = { constant = "Web" }
Account_Name.id = { pipeline = "accounts", key = "company_id" }
Vendor_Name = { find_by = "Vendor_Name", source = "supplier" }
[pipelines.accounts]
connector = "shop"
stream = "companies"
module = "Accounts"
find_by = "Account_Name"
fields = { Account_Name = "name" }
"""
    config = load(tmp_path, ZOHO + PIPELINE + fields)
    assert config.pipelines["contacts"].fields == {
        "Email": SourceField(source="email"),
        "First_Name": SourceField(source="given", default="-"),
        "Lead_Source": Constant(constant="Web"),
        "Account_Name.id": PipelineLookup(pipeline="accounts", key="company_id"),
        "Vendor_Name": FindByLookup(find_by="Vendor_Name", source="supplier"),
    }


def test_a_mapping_in_no_known_form_says_what_forms_exist(tmp_path: Path) -> None:
    message = problem(tmp_path, ZOHO + PIPELINE + "Phone = 42\n")
    assert "pipelines.contacts.fields.Phone: expected a source field name, or a table with" in message


def test_references_between_sections_are_checked(tmp_path: Path) -> None:
    text = ZOHO + PIPELINE.replace('connector = "shop"', 'connector = "shopp"').replace(
        'find_by = "Email"', 'find_by = "Mobile"'
    )
    text += 'Account_Name = { pipeline = "accounts", key = "company_id" }\n'
    lines = problem(tmp_path, text).splitlines()
    where = f"{tmp_path}/syncd.toml: pipelines.contacts."
    assert lines == [
        f"{where}connector: no connector 'shopp' is configured under [connectors]",
        f"{where}find_by: 'Mobile' must be one of the mapped fields (or 'id')",
        f"{where}fields.Account_Name.pipeline: no other pipeline named 'accounts'",
    ]


def test_a_pipeline_lookup_must_fill_an_id_column(tmp_path: Path) -> None:
    text = ZOHO + PIPELINE + 'Account_Name = { pipeline = "other", key = "company_id" }\n'
    text += '[pipelines.other]\nconnector = "shop"\nstream = "c"\nmodule = "Accounts"\nfind_by = "id"\n'
    text += 'fields = { A = "a" }\n'
    assert (
        "pipelines.contacts.fields.Account_Name: a lookup through a pipeline yields a record id"
        in problem(tmp_path, text)
    )


def test_schedules_are_intervals_or_cron_lines(tmp_path: Path) -> None:
    base = ZOHO + PIPELINE.replace('stream = "customers"', 'stream = "customers"\nschedule = "{}"')
    assert load(tmp_path, base.replace("{}", "1h30m")).pipelines["contacts"].schedule == Interval(
        timedelta(hours=1, minutes=30)
    )
    assert load(tmp_path, base.replace("{}", "*/5 * * * 1-5")).pipelines["contacts"].schedule == Cron(
        "*/5 * * * 1-5"
    )
    assert "not a valid cron line" in problem(tmp_path, base.replace("{}", "61 * * * *"))
    assert "longer than zero" in problem(
        tmp_path, base.replace('schedule = "{}"', 'full_snapshot_every = "0m"')
    )


def test_a_pipeline_gives_the_engine_its_policies_and_budget(tmp_path: Path) -> None:
    text = ZOHO + "[credits]\ndaily_limit = 10000\nreserve = 1000\n[credits.costs]\nbulk_write_job = 400\n"
    text += PIPELINE.replace(
        'find_by = "Email"', 'find_by = "Email"\ndelete_policy = "soft"\nmax_delete_share = 0.5'
    )
    config = load(tmp_path, text)
    policy = config.pipelines["contacts"].diff_policy(allow_mass_delete=True)
    assert (policy.deletes, policy.max_delete_share, policy.allow_mass_delete) == (
        DeletePolicy.SOFT,
        0.5,
        True,
    )
    assert config.credits.budget(spent=2_000).left == 7_000
    assert config.credits.costs.table().bulk_write_job == 400


def test_parse_config_reads_text_from_anywhere(tmp_path: Path) -> None:
    config = parse_config(
        "[zoho]\nemulator = true\n", source=tmp_path / "inline.toml", environ={"HOME": "/h"}
    )
    assert config.state.url == "sqlite:////h/.local/state/syncd/syncd.sqlite"


def test_the_emulator_seed_is_relative_to_the_configuration_file(tmp_path: Path) -> None:
    config = load(tmp_path, '[zoho]\nemulator = true\nemulator_seed = "demo/crm.json"\n')
    assert config.zoho.emulator_seed == tmp_path / "demo" / "crm.json"
    absolute = load(tmp_path, '[zoho]\nemulator = true\nemulator_seed = "/srv/seed.json"\n')
    assert absolute.zoho.emulator_seed == Path("/srv/seed.json")


def test_an_emulator_seed_without_the_emulator_is_refused(tmp_path: Path) -> None:
    message = problem(tmp_path, ZOHO + 'emulator_seed = "crm.json"\n')
    assert "zoho.emulator_seed: seeds the embedded emulator: set emulator = true too" in message


def test_the_bulk_job_polling_keys_become_the_zoho_clients_poll_policy(tmp_path: Path) -> None:
    from syncd.app import poll_policy_for

    defaults = poll_policy_for(load(tmp_path, ZOHO))
    assert (defaults.initial, defaults.maximum, defaults.timeout) == (0.25, 30.0, 6 * 3600.0)
    text = ZOHO + 'poll_initial = "1s500ms"\npoll_max = "5m"\njob_timeout = "2h"\n'
    policy = poll_policy_for(load(tmp_path, text))
    assert (policy.initial, policy.maximum, policy.timeout) == (1.5, 300.0, 7200.0)


def test_polling_keys_must_be_durations_in_order(tmp_path: Path) -> None:
    message = problem(tmp_path, ZOHO + 'poll_initial = "1m"\npoll_max = "10s"\n')
    assert "zoho.poll_max: must not be shorter than poll_initial (1m)" in message
    assert "zoho.job_timeout" in problem(tmp_path, ZOHO + 'job_timeout = "soon"\n')


@pytest.mark.parametrize(
    ("text", "duration", "shown"),
    [
        ("250ms", timedelta(milliseconds=250), "250ms"),
        ("1s500ms", timedelta(seconds=1.5), "1s500ms"),
        ("1h30m", timedelta(minutes=90), "1h30m"),
        (45, timedelta(seconds=45), "45s"),
    ],
)
def test_durations_go_down_to_milliseconds_and_print_as_written(
    text: str | int, duration: timedelta, shown: str
) -> None:
    assert parse_duration(text) == duration
    assert format_duration(duration) == shown


@pytest.mark.parametrize("text", ["0ms", "1.5s", "ms", "250 ms"])
def test_durations_that_are_zero_or_not_whole_units_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)
