"""The clinic profile: validation with errors naming the field, and the chat texts."""

import copy
import datetime as dt

import pytest
import yaml

from clinic_core.profile import DEFAULT_PROFILE_PATH, ProfileError, load_profile, parse_profile

RAW = yaml.safe_load(DEFAULT_PROFILE_PATH.read_text(encoding="utf-8"))


def broken(change):
    data = copy.deepcopy(RAW)
    change(data)
    return data


def test_loads_the_real_profile():
    profile = load_profile()
    assert profile.hours_on(dt.date(2026, 12, 14)) == (dt.time(9), dt.time(19))
    assert profile.hours_on(dt.date(2026, 12, 13)) is None  # Sunday
    assert profile.hours_on(dt.date(2026, 12, 25)) is None  # holiday
    assert [t.id for t in profile.therapists_for("facial_massage")] == ["anna"]
    assert profile.country_code == "GB" and profile.date_order == "DMY"
    assert str(profile.tz) == "Europe/London"


def test_texts_are_short_and_complete():
    profile = load_profile()
    assert "Therapeutic body massage: 60 min £65, 90 min £90" in profile.price_list()
    assert "15 min free" in profile.price_list()
    assert (
        profile.price_list("facial_massage") == "Therapeutic facial massage: 45 min £55, 60 min £70"
    )
    assert "60 or 90 minutes" in profile.durations()
    hours = profile.opening_hours_text(today=dt.date(2026, 12, 9))
    assert hours.splitlines()[:5] == [
        "Mon–Wed 9am–7pm",
        "Thu 10am–8pm",
        "Fri 9am–5pm",
        "Sat 10am–3pm",
        "Sun closed",
    ]
    assert "1pm–1:30pm" in hours and "Fri 25 Dec" in hours
    assert "Dec" not in profile.opening_hours_text(today=dt.date(2026, 6, 1))
    assert profile.address_text() == "Harmony Massage Therapy, 12 Linden Street, London N1 7AB."
    assert "Angel" in profile.address_text(with_directions=True)
    assert "24 hours" in profile.cancellation_text()
    assert all(len(line) < 160 for line in (profile.price_list() + "\n" + hours).splitlines())


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda d: d["opening_hours"].pop("monday"), "opening_hours"),
        (lambda d: d["opening_hours"].__setitem__("friday", ["17:00", "09:00"]), "friday"),
        (lambda d: d["opening_hours"].__setitem__("funday", "closed"), "funday"),
        (lambda d: d["breaks"].append(["1pm", "2pm"]), "breaks"),
        (lambda d: d["holidays"].append("2026-13-01"), "holidays"),
        (lambda d: d.__setitem__("timezone", "Europe/Londn"), "timezone"),
        (lambda d: d.__setitem__("date_order", "YMD"), "date_order"),
        (lambda d: d["therapists"][1]["services"].append("hot_stones"), "therapists[1]"),
        (
            lambda d: d["services"][0]["options"][0].__setitem__("minutes", -5),
            "services.0.options.0.minutes",
        ),
        (lambda d: d["services"][1].__setitem__("options", []), "services.1.options"),
        (lambda d: d["booking"].__setitem__("slot_step_minutes", 7), "booking.slot_step_minutes"),
        (lambda d: d["retention"].pop("bookings_days"), "retention.bookings_days"),
        (lambda d: d.pop("policies"), "policies"),
        (lambda d: d["address"].__setitem__("country_code", "Britain"), "address.country_code"),
    ],
)
def test_errors_name_the_field(change, field):
    with pytest.raises(ProfileError) as info:
        parse_profile(broken(change), "profile.yml")
    assert field in str(info.value)
    assert str(info.value).startswith("profile.yml: ")


def test_file_errors(tmp_path):
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(tmp_path / "missing.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ProfileError, match="not valid YAML"):
        load_profile(bad)
    bad.write_text("- just a list\n")
    with pytest.raises(ProfileError, match="mapping"):
        load_profile(bad)


def test_extra_fields_are_allowed(tmp_path):
    data = broken(lambda d: d.__setitem__("instagram", "@harmony"))
    assert parse_profile(data).instagram == "@harmony"


def test_module_level_helpers():
    from clinic_core import profile as module

    loaded = load_profile()
    assert module.price_list() == loaded.price_list()
    assert module.durations(loaded, "body_massage") == "Therapeutic body massage: 60 or 90 minutes"
    assert module.opening_hours_text() == loaded.opening_hours_text()
    assert module.address_text() == loaded.address_text()
    assert module.cancellation_text() == loaded.cancellation_text()
