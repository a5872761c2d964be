"""The store opens on both backends and keeps what a command saved."""

from domain.application import last_position


def test_a_registered_council_is_read_back(app, system):
    council = app.register_council("NFK", "Norfolk", "East of England", system)
    assert app.get_council(council).name == "Norfolk"
    assert last_position.get() == app.recorder.max_notification_id() == 1
