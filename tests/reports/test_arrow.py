"""Report columns built from Arrow buffers equal ``pyarrow.array``'s, without importing pandas."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph_service.reports.output import arrow_array

SCALARS: dict[str, tuple[pa.DataType, st.SearchStrategy[Any]]] = {
    "string": (pa.string(), st.text()),
    "int64": (pa.int64(), st.integers(-(2**63), 2**63 - 1)),
    "double": (pa.float64(), st.floats(allow_nan=False) | st.integers(-(2**53), 2**53)),
    "bool": (pa.bool_(), st.booleans()),
}


@pytest.mark.parametrize("kind", sorted(SCALARS))
@given(data=st.data())
def test_scalar_and_list_columns_equal_pyarrow_array(kind: str, data: st.DataObject) -> None:
    arrow_type, items = SCALARS[kind]
    for column_type, values in (
        (arrow_type, st.lists(st.none() | items, max_size=40)),
        (pa.list_(arrow_type), st.lists(st.none() | st.lists(items, max_size=5), max_size=20)),
    ):
        drawn = data.draw(values)
        built = arrow_array(drawn, column_type)
        built.validate(full=True)
        assert built.type == column_type
        assert built.equals(pa.array(drawn, type=column_type))
        assert built.to_pylist() == drawn


def test_an_int64_out_of_range_is_refused() -> None:
    with pytest.raises(OverflowError):
        arrow_array([2**63], pa.int64())


def test_building_columns_does_not_import_pandas() -> None:
    code = (
        "import importlib.util, sys, pyarrow as pa\n"
        "assert importlib.util.find_spec('pandas'), 'pandas is installed (test extra)'\n"
        "from graph_service.reports.output import arrow_array\n"
        "arrow_array(['a', None], pa.string()); arrow_array([[1], None], pa.list_(pa.int64()))\n"
        "print('pandas' in sys.modules)\n"
    )
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True).stdout.strip()  # fmt: skip
    assert imported == "False"
