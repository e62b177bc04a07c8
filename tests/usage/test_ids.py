import time

from usage.ids import uuid7, uuid7_many


def test_uuid7_is_version_7_rfc_variant_and_time_ordered():
    first = uuid7()
    time.sleep(0.002)
    second = uuid7()
    assert first.version == 7
    assert first.variant == "specified in RFC 4122"
    assert first < second
    assert abs((first.int >> 80) - time.time_ns() // 1_000_000) < 5_000
    assert len({uuid7() for _ in range(1000)}) == 1000


def test_uuid7_many_are_distinct_version_7_ids_of_this_millisecond():
    before = time.time_ns() // 1_000_000
    ids = uuid7_many(500)
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == 500
    assert {value.version for value in ids} == {7}
    assert {value.variant for value in ids} == {"specified in RFC 4122"}
    assert {value.int >> 80 for value in ids} <= set(range(before, after + 1))
    assert uuid7_many(0) == []
