"""Progress of a long management command, written to its stderr so stdout stays its result."""

import time


class CommandProgress:
    """Call it with what the command is doing: in a terminal one line, rewritten; in a log (cron,
    CI, a pipe) one line per call. Each line starts with the time since the command started."""

    def __init__(self, stream) -> None:
        self.stream = stream  # a command's self.stderr
        self.started = time.perf_counter()
        self.tty = stream.isatty()
        self.open = False  # a terminal line waits for its end

    def __call__(self, message: str) -> None:
        line = f"[{self.elapsed:6.1f} s] {message}"
        if self.tty:
            self.stream.write(f"\r{line}\x1b[K", ending="")  # ESC [K clears what a longer line left
            self.open = True
        else:
            self.stream.write(line)

    def end(self, message: str | None = None) -> None:
        """Close the rewritten line, and write `message` as a line of its own."""
        if self.open:
            self.stream.write("")
            self.open = False
        if message is not None:
            self.stream.write(f"[{self.elapsed:6.1f} s] {message}")

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started
