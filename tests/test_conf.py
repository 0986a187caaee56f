from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from readonly_scopes import writes_allowed
from readonly_scopes.conf import CONF, Conf, read_only_configuration
from readonly_scopes.state import ENVIRONMENT_SOURCE, FLAG, SETTING_SOURCE

REPO = Path(__file__).resolve().parent.parent

# One wrong value per rule; what a process started with it must log, and the
# value it must use instead.
WRONG = {
    "DJANGO_READ_ONLY_CACHE": (
        5,
        (
            "DJANGO_READ_ONLY_CACHE is 5; it must be a cache alias, a key of CACHES. "
            "Write, for example, DJANGO_READ_ONLY_CACHE = 'default'. Until then its "
            "default, 'default', applies."
        ),
        "default",
    ),
    "DJANGO_READ_ONLY_CACHE_REFRESH": (
        "2.5",
        (
            "DJANGO_READ_ONLY_CACHE_REFRESH is '2.5'; it must be a number of seconds "
            "above 0. Write, for example, DJANGO_READ_ONLY_CACHE_REFRESH = 2.5. Until "
            "then its default, 5, applies."
        ),
        5,
    ),
    "DJANGO_READ_ONLY_FAIL_CLOSED": (
        "on",
        (
            "DJANGO_READ_ONLY_FAIL_CLOSED is 'on'; it must be True or False. Write, "
            "for example, DJANGO_READ_ONLY_FAIL_CLOSED = True. Until then its "
            "default, False, applies."
        ),
        False,
    ),
    "DJANGO_READ_ONLY_RETRY_AFTER": (
        -1,
        (
            "DJANGO_READ_ONLY_RETRY_AFTER is -1; it must be a number of seconds above "
            "0. Write, for example, DJANGO_READ_ONLY_RETRY_AFTER = 60. Until then its "
            "default, 60, applies."
        ),
        60,
    ),
    "DJANGO_READ_ONLY_ANNOUNCE_AHEAD": (
        "3600",
        (
            "DJANGO_READ_ONLY_ANNOUNCE_AHEAD is '3600'; it must be a number of "
            "seconds above 0, or a datetime.timedelta above 0. Write, for example, "
            "DJANGO_READ_ONLY_ANNOUNCE_AHEAD = 3600. Until then its default, 86400, "
            "applies."
        ),
        86400,
    ),
    "DJANGO_READ_ONLY_EXEMPT_PATHS": (
        "admin/",
        (
            "DJANGO_READ_ONLY_EXEMPT_PATHS is 'admin/'; it must be a list of path "
            "prefixes, each starting with '/'. Write, for example, "
            "DJANGO_READ_ONLY_EXEMPT_PATHS = ['/admin/']. Until then its default, [], "
            "applies."
        ),
        [],
    ),
    "DJANGO_READ_ONLY_EXEMPT_URL_NAMES": (
        "login",
        (
            "DJANGO_READ_ONLY_EXEMPT_URL_NAMES is 'login'; it must be a list of URL "
            "names. Write, for example, DJANGO_READ_ONLY_EXEMPT_URL_NAMES = ['login']. "
            "Until then its default, [], applies."
        ),
        [],
    ),
    "DJANGO_READ_ONLY_EXEMPT_STAFF": (
        "yes",
        (
            "DJANGO_READ_ONLY_EXEMPT_STAFF is 'yes'; it must be True or False. Write, "
            "for example, DJANGO_READ_ONLY_EXEMPT_STAFF = True. Until then its "
            "default, False, applies."
        ),
        False,
    ),
    "DJANGO_READ_ONLY_EXEMPT_SUPERUSERS": (
        1,
        (
            "DJANGO_READ_ONLY_EXEMPT_SUPERUSERS is 1; it must be True or False. Write, "
            "for example, DJANGO_READ_ONLY_EXEMPT_SUPERUSERS = True. Until then its "
            "default, False, applies."
        ),
        False,
    ),
    "DJANGO_READ_ONLY_EXEMPT": (
        ["myproject.may_write"],
        (
            "DJANGO_READ_ONLY_EXEMPT is ['myproject.may_write']; it must be None or "
            "the dotted path of a function taking the request. Write, for example, "
            "DJANGO_READ_ONLY_EXEMPT = 'myproject.maintenance.may_write'. Until then "
            "its default, None, applies."
        ),
        None,
    ),
    "DJANGO_READ_ONLY_ALLOWED_TABLES": (
        "django_session",
        (
            "DJANGO_READ_ONLY_ALLOWED_TABLES is 'django_session'; it must be a list of "
            "table names. Write, for example, DJANGO_READ_ONLY_ALLOWED_TABLES = "
            "['django_session']. Until then its default, [], applies."
        ),
        [],
    ),
    "DJANGO_READ_ONLY_WARN_ONLY": (
        "off",
        (
            "DJANGO_READ_ONLY_WARN_ONLY is 'off'; it must be True or False. Write, for "
            "example, DJANGO_READ_ONLY_WARN_ONLY = False. Until then its default, "
            "False, applies."
        ),
        False,
    ),
    "DJANGO_READ_ONLY_SAFE_METHODS": (
        "Block",
        (
            "DJANGO_READ_ONLY_SAFE_METHODS is 'Block'; it must be 'warn', 'block' "
            "or 'off' (None and False mean off too). Write, for example, "
            "DJANGO_READ_ONLY_SAFE_METHODS = 'block'. Until then its default, "
            "None, applies."
        ),
        None,
    ),
    "DJANGO_READ_ONLY_FOLLOW_SWITCH": (
        "yes",
        (
            "DJANGO_READ_ONLY_FOLLOW_SWITCH is 'yes'; it must be True or False. "
            "Write, for example, DJANGO_READ_ONLY_FOLLOW_SWITCH = True. Until then "
            "its default, False, applies."
        ),
        False,
    ),
    "DJANGO_READ_ONLY_EXEMPT_COMMANDS": (
        "clearsessions",
        (
            "DJANGO_READ_ONLY_EXEMPT_COMMANDS is 'clearsessions'; it must be a list "
            "of management command names. Write, for example, "
            "DJANGO_READ_ONLY_EXEMPT_COMMANDS = ['clearsessions']. Until then its "
            "default, ['migrate'], applies."
        ),
        ["migrate"],
    ),
    "DJANGO_READ_ONLY_EXEMPT_TASKS": (
        None,
        (
            "DJANGO_READ_ONLY_EXEMPT_TASKS is None; it must be a list of task names. "
            "Write, for example, DJANGO_READ_ONLY_EXEMPT_TASKS = "
            "['myproject.tasks.send_digest']. Until then its default, [], applies."
        ),
        [],
    ),
    "DJANGO_READ_ONLY_FOLLOW_DATABASE": (
        1,
        (
            "DJANGO_READ_ONLY_FOLLOW_DATABASE is 1; it must be True or False. Write, "
            "for example, DJANGO_READ_ONLY_FOLLOW_DATABASE = True. Until then its "
            "default, False, applies."
        ),
        False,
    ),
    "DJANGO_READ_ONLY_DATABASE_PERIOD": (
        "30",
        (
            "DJANGO_READ_ONLY_DATABASE_PERIOD is '30'; it must be a number of "
            "seconds above 0. Write, for example, DJANGO_READ_ONLY_DATABASE_PERIOD "
            "= 30. Until then its default, 15, applies."
        ),
        15,
    ),
    "DJANGO_READ_ONLY_DATABASE_SWITCH": (
        "off",
        (
            "DJANGO_READ_ONLY_DATABASE_SWITCH is 'off'; it must be True or False. "
            "Write, for example, DJANGO_READ_ONLY_DATABASE_SWITCH = False. Until "
            "then its default, False, applies."
        ),
        False,
    ),
    "DJANGO_READ_ONLY_ADMIN_VIEW_ONLY": (
        "no",
        (
            "DJANGO_READ_ONLY_ADMIN_VIEW_ONLY is 'no'; it must be True or False. "
            "Write, for example, DJANGO_READ_ONLY_ADMIN_VIEW_ONLY = False. Until "
            "then its default, True, applies."
        ),
        True,
    ),
}

