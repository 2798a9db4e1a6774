"""The whole run's time limit (`run_timeout`): every network wait and sleep is cut to what is
left of it, so a slow or rate-limiting server cannot hold a Puppet run or the timer."""
import time


class RunTimeout(Exception):
    """run_timeout passed: the run stops where it is; what it did stays done."""


class Deadline:
    def __init__(self, seconds, setting="run_timeout"):
        self.seconds = seconds
        self.setting = setting
        self._end = time.monotonic() + seconds

    def remaining(self):
        return self._end - time.monotonic()

    def expired(self, doing):
        """The RunTimeout to raise: `doing` says what was cut short."""
        return RunTimeout("%s of %g s reached while %s" % (self.setting, self.seconds, doing))

    def check(self, doing):
        if self.remaining() <= 0:
            raise self.expired(doing)

    def sleep(self, seconds, doing):
        """Sleep, unless that would outlast the run: then raise at once, not after the wait."""
        if seconds >= self.remaining():
            raise self.expired(doing)
        time.sleep(seconds)
