"""Strings packed into model arrays (vocabularies, stop words, word clusters)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from slant.packing import pack_strings, unpack_strings


@pytest.mark.parametrize(
    "strings",
    [[], [""], ["", ""], ["w=coward", "pw=the_council", "ça coûte", "москва", "東京", "a b"]],
)
def test_strings_round_trip_through_a_saved_array(strings: list[str]) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, packed=pack_strings(strings))
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as npz:
        restored = unpack_strings(npz["packed"])
    assert restored == strings
    assert all(type(s) is str for s in restored)  # plain str: numpy scalars hash slower


def test_a_string_holding_the_separator_is_refused() -> None:
    with pytest.raises(ValueError, match="newline"):
        pack_strings(["fine", "two\nlines"])


def test_models_saved_with_string_arrays_still_load() -> None:
    legacy = np.array(["pre4=cowa", "w=coward"]).astype(str)
    assert unpack_strings(legacy) == ["pre4=cowa", "w=coward"]
