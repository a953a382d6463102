"""Password throttling on a fake clock: per address (doubling lock-outs), overall (a rate cap), no sleeps."""
from studies.throttle import Throttle


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
