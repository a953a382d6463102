"""Password throttling on a fake clock: per address (doubling lock-outs), overall (a rate cap), no sleeps."""
from studies.office.throttle import Throttle


class Clock:
    t = 0.0

    def __call__(self):
        return self.t


def test_each_wrong_guess_doubles_its_addresses_lock_out():
    clock = Clock()
    th = Throttle(clock=clock)
    assert th.wait_s("a") == 0
    assert [th.failed("a") for _ in range(4)] == [1.0, 2.0, 4.0, 8.0]
    assert th.wait_s("a") == 8.0 and th.wait_s("b") == 0           # other addresses are not slowed
    clock.t += 8.0
    assert th.wait_s("a") == 0
    th.succeeded("a")
    assert th.failed("a") == 1.0                                    # a success starts over
    assert Throttle(clock=clock, max_s=5.0).failed("x") == 1.0
    capped = Throttle(clock=clock, max_s=5.0)
    assert max(capped.failed("x") for _ in range(10)) == 5.0


def test_guesses_from_many_addresses_hit_the_global_cap():
    clock = Clock()
    th = Throttle(clock=clock, max_failures=30, window_s=60.0)
    for i in range(30):                        # 30 addresses, one wrong guess each, within 3 s
        th.failed(f"10.0.0.{i}")
        clock.t += 0.1
    assert th.wait_s("10.9.9.9") > 55          # a new address must wait for the window to clear
    clock.t += 60.0
    assert th.wait_s("10.9.9.9") == 0
    # the rate this allows: at most 30 guesses a minute whatever the number of sessions or addresses


def test_quiet_addresses_are_forgotten():
    clock = Clock()
    th = Throttle(clock=clock)
    th.failed("a")
    th.failed("a")
    clock.t += 7200
    th.wait_s("b")
    assert th.failed("a") == 1.0


def test_the_key_resists_forged_forwarded_headers_and_a_proxy_that_names_no_one(monkeypatch):
    from studies.office.throttle import client_key, trusted_proxies
    # no proxy: a forged X-Forwarded-For (uvicorn believed it from 127.0.0.1) never buys a fresh bucket
    keys = {client_key(f"10.0.0.{i}", f"10.0.0.{i}", f"s{i}", set()) for i in range(50)}
    assert keys == {"forwarded"}
    assert client_key("192.168.1.7", None, "s", set()) == "192.168.1.7"
    assert client_key(None, None, "s", set()) == "local"
    # a trusted proxy on this machine that sends no header: one bucket per browser session, not one for all
    assert client_key(None, None, "s1", {"127.0.0.1"}) == "session:s1" != client_key(None, None, "s2", {"127.0.0.1"})
    # ... and one that sends it: the client it names (uvicorn already applied it, or we do for a remote proxy)
    assert client_key("203.0.113.5", "1.2.3.4, 203.0.113.5", "s", {"127.0.0.1"}) == "203.0.113.5"
    assert client_key("10.0.0.2", "1.2.3.4, 203.0.113.9", "s", {"10.0.0.2"}) == "203.0.113.9"
    assert client_key("198.51.100.1", "1.1.1.1", "s", {"10.0.0.2"}) == "198.51.100.1"   # around the proxy
    t = Throttle(clock=lambda: 0.0)
    for i in range(10):   # ten wrong guesses behind a header-less proxy lock out their own session only
        t.failed(client_key(None, None, "attacker", {"127.0.0.1"}))
    assert t.wait_s(client_key(None, None, "colleague", {"127.0.0.1"})) == 0
    monkeypatch.setenv("BATCHSCOPE_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.2")
    assert trusted_proxies() == {"127.0.0.1", "10.0.0.2"}
