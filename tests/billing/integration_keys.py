"""Admin keys of the right shape for the tests, and a check that none leaked.

Each key carries a middle part found nowhere else, so a leak of any slice of it (not only
the whole key) is caught; the last four characters are the only part ever shown.
"""

OPENAI_KEY = "sk-admin-" + "Xq7VbN2mSECRETopenaiMIDDLEpart_k9Lw3Rt8Zy4Hd6Jf1" + "Ab3D"
ANTHROPIC_KEY = "sk-ant-admin01-" + "Wp5TcM8nSECRETanthropicMIDDLE-q2Ks7Gv4Bx0" + "Zz9Q"
OTHER_OPENAI_KEY = "sk-admin-" + "Mr4LpQ9wROTATEDsecretMIDDLE_f3Hn8Vc2Xk5Ts7Yd0" + "Ro7T"
MIDDLES = ("SECRETopenaiMIDDLEpart", "SECRETanthropicMIDDLE", "ROTATEDsecretMIDDLE")


def assert_no_key_in(text: str) -> None:
    """No admin key, nor the middle of one, in `text` (a body, a page, log output)."""
    for key in (OPENAI_KEY, ANTHROPIC_KEY, OTHER_OPENAI_KEY):
        assert key not in text
        assert key[:-4] not in text
    for middle in MIDDLES:
        assert middle not in text
