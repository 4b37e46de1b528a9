"""The compact sequences and the string index answer exactly as the lists and the dict they replace."""

from __future__ import annotations

import numpy as np
import pytest

from faq.compact import StringIndex, Strings, TokenLists, strings_at


def test_strings_read_back_as_the_list_they_hold() -> None:
    items = ["会打给家人吗", "", "a b", "爆通讯录", "😭x"]
    held = Strings(items)
    assert len(held) == len(items)
    assert list(held) == items
    assert [held[k] for k in range(len(items))] == items
    assert held[-1] == items[-1] and held[np.int64(3)] == items[3]
    assert held[1:4] == items[1:4]
    with pytest.raises(IndexError):
        held[len(items)]
    with pytest.raises(IndexError):
        held[-len(items) - 1]


def test_strings_at_reads_many_as_indexing_does() -> None:
    items = ["会打给家人吗", "", "a b", "爆通讯录", "😭x"]
    wanted = [3, 0, 3, 4, 1]
    expected = [items[k] for k in wanted]
    assert strings_at(Strings(items), wanted) == expected
    assert strings_at(items, wanted) == expected
    assert strings_at(Strings(items), []) == []


def test_token_lists_read_back_as_the_lists_they_hold() -> None:
    lists = [["打", "家人"], [], ["通讯录", "违法", "打"], ["打"]]
    held = TokenLists(lists)
    assert len(held) == len(lists)
    assert list(held) == lists
    assert held[2] == lists[2] and held[-1] == lists[-1] and held[np.int32(0)] == lists[0]
    assert [*held[:1], *held[2:]] == [lists[0], *lists[2:]]
    assert held[0] is not held[0]  # a new list each time: changing it changes nothing held
    with pytest.raises(IndexError):
        held[4]


def test_string_index_answers_as_a_dict() -> None:
    # "ag" and 条 have the same hash in CPython (the same bytes): one of them is found through the collisions.
    names = ["a", "ag", "条", " 家", "家人", "\x00打", "", "人 "]
    index = StringIndex.of(names)
    plain = {name: k for k, name in enumerate(names)}
    keys = [*names, "b", "家", "ga", "条条", "\x00家人"]
    assert index.ids(keys) == [plain.get(k, -1) for k in keys]
    assert len(index) == len(names) and list(index) == names and dict(index) == plain
    assert "条" in index and "ag" in index and "ab" not in index
    assert index["家人"] == 4 and index.get("missing") is None
    with pytest.raises(KeyError):
        index["missing"]
    assert index.ids([]) == [] and StringIndex.of([]).ids(["a"]) == [-1]
    text, bounds = index.joined()
    assert dict(StringIndex(text, bounds)) == plain