# Started as a web server starts: the settings module, django.setup(), and no
# system checks.
START = """
import json, django
django.setup()
from readonly_scopes.conf import CONF, RULES
print(json.dumps({name: getattr(CONF, rule.attribute) for name, rule in RULES.items()}))
"""


@pytest.fixture(scope="module")
def started(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[str], dict[str, object]]:
    """The log lines and values of a process started with every value wrong."""
    directory = tmp_path_factory.mktemp("settings")
    lines = [
        "SECRET_KEY = 'x'",
        "INSTALLED_APPS = ['readonly_scopes']",
        (
            "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', "
            "'NAME': ':memory:'}}"
        ),
        (
            "LOGGING = {'version': 1, 'handlers': {'console': "
            "{'class': 'logging.StreamHandler'}}, 'loggers': {'readonly_scopes': "
            "{'handlers': ['console'], 'level': 'INFO'}}}"
        ),
        *(f"{name} = {value!r}" for name, (value, _, _) in WRONG.items()),
    ]
    (directory / "wrong_settings.py").write_text("\n".join(lines) + "\n")
    done = subprocess.run(
        [sys.executable, "-c", START],
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(directory), str(REPO)]),
            "DJANGO_SETTINGS_MODULE": "wrong_settings",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stderr.splitlines(), json.loads(done.stdout)


