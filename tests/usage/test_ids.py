import time

from usage.ids import uuid7


def test_uuid7_is_version_7_rfc_variant_and_time_ordered():
    first = uuid7()
    time.sleep(0.002)
    second = uuid7()
    assert first.version == 7
    assert first.variant == "specified in RFC 4122"
    assert first < second
    assert abs((first.int >> 80) - time.time_ns() // 1_000_000) < 5_000
    assert len({uuid7() for _ in range(1000)}) == 1000
