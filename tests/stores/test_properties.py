"""The embedded store's value tuples: ``Fields.encode`` aligns property maps with field names."""

from __future__ import annotations

import sys

from graph_service.stores.embedded.properties import Fields


def _fields(*names: str) -> Fields:
    fields = Fields()
    for name in names:
        fields.add(name)
    fields.committed = len(fields.names)
    return fields


def test_maps_in_field_order_and_others_encode_alike() -> None:
    # The first three take the path of maps named in field order, the others look names up.
    fields = _fields("name", "segment", "blocked")
    assert fields.encode({}) == ()
    assert fields.encode({"name": "Ada", "segment": "mass"}) == ("Ada", "mass")
    assert fields.encode({"name": "Ada", "segment": None}) == ("Ada",)  # trailing absent cut
    assert fields.encode({"segment": "mass"}) == (None, "mass")
    assert fields.encode({"blocked": True, "name": "Ada"}) == ("Ada", None, True)
    assert fields.encode({"name": "Ada", "nickname": "A"}) == ("Ada", None, None, "A")
    assert fields.names == ["name", "segment", "blocked", "nickname"]
    # Asked again, each is answered the same (the path each took is remembered).
    assert fields.encode({"name": "Ada", "segment": "mass"}) == ("Ada", "mass")
    assert fields.encode({"blocked": True, "name": "Ada"}) == ("Ada", None, True)
    text = "".join(["priv", "ate"])  # a text not interned
    (value,) = fields.encode({"name": text})
    assert value is sys.intern("private")


def test_names_dropped_with_a_failed_load_are_forgotten() -> None:
    fields = _fields("name", "segment", "blocked")
    props = {"name": "Ada", "segment": "mass", "blocked": False, "nickname": "A"}
    assert fields.encode(props) == ("Ada", "mass", False, "A")
    assert fields.encode(props) == ("Ada", "mass", False, "A")
    fields.truncate()  # the load that added "nickname" failed
    assert fields.encode({"name": "Ada", "alias": "B"}) == ("Ada", None, None, "B")
    assert fields.encode(props) == ("Ada", "mass", False, None, "A")
    assert fields.names == ["name", "segment", "blocked", "alias", "nickname"]