@pytest.mark.parametrize("name", list(WRONG))
def test_wrong_value_is_logged_at_start_up_and_the_default_applies(
    started: tuple[list[str], dict[str, object]], name: str
) -> None:
    log, values = started
    _, message, default = WRONG[name]
    assert log.count(f"Invalid setting: {message}") == 1
    # JSON turns the tuples the process holds into lists.
    assert values[name] == default


def test_every_rule_is_tested_at_start_up(
    started: tuple[list[str], dict[str, object]],
) -> None:
    log, values = started
    assert set(values) == set(WRONG)
    assert len(log) == len(WRONG)


def test_valid_values_are_used_and_lists_are_kept_as_tuples() -> None:
    with override_settings(
        DJANGO_READ_ONLY_RETRY_AFTER=1.5,
        DJANGO_READ_ONLY_EXEMPT_PATHS=["/admin/", "/login/"],
    ):
        assert values() == (1.5, ("/admin/", "/login/"))
    assert values() == (60, ())


@pytest.mark.parametrize(
    ("value", "mode"),
    [(None, None), (False, None), ("off", None), ("warn", "warn"), ("block", "block")],
)
def test_safe_methods_off_is_one_value_whichever_way_it_is_written(
    value: object, mode: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.ERROR, "readonly_scopes"),
        override_settings(DJANGO_READ_ONLY_SAFE_METHODS=value),
    ):
        assert CONF.safe_methods == mode
    assert caplog.records == []
    assert CONF.safe_methods is None


def values() -> tuple[float, tuple[str, ...]]:
    return CONF.retry_after, CONF.exempt_paths


def test_a_changed_setting_is_checked_again(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, "readonly_scopes"):
        with override_settings(DJANGO_READ_ONLY_RETRY_AFTER=0):
            assert CONF.retry_after == 60
        with override_settings(DJANGO_READ_ONLY_RETRY_AFTER=30):
            assert CONF.retry_after == 30
    assert [record.getMessage() for record in caplog.records] == [
        (
            "Invalid setting: DJANGO_READ_ONLY_RETRY_AFTER is 0; it must be a "
            "number of seconds above 0. Write, for example, "
            "DJANGO_READ_ONLY_RETRY_AFTER = 60. Until then its default, 60, applies."
        )
    ]


def test_read_before_the_app_is_ready_loads_every_setting() -> None:
    early = Conf()
    with override_settings(DJANGO_READ_ONLY_CACHE_REFRESH=7):
        assert early.cache_refresh == 7
        assert early.warn_only is False
    with pytest.raises(AttributeError):
        getattr(early, "no_such_setting")  # noqa: B009


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(90, 90), (0.5, 0.5), (timedelta(hours=2), 7200), (timedelta(days=3), 259200)],
)
def test_announce_ahead_takes_seconds_or_a_timedelta(
    value: object, seconds: float
) -> None:
    with override_settings(DJANGO_READ_ONLY_ANNOUNCE_AHEAD=value):
        assert CONF.announce_ahead == seconds
    assert CONF.announce_ahead == 86400


