"""Long commands report progress on stderr: a rewritten line in a terminal, a line each in a log."""

import io

from django.core.management.base import OutputWrapper

from config.progress import CommandProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_log_each_step_is_a_line_with_the_time():
    log = io.StringIO()
    progress = CommandProgress(OutputWrapper(log))
    progress("loading")
    progress("rolling up")
    progress.end("done")
    lines = log.getvalue().splitlines()
    assert [line.split("] ", 1)[1] for line in lines] == ["loading", "rolling up", "done"]
    assert all(line.startswith("[") and " s] " in line for line in lines)


def test_in_a_terminal_the_line_is_rewritten_and_ended_once():
    terminal = Terminal()
    progress = CommandProgress(OutputWrapper(terminal))
    progress("verified 10,000 entries")
    progress("verified 20,000 entries")
    progress.end()
    progress.end()  # nothing left to end
    written = terminal.getvalue()
    assert written.count("\r") == 2 and written.endswith("verified 20,000 entries\x1b[K\n")