@pytest.mark.parametrize("value", [timedelta(0), timedelta(minutes=-5), 0, "1 day"])
def test_announce_ahead_that_is_no_lead_time(
    value: object, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.ERROR, "readonly_scopes"),
        override_settings(DJANGO_READ_ONLY_ANNOUNCE_AHEAD=value),
    ):
        assert CONF.announce_ahead == 86400
    assert [record.getMessage() for record in caplog.records] == [
        (
            f"Invalid setting: DJANGO_READ_ONLY_ANNOUNCE_AHEAD is {value!r}; it must "
            "be a number of seconds above 0, or a datetime.timedelta above 0. Write, "
            "for example, DJANGO_READ_ONLY_ANNOUNCE_AHEAD = 86400. Until then its "
            "default, 86400, applies."
        )
    ]


# DJANGO_READ_ONLY, which has a rule of its own.


def read_only_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.ERROR and record.name == "readonly_scopes"
    ]


@pytest.mark.parametrize("kind", [list, tuple, set, frozenset])
def test_a_list_of_aliases_makes_only_those_databases_read_only(
    kind: type, other_alias: str
) -> None:
    with override_settings(DJANGO_READ_ONLY=kind([other_alias])):
        assert read_only_configuration() == (
            True,
            frozenset([other_alias]),
            SETTING_SOURCE,
        )
        assert (writes_allowed("default"), writes_allowed(other_alias)) == (True, False)
        assert FLAG.configured
    assert writes_allowed(other_alias)
    assert not FLAG.configured


@pytest.mark.parametrize(
    ("value", "read_only"),
    [([], False), ((), False), ("yes", True), (1, True), (0, False), (None, False)],
)
def test_other_values_count_by_their_truth_for_every_database(
    value: object, read_only: bool
) -> None:
    with override_settings(DJANGO_READ_ONLY=value):
        assert read_only_configuration() == (read_only, None, SETTING_SOURCE)
        assert writes_allowed("default") is not read_only


def test_the_environment_variable_has_no_form_for_some_databases(
    monkeypatch: pytest.MonkeyPatch, other_alias: str
) -> None:
    # Any non-empty value has always meant every database, an alias too.
    monkeypatch.setenv("DJANGO_READ_ONLY", other_alias)
    assert read_only_configuration() == (True, None, ENVIRONMENT_SOURCE)


@pytest.mark.parametrize("value", [["default", 5], [""], ("default", None)])
def test_a_list_that_is_not_of_aliases_is_logged_and_every_database_is_read_only(
    caplog: pytest.LogCaptureFixture, value: object
) -> None:
    with (
        caplog.at_level(logging.ERROR, "readonly_scopes"),
        override_settings(DJANGO_READ_ONLY=value),
    ):
        assert read_only_configuration() == (True, None, SETTING_SOURCE)
        assert not writes_allowed("default")
    aliases = ", ".join(map(repr, sorted(settings.DATABASES)))
    message = (
        f"Invalid setting: DJANGO_READ_ONLY is {value!r}; it must be True, False "
        "or a list of database aliases, the keys of DATABASES, to make only those "
        f"read-only ({aliases}). Write, for example, DJANGO_READ_ONLY = "
        "['default']. Until then, every database is read-only."
    )
    # Once as the setting changes; once more from the call above.
    assert read_only_errors(caplog) == [message, message]


def test_an_alias_not_in_databases_is_logged_and_the_others_apply(
    caplog: pytest.LogCaptureFixture, other_alias: str
) -> None:
    with caplog.at_level(logging.ERROR, "readonly_scopes"):
        with override_settings(DJANGO_READ_ONLY=[other_alias, "replcia"]):
            assert (writes_allowed("default"), writes_allowed(other_alias)) == (
                True,
                False,
            )
        with override_settings(DJANGO_READ_ONLY=["replcia", "nowhere"]):
            assert writes_allowed()
    aliases = ", ".join(map(repr, sorted(settings.DATABASES)))
    assert read_only_errors(caplog) == [
        (
            f"Invalid setting: DJANGO_READ_ONLY names 'replcia', which is not in "
            f"DATABASES ({aliases}). Write, for example, DJANGO_READ_ONLY = "
            f"[{other_alias!r}]. Until then, only the databases it names that exist "
            "are read-only."
        ),
        (
            f"Invalid setting: DJANGO_READ_ONLY names 'nowhere', 'replcia', which "
            f"are not in DATABASES ({aliases}). Write, for example, "
            "DJANGO_READ_ONLY = ['default']. Until then, only the databases it "
            "names that exist are read-only."
        ),
    ]
